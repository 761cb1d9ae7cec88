"""Forms of the resources page: proposing a resource, and the public page's filters (GET)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Resource
from ..models.resources import Audience, ResourceKind, ResourceLanguage

MAX_THEMES = 8


class ResourceForm(forms.ModelForm):
    """A member proposes a resource; it stays with the bureau until published."""

    url = forms.URLField(label=_("link"), max_length=500, assume_scheme="https")
    #: Plain text split on commas only: taggit's own field splits a single « protection des données »
    #: on its spaces and shows multi-word themes between quotes when editing.
    themes = forms.CharField(
        label=_("themes"),
        required=False,
        max_length=1000,
        help_text=_("Comma-separated, e.g. « frugality, data protection »."),
    )

    class Meta:
        model = Resource
        fields = ["title", "kind", "summary", "url", "licence", "language", "audience", "themes"]
        help_texts = {
            "licence": _("E.g. « CC BY-SA 4.0 », « proprietary », « unknown »."),
        }
        widgets = {"summary": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["themes"] = ", ".join(sorted(self.instance.themes.names(), key=str.casefold))

    def clean_summary(self) -> str:
        summary = (self.cleaned_data.get("summary") or "").strip()
        if not summary:
            raise forms.ValidationError(_("Say in a few words what the resource offers."))
        return summary

    def clean_themes(self) -> list[str]:
        found: dict[str, str] = {}  # one theme per spelling, whatever its case (taggit compares so)
        for theme in (self.cleaned_data.get("themes") or "").split(","):
            if theme.strip():
                found.setdefault(theme.strip().casefold(), theme.strip())
        themes = list(found.values())
        if len(themes) > MAX_THEMES:
            raise forms.ValidationError(_("At most %(n)d themes.") % {"n": MAX_THEMES})
        if any(len(theme) > 100 for theme in themes):
            raise forms.ValidationError(_("A theme has at most 100 characters."))
        return themes


def _blank(choices) -> list[tuple[str, str]]:
    return [("", _("all")), *choices]


class ResourceFilterForm(forms.Form):
    """The public page's filters; an unknown value is reported and that filter left out."""

    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_blank(ResourceKind.choices))
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=_blank(ResourceLanguage.choices)
    )
    audience = forms.ChoiceField(label=_("Audience"), required=False, choices=_blank(Audience.choices))
    theme = forms.CharField(label=_("Theme"), required=False, max_length=100)

    def filters(self) -> dict[str, str]:
        """The valid, non-empty filters ({field: value}), whatever the form's errors."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
