"""The codebook and its use: per-study hierarchical codes, codes on observations and on excerpts, memos.

Codes are taggit tags, but a code's name is unique *within its study* (TagBase makes names
globally unique, which would forbid two studies from both having a code « usages »): `name`
and `slug` are redefined without `unique`, and constraints scope them to the study.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from taggit.models import TagBase, TaggedItemBase

from commons.fields import MarkdownField, html_field

DEFAULT_COLOUR = "#1d6b5f"
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


# --- The colour rule: one home for the model, the codebook services, the forms and the views ------


def is_colour(value: str | None) -> bool:
    """A code's colour is written #RRGGBB (six hexadecimal digits, either case)."""
    return bool(value) and _COLOUR.fullmatch(value) is not None


def validate_colour(value: str) -> None:
    """Model-field validator for `is_colour`."""
    if not is_colour(value):
        raise ValidationError(_("A colour is written #RRGGBB."))


def safe_colour(value: str | None) -> str:
    """A code's colour fit for a style attribute: `#RRGGBB`, else the default colour.

    Stored colours are validated, but rows written by other paths (imports, raw SQL, older data)
    must never put arbitrary text into a ``style`` attribute.
    """
    return value if is_colour(value) else DEFAULT_COLOUR


DARK_INK = "#1f2430"
LIGHT_INK = "#ffffff"


def _relative_luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour given as 0–255 channels."""

    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: float, b: float) -> float:
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def ink_on(colour: str | None, tint: float = 1.0) -> str:
    """The text colour to write on a code's colour: dark ink or white, whichever contrasts more.

    `tint` is how much of the colour is mixed with white behind the text (1 = the colour itself), as
    CSS ``color-mix(in srgb, colour tint, #fff)`` draws it. Why: codes carry any colour a user picks,
    and text drawn on it must stay readable (WCAG 2.1 AA) whatever it is — the one place that decides,
    used by every template that draws a user colour behind text (`studies_colours.code_colours`).
    """
    hex_value = safe_colour(colour).lstrip("#")
    rgb = tuple(int(hex_value[i : i + 2], 16) * tint + 255 * (1 - tint) for i in (0, 2, 4))
    background = _relative_luminance(rgb)
    dark = _contrast(background, _relative_luminance((0x1F, 0x24, 0x30)))
    light = _contrast(background, 1.0)
    return DARK_INK if dark >= light else LIGHT_INK


def readable_colours(colour: str | None) -> tuple[str, str]:
    """(background, ink) to draw text on a code's colour at WCAG 2.1 AA (4.5:1).

    The ink is `ink_on` the colour; when even the better ink falls short (mid tones such as
    ``#8e6cc0``), the background is the colour darkened (for white ink) or lightened (for dark ink)
    just enough, so the code stays recognisable and its name readable.
    """
    checked = safe_colour(colour)
    ink = ink_on(checked)
    rgb = [int(checked[i : i + 2], 16) for i in (1, 3, 5)]
    target = 0 if ink == LIGHT_INK else 255
    ink_luminance = 1.0 if ink == LIGHT_INK else _relative_luminance((0x1F, 0x24, 0x30))
    for step in range(21):
        share = step / 20
        mixed = tuple(round(c * (1 - share) + target * share) for c in rgb)
        if _contrast(_relative_luminance(mixed), ink_luminance) >= 4.5:
            return "#{:02x}{:02x}{:02x}".format(*mixed), ink
    return ("#000000" if target == 0 else "#ffffff"), ink


class Code(TagBase):
    study = models.ForeignKey("studies.StudyPage", on_delete=models.CASCADE, related_name="codes")
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, allow_unicode=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent code"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    definition = MarkdownField(_("definition"), html_field="definition_html")
    definition_html = html_field()
    colour = models.CharField(_("colour"), max_length=7, default=DEFAULT_COLOUR, validators=[validate_colour])
    #: Identity in exchanges (REFI-QDA `guid`), unique within the study: an imported codebook is
    #: matched on it before names.
    uuid = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("code")
        verbose_name_plural = _("codes")
        ordering = ["study", "name"]
        constraints = [
            models.UniqueConstraint(fields=["study", "name"], name="unique_code_name_per_study"),
            models.UniqueConstraint(fields=["study", "slug"], name="unique_code_slug_per_study"),
            models.UniqueConstraint(fields=["study", "uuid"], name="unique_code_uuid_per_study"),
        ]

    def clean(self) -> None:
        """A parent belongs to the same study and is neither the code itself nor one of its descendants."""
        if self.parent_id is None:
            return
        if self.parent.study_id != self.study_id:
            raise ValidationError({"parent": _("The parent code belongs to another study.")})
        if self.pk is not None and (self.parent_id == self.pk or self.parent_id in descendant_ids(self)):
            raise ValidationError(
                {"parent": _("A code cannot be placed under itself or one of its sub-codes.")}
            )


# --- The code tree: one walk for the codebook page, the coding pages and the services ---------------


def _reading_key(code: Code) -> tuple[str, str, int]:
    """Codes are read by name as a French reader expects: accents and case set aside first
    (« Éthique » between « autre » and « zèle »), then the casefolded name, then the id for ties.

    Sorted in Python, not by the database: SQLite's ``LOWER`` folds ASCII only and PostgreSQL's
    order depends on the database's collation, so the order would differ between engines.
    """
    name = unicodedata.normalize("NFC", code.name or "").casefold()
    bare = "".join(char for char in unicodedata.normalize("NFD", name) if not unicodedata.combining(char))
    return bare, name, code.pk or 0


def code_tree(codes: Iterable[Code]) -> list[Code]:
    """`codes` (one study's) in reading order: each family (top-level code) by name, followed by
    its sub-codes depth first, siblings by name (`_reading_key`).

    Sets on every code: ``depth`` (0 for a family), ``family`` (its top-level code) and
    ``subtree`` (the ids of the code and all its sub-codes). A code whose parent is not among
    `codes` counts as a family. A cycle cannot be saved (`Code.clean`, the codebook services), but
    if corrupt data holds one, each code of it is still listed once, as a family.
    """
    codes = sorted(codes, key=_reading_key)
    known = {code.pk for code in codes}
    children: dict[int | None, list[Code]] = {}
    for code in codes:
        children.setdefault(code.parent_id if code.parent_id in known else None, []).append(code)
    ordered: list[Code] = []
    seen: set[int] = set()

    def walk(code: Code, depth: int, family: Code) -> set[int]:
        seen.add(code.pk)
        code.depth, code.family = depth, family
        ordered.append(code)
        subtree = {code.pk}
        for child in children.get(code.pk, ()):
            if child.pk not in seen:
                subtree |= walk(child, depth + 1, family)
        code.subtree = subtree
        return subtree

    for root in children.get(None, ()):
        walk(root, 0, root)
    for code in codes:  # only reachable with corrupt data (a cycle)
        if code.pk not in seen:
            walk(code, 0, code)
    return ordered


def descendant_ids(code: Code) -> set[int]:
    """Ids of every sub-code of `code`, at any depth (one query over its study's codes)."""
    if code.pk is None:
        return set()
    codes = Code.objects.filter(study_id=code.study_id).only("pk", "name", "parent_id")
    for node in code_tree(codes):
        if node.pk == code.pk:
            return node.subtree - {code.pk}
    return set()


class CodedObservation(TaggedItemBase):
    """A code applied to a whole observation."""

    tag = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="coded_observations")
    content_object = ParentalKey("studies.Observation", on_delete=models.CASCADE, related_name="coded_items")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tag", "content_object"], name="unique_code_per_observation")
        ]


class Excerpt(models.Model):
    """A character range [start, end) of a source's plain text (observation or interview), by one coder."""

    observation = models.ForeignKey(
        "studies.Observation", null=True, blank=True, on_delete=models.CASCADE, related_name="excerpts"
    )
    interview = models.ForeignKey(
        "studies.Interview", null=True, blank=True, on_delete=models.CASCADE, related_name="excerpts"
    )
    document = models.ForeignKey(
        "studies.Document", null=True, blank=True, on_delete=models.CASCADE, related_name="excerpts"
    )
    reading = models.ForeignKey(
        "studies.Reading", null=True, blank=True, on_delete=models.CASCADE, related_name="excerpts"
    )
    #: Identity in exchanges (REFI-QDA `PlainTextSelection` guid).
    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    #: The coder's name as an imported file gave it, when no member matched (else empty).
    imported_coder = models.CharField(_("imported coder"), max_length=200, blank=True)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField(help_text=_("The excerpt's text when it was coded (used to re-anchor it)."))
    coder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="excerpts"
    )
    codes = models.ManyToManyField(Code, related_name="excerpts")
    memo = models.TextField(_("memo"), blank=True)
    needs_review = models.BooleanField(
        default=False, help_text=_("The note changed and this text was not found.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["observation", "interview", "document", "reading", "start", "end"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="excerpt_not_empty"),
            models.CheckConstraint(
                condition=(
                    models.Q(observation__isnull=False, interview__isnull=True, document__isnull=True,
                             reading__isnull=True)
                    | models.Q(observation__isnull=True, interview__isnull=False, document__isnull=True,
                               reading__isnull=True)
                    | models.Q(observation__isnull=True, interview__isnull=True, document__isnull=False,
                               reading__isnull=True)
                    | models.Q(observation__isnull=True, interview__isnull=True, document__isnull=True,
                               reading__isnull=False)
                ),
                name="excerpt_in_one_source",
            ),
        ]

    def __str__(self) -> str:
        return f"[{self.start}:{self.end}] {self.text[:40]}"


class Memo(models.Model):
    """A researcher's memo on a code, an observation, an interview or a document (exactly one of them)."""

    study = models.ForeignKey("studies.StudyPage", on_delete=models.CASCADE, related_name="memos")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    code = models.ForeignKey(Code, null=True, blank=True, on_delete=models.CASCADE, related_name="memos")
    observation = models.ForeignKey(
        "studies.Observation", null=True, blank=True, on_delete=models.CASCADE, related_name="memos"
    )
    interview = models.ForeignKey(
        "studies.Interview", null=True, blank=True, on_delete=models.CASCADE, related_name="memos"
    )
    document = models.ForeignKey(
        "studies.Document", null=True, blank=True, on_delete=models.CASCADE, related_name="memos"
    )
    reading = models.ForeignKey(
        "studies.Reading", null=True, blank=True, on_delete=models.CASCADE, related_name="memos"
    )
    #: Identity in exchanges (REFI-QDA `Note` guid).
    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    body = MarkdownField(_("memo"), html_field="body_html")
    body_html = html_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(code__isnull=False, observation__isnull=True, interview__isnull=True,
                             document__isnull=True, reading__isnull=True)
                    | models.Q(code__isnull=True, observation__isnull=False, interview__isnull=True,
                               document__isnull=True, reading__isnull=True)
                    | models.Q(code__isnull=True, observation__isnull=True, interview__isnull=False,
                               document__isnull=True, reading__isnull=True)
                    | models.Q(code__isnull=True, observation__isnull=True, interview__isnull=True,
                               document__isnull=False, reading__isnull=True)
                    | models.Q(code__isnull=True, observation__isnull=True, interview__isnull=True,
                               document__isnull=True, reading__isnull=False)
                ),
                name="memo_on_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author} ({self.created_at:%Y-%m-%d})"
