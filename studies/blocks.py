"""The blocks of a protocol: prose sections, the observation grid and the interview guide.

The grid is data as much as text: each field definition becomes a form field on the observation
form (`studies.grid`), so its blocks validate what the form builder relies on — names unique within
the grid and usable as identifiers, choices present exactly when the type needs them. Errors are
raised as Wagtail block errors, so the admin shows them next to the offending field.
"""

from __future__ import annotations

import re

from django.forms.utils import ErrorList
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail import blocks
from wagtail.blocks.list_block import ListBlockValidationError
from wagtail.blocks.struct_block import StructBlockValidationError


class FieldType:
    TEXT = "text"
    CHOICE = "choice"
    MULTIPLE = "multiple"
    SCALE = "scale"
    DATE = "date"

    CHOICES = [
        (TEXT, _("text")),
        (CHOICE, _("choice (one)")),
        (MULTIPLE, _("multiple choice")),
        (SCALE, _("scale (1 to 5)")),
        (DATE, _("date")),
    ]
    WITH_CHOICES = (CHOICE, MULTIPLE)


#: A grid field's name is its storage key in each observation's answers: short, stable, ASCII.
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,49}")

SCALE_MIN, SCALE_MAX = 1, 5


def split_choices(text: str) -> list[str]:
    """One choice per line; blank lines and surrounding spaces ignored."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class GridFieldBlock(blocks.StructBlock):
    name = blocks.CharBlock(
        label=_("name"),
        max_length=50,
        help_text=_("Identifier kept with each answer: lowercase letters, digits, _ (e.g. hebergement_ue)."),
    )
    label = blocks.CharBlock(label=_("label"), max_length=200)
    field_type = blocks.ChoiceBlock(label=_("type"), choices=FieldType.CHOICES, default=FieldType.TEXT)
    choices = blocks.TextBlock(
        label=_("choices"), required=False, help_text=_("For a choice field: one choice per line.")
    )
    required = blocks.BooleanBlock(label=_("required"), required=False)
    help_text = blocks.CharBlock(label=_("help text"), required=False, max_length=300)

    class Meta:
        icon = "form"
        label = _("grid field")

    def clean(self, value):
        value = super().clean(value)
        errors = {}
        if not FIELD_NAME.fullmatch(value.get("name") or ""):
            errors["name"] = ErrorList(
                [_("Use lowercase letters, digits and _ only, starting with a letter (at most 50).")]
            )
        choices = split_choices(value.get("choices"))
        if value.get("field_type") in FieldType.WITH_CHOICES:
            if not choices:
                errors["choices"] = ErrorList([_("A choice field needs at least one choice, one per line.")])
            elif len({choice.casefold() for choice in choices}) != len(choices):
                errors["choices"] = ErrorList([_("Two choices are the same.")])
        elif choices:
            errors["choices"] = ErrorList([_("Only choice fields have choices.")])
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value


class ObservationGridBlock(blocks.ListBlock):
    """The typed fields every observation logged under this protocol answers."""

    def __init__(self, **kwargs):
        super().__init__(GridFieldBlock(), **kwargs)

    def clean(self, value):
        value = super().clean(value)
        seen: dict[str, int] = {}
        block_errors = {}
        for index, field in enumerate(value):
            name = field.get("name")
            if name in seen:
                block_errors[index] = StructBlockValidationError(
                    block_errors={
                        "name": ErrorList(
                            [_("Another field of the grid is already named « %(name)s ».") % {"name": name}]
                        )
                    }
                )
            seen.setdefault(name, index)
        if block_errors:
            raise ListBlockValidationError(block_errors=block_errors)
        return value

    class Meta:
        icon = "table"
        label = capfirst(_("observation grid"))


class GuideQuestionBlock(blocks.StructBlock):
    question = blocks.TextBlock(label=_("question"))
    probes = blocks.ListBlock(
        blocks.CharBlock(label=_("probe"), max_length=300), label=_("follow-up probes"), default=[]
    )

    class Meta:
        icon = "help"
        label = _("question")


class InterviewGuideBlock(blocks.ListBlock):
    """The interview guide: ordered questions, each with its follow-up probes."""

    def __init__(self, **kwargs):
        super().__init__(GuideQuestionBlock(), **kwargs)

    class Meta:
        icon = "list-ol"
        label = capfirst(_("interview guide"))


def _section(label) -> blocks.RichTextBlock:
    return blocks.RichTextBlock(
        label=capfirst(label),  # stays lazy: translated when the editor or a page renders it
        features=["h3", "h4", "bold", "italic", "ol", "ul", "link", "blockquote"],
    )


#: Section keys in their reading order; the diff and the templates follow it.
SECTION_ORDER = (
    "objectives",
    "research_questions",
    "method",
    "sampling",
    "ethics",
    "data_management",
    "observation_grid",
    "interview_guide",
)


class ProtocolBodyBlock(blocks.StreamBlock):
    # Section names carry a context: « method » is also a decision rule's voting method elsewhere.
    objectives = _section(pgettext_lazy("protocol section", "objectives"))
    research_questions = _section(pgettext_lazy("protocol section", "research questions"))
    method = _section(pgettext_lazy("protocol section", "method"))
    sampling = _section(pgettext_lazy("protocol section", "sampling"))
    ethics = _section(pgettext_lazy("protocol section", "ethics & consent"))
    data_management = _section(pgettext_lazy("protocol section", "data management"))
    observation_grid = ObservationGridBlock()
    interview_guide = InterviewGuideBlock()

    class Meta:
        block_counts = {"observation_grid": {"max_num": 1}, "interview_guide": {"max_num": 1}}


def grid_definitions(body) -> list[dict]:
    """The observation grid of a protocol body as plain dicts (empty when it has none)."""
    for child in body or ():
        if child.block_type == "observation_grid":
            return [
                {
                    "name": field["name"],
                    "label": field["label"],
                    "type": field["field_type"],
                    "choices": split_choices(field["choices"]),
                    "required": bool(field["required"]),
                    "help_text": field.get("help_text") or "",
                }
                for field in child.value
            ]
    return []


def guide_questions(body) -> list[dict]:
    """The interview guide of a protocol body as plain dicts: question and probes, in order."""
    for child in body or ():
        if child.block_type == "interview_guide":
            return [{"question": item["question"], "probes": list(item["probes"])} for item in child.value]
    return []


__all__ = [
    "SECTION_ORDER",
    "FieldType",
    "ProtocolBodyBlock",
    "grid_definitions",
    "guide_questions",
    "split_choices",
]
