"""The agreement page's form: which two coders to compare (read from the query string)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

COMPARE_ERROR = gettext_lazy(
    "Choose a member of this bureau who has coded excerpts in this study (%(value)s is not one)."
)


class CoderPairForm(forms.Form):
    """Two different coders among the bureau members who coded in the study (read from GET)."""

    coder_a = forms.TypedChoiceField(
        label=gettext_lazy("Coder A"), coerce=int, error_messages={"invalid_choice": COMPARE_ERROR}
    )
    coder_b = forms.TypedChoiceField(
        label=gettext_lazy("Coder B"), coerce=int, error_messages={"invalid_choice": COMPARE_ERROR}
    )

    def __init__(self, *args, coders: list, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (
                str(coder.pk),
                ngettext("%(name)s (%(count)s excerpt)", "%(name)s (%(count)s excerpts)", coder.excerpt_count)
                % {"name": coder.name, "count": coder.excerpt_count},
            )
            for coder in coders
        ]
        for name in ("coder_a", "coder_b"):
            self.fields[name].choices = choices

    def clean(self):
        data = super().clean()
        if data.get("coder_a") is not None and data.get("coder_a") == data.get("coder_b"):
            raise forms.ValidationError(
                _("Choose two different coders: a coder's agreement with themselves means nothing."),
                code="same_coder",
            )
        return data
