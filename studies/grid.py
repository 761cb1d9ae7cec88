"""The observation grid at work: form fields built from a protocol version, answers stored and shown.

A grid is the list of field definitions snapshotted on a `ProtocolVersion` (see `studies.blocks`).
An observation stores its answers as {field name: JSON value} next to the version it was logged
under, and is always read back through *that* version's grid, so renaming or dropping a field in a
later version never breaks, relabels or hides what was recorded before.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from .blocks import SCALE_MAX, SCALE_MIN, FieldType

PREFIX = "grid__"


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


def form_field(definition: dict) -> forms.Field:
    """The Django form field asking one grid question."""
    common = {
        "label": definition["label"],
        "required": bool(definition.get("required")),
        "help_text": definition.get("help_text") or "",
    }
    kind = definition.get("type")
    choices = [(choice, choice) for choice in definition.get("choices") or ()]
    if kind == FieldType.CHOICE:
        return forms.ChoiceField(
            choices=[("", "—"), *choices],
            error_messages={"invalid_choice": _("« %(value)s » is not one of the choices of this question.")},
            **common,
        )
    if kind == FieldType.MULTIPLE:
        return forms.MultipleChoiceField(
            choices=choices,
            widget=forms.CheckboxSelectMultiple,
            error_messages={"invalid_choice": _("« %(value)s » is not one of the choices of this question.")},
            **common,
        )
    if kind == FieldType.SCALE:
        return forms.TypedChoiceField(
            choices=[("", "—"), *((n, str(n)) for n in range(SCALE_MIN, SCALE_MAX + 1))],
            coerce=int,
            empty_value=None,
            widget=forms.RadioSelect if common["required"] else forms.Select,
            error_messages={"invalid_choice": _("Choose a value from %(min)s to %(max)s.") % {
                "min": SCALE_MIN, "max": SCALE_MAX}},
            **common,
        )
    if kind == FieldType.DATE:
        return forms.DateField(widget=_DateInput(), **common)
    return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), **common)


def form_fields(grid: list[dict]) -> dict[str, forms.Field]:
    return {PREFIX + definition["name"]: form_field(definition) for definition in grid}


def answers_from(cleaned_data: dict, grid: list[dict]) -> dict:
    """The JSON answers of a cleaned form: unanswered optional questions are left out."""
    answers = {}
    for definition in grid:
        value = cleaned_data.get(PREFIX + definition["name"])
        if value in (None, "", []):
            continue
        if isinstance(value, datetime.date):
            value = value.isoformat()
        answers[definition["name"]] = value
    return answers


def initial_from(answers: dict, grid: list[dict]) -> dict:
    """Form initial values for stored answers (the reverse of `answers_from`)."""
    initial = {}
    for definition in grid:
        if definition["name"] in (answers or {}):
            initial[PREFIX + definition["name"]] = answers[definition["name"]]
    return initial


@dataclass
class Answer:
    label: str
    value: str


def _display(definition: dict | None, value) -> str:
    kind = (definition or {}).get("type")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if kind == FieldType.DATE:
        try:
            return formats.date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except (TypeError, ValueError):
            return str(value)
    if kind == FieldType.SCALE:
        return f"{value} / {SCALE_MAX}"
    return str(value)


def displayed_answers(grid: list[dict], answers: dict) -> list[Answer]:
    """The answers in the order and with the labels of the grid they were given under.

    Answers whose field is not in that grid (data imported or edited by hand) are still shown,
    under their stored name, rather than silently dropped.
    """
    answers = dict(answers or {})
    shown = []
    for definition in grid:
        if definition["name"] in answers:
            shown.append(Answer(definition["label"], _display(definition, answers.pop(definition["name"]))))
    shown.extend(Answer(name, _display(None, value)) for name, value in answers.items())
    return shown
