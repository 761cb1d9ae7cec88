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

from django import forms
from django.db import models

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
