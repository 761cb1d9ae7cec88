"""The per-table options of the analysis pages (the filters are `filters.FilterForm`).

Like the filters, a bad value is an error shown on the page and the table is drawn with the
default option instead (never a 500).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from participants.formfields import QuickSelect

from . import cooccurrence, crosstab, frequencies, timeline
from .filters import MAX_ID


def options(form: forms.Form) -> dict:
    """The cleaned options, each field falling back to its initial value when invalid."""
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return {
        name: data[name] if data.get(name) not in (None, "") else field.initial
        for name, field in form.fields.items()
    }


def bound(form_class: type[forms.Form], query) -> forms.Form:
    """`form_class` bound to the query string, its initial values standing in for missing options
    (so the form shows the option in use)."""
    data = query.copy()
    for name, field in form_class.base_fields.items():
        if name not in data and field.initial not in (None, ""):
            data[name] = field.initial
    return form_class(data)


class SegmentPageForm(forms.Form):
    after = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    before = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class FrequencyForm(forms.Form):
    sort = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Sort by"),
        required=False,
        initial="tree",
        choices=[
            ("tree", _("codebook order")),
            ("name", _("name")),
            ("excerpts", _("excerpts")),
            ("sources", _("sources")),
            ("collectives", _("collectives")),
            ("coders", _("coders")),
        ],
    )

    def clean_sort(self) -> str:
        value = self.cleaned_data["sort"]
        return value if value in frequencies.SORTS else "tree"


class CooccurrenceForm(forms.Form):
    unit = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Unit"),
        required=False,
        initial="excerpt",
        choices=[("excerpt", _("overlapping excerpts")), ("source", _("the same source"))],
    )
    limit = forms.IntegerField(
        label=_("Codes shown"), required=False, initial=cooccurrence.DEFAULT_LIMIT, min_value=2, max_value=40
    )


class CrosstabForm(forms.Form):
    rows = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Rows"),
        required=False,
        initial="ai_tool",
        choices=[(key, dimension.label) for key, dimension in crosstab.DIMENSIONS.items()],
    )
    columns = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Columns"),
        required=False,
        initial="purpose",
        choices=[(key, dimension.label) for key, dimension in crosstab.DIMENSIONS.items()],
    )
    limit = forms.IntegerField(
        label=_("Rows and columns shown"), required=False, initial=20, min_value=2, max_value=60
    )


class TimelineForm(forms.Form):
    split = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Split sources by"),
        required=False,
        initial="",
        choices=[
            ("", _("nothing")),
            ("purpose", _("purpose")),
            ("ai_tool", _("AI tool")),
            ("code", _("code")),
        ],
    )

    def clean_split(self) -> str:
        value = self.cleaned_data["split"]
        return value if value in timeline.SPLITS else ""
