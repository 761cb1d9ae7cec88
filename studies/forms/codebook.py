"""The codebook page's forms: a code (new or edited) and a merge. They parse the request only; the
rules themselves (names, colours, parents, merges) are in `studies.codebook`.

A code is chosen by id in a <select>; the form resolves it against the study's codes handed to it,
so an id of another study is a field error.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from participants.formfields import QuickSelect, column_max_length

from ..models import Code
from ..models.coding import DEFAULT_COLOUR

#: The help text of the memo form on a code (`studies.forms.MemoForm`).
CODE_MEMO_HELP = gettext_lazy("An analytic note on this code: what it gathers, doubts, links. Markdown.")


class _CodeChoiceField(forms.IntegerField):
    """A code of this study chosen in a <select>; the form resolves the id against the page's codes."""

    # Every code's edit and merge forms list every code: written in Python, not an included
    # template per option (the page grew with the square of the codes).
    widget = QuickSelect


class _StudyCodesForm(forms.Form):
    def __init__(self, *args, codes: dict[int, Code], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.codes = codes

    def _code(self, field: str, message: str) -> Code | None:
        value = self.cleaned_data.get(field)
        if value is None:
            return None
        code = self.codes.get(value)
        if code is None:
            raise forms.ValidationError(message)
        return code


class CodeForm(_StudyCodesForm):
    name = forms.CharField(
        label=gettext_lazy("Name"), required=False, max_length=column_max_length(Code, "name")
    )
    parent = _CodeChoiceField(label=gettext_lazy("Placed under"), required=False)
    colour = forms.CharField(
        label=gettext_lazy("Colour"), required=False, initial=DEFAULT_COLOUR,
        max_length=column_max_length(Code, "colour"),
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    definition = forms.CharField(
        label=gettext_lazy("Definition"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("When to apply this code, with an example if useful. Markdown."),
    )

    def set_choices(self, choices: list[tuple[str, str]]) -> None:
        self.fields["parent"].widget.choices = [("", _("— none: a family of its own —")), *choices]

    def clean_parent(self) -> Code | None:
        return self._code("parent", _("Choose the parent among the codes of this study."))


class MergeForm(_StudyCodesForm):
    target = _CodeChoiceField(label=gettext_lazy("Merge into"))

    def set_choices(self, choices: list[tuple[str, str]]) -> None:
        self.fields["target"].widget.choices = [("", "—"), *choices]

    def clean_target(self) -> Code | None:
        return self._code("target", _("Choose the code to merge into among the codes of this study."))
