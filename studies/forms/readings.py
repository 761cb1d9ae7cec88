"""The reading form: which reference of the bureau's library, and the team's notes on it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from commons.models import Reference

from ..models import Reading


class ReadingForm(forms.ModelForm):
    """A new reading: a reference of the study's bureau not read yet in this study, and notes."""

    reference = forms.ModelChoiceField(label=_("Reference"), queryset=Reference.objects.none())

    class Meta:
        model = Reading
        fields = ["reference", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 12})}

    def __init__(self, *args, study, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.study = study
        read = Reading.objects.filter(study=study).values("reference_id")
        self.fields["reference"].queryset = (
            Reference.objects.filter(bureau_id=study.bureau.pk).exclude(pk__in=read).order_by("key")
        )
        self.fields["notes"].required = False


class ReadingEditForm(forms.ModelForm):
    """The notes of a reading, with the version they were opened at (a stale save is refused)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    class Meta:
        model = Reading
        fields = ["notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 16})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
