"""Form pieces every app uses against hostile or careless input.

- `VisibleTextMixin`: a required text field made only of invisible characters is missing
  (`participants.text.is_blank`), on any form, model forms' generated fields included.
- `SearchQueryField`: a search box whose cleaned value is only words (`participants.text.search_terms`),
  so no query syntax reaches the search backend.
- `column_max_length`: a plain form field mirroring a model column takes the column's limit, so a
  value the column cannot hold is a form error, never a database error.

Numbers too large for any column are handled below the forms (`commons.lookups`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from .text import is_blank, search_terms

__all__ = ["SearchQueryField", "VisibleTextMixin", "column_max_length"]


def column_max_length(model: type[models.Model], field_name: str) -> int:
    """The `max_length` of `model.field_name`: the limit a form field mirroring it must not exceed."""
    limit = model._meta.get_field(field_name).max_length
    if limit is None:
        raise ValueError(f"{model.__name__}.{field_name} has no max_length")
    return limit


class VisibleTextMixin:
    """Form mixin: a required text field whose value shows nothing is reported as required.

    `str.strip()` (what `CharField` does) leaves zero-width spaces, the word joiner, the BOM and
    other format characters; this check runs after every field's own cleaning, on every required
    `CharField` of the form (declared or generated from the model).
    """

    def clean(self) -> dict:
        cleaned = super().clean()
        for name, field in self.fields.items():
            if (
                field.required
                and isinstance(field, forms.CharField)
                and isinstance(cleaned.get(name), str)
                and is_blank(cleaned[name])
            ):
                self.add_error(name, forms.ValidationError(field.error_messages["required"], code="required"))
        return cleaned


class SearchQueryField(forms.CharField):
    """A search box: cleans to the words typed (no quotes, operators or brackets reach the backend)."""

    def clean(self, value):
        # The length limit applies to what was typed; the search itself only sees the words.
        return search_terms(super().clean(value))


# --- Selects written in Python -----------------------------------------------------------------------


def _attributes(attrs: dict) -> str:
    """What django/forms/widgets/attrs.html writes."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class _WrittenInPython:
    """Django's select, written in Python instead of through its templates.

    Through django/forms/widgets/select.html and select_option.html every option is an included
    template: the analysis filters' ~170 options took a quarter of an analysis page's time, and the
    codebook (a parent and a merge select of every code, for every code) grows with the square of
    the codes. Same HTML, byte for byte (tests/studies/test_analysis_cache.py).
    """

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> str:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attributes(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in group_choices:
                parts.append(
                    f'\n  <option value="{conditional_escape(option["value"])}"'
                    f"{_attributes(option['attrs'])}>{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))


class QuickSelect(_WrittenInPython, forms.Select):
    """`forms.Select`, written in Python."""


class QuickSelectMultiple(_WrittenInPython, forms.SelectMultiple):
    """`forms.SelectMultiple`, written in Python."""
