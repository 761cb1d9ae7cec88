"""Forms of the assessment pages: opening an assessment, answering one criterion.

Choices come from the data: the adopted versions of the bureau's referentials, the collectives
consenting to « assessment » (by pseudonym code only), the version's scale. The level is never
pre-selected: a new answer shows no level chosen.
"""

from __future__ import annotations

from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from participants.models import Collective, ConsentRecord, ConsentScope

from ..models import Criterion, ReferentialVersion, StudyPage, VersionStatus
from ..models.assessment import DMR
from .base import DateInput

TEXT_MAX = 5000


class SubjectChoiceField(forms.ModelChoiceField):
    """Collectives by pseudonym code and public attributes, never by name."""

    def label_from_instance(self, obj: Collective) -> str:
        return " — ".join(part for part in (obj.code, obj.get_legal_form_display(), obj.sector) if part)


class NewAssessmentForm(forms.Form):
    version = forms.ModelChoiceField(
        queryset=ReferentialVersion.objects.none(), label=_("Referential version")
    )
    collective = SubjectChoiceField(
        queryset=Collective.objects.none(),
        required=False,
        label=_("Subject"),
        empty_label=_("the bureau itself"),
        help_text=_("Only the collectives that consent to being assessed are offered."),
    )
    assessed_on = forms.DateField(label=_("Date of the assessment"), widget=DateInput())

    def __init__(self, study: StudyPage, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = ReferentialVersion.objects.filter(
            referential__bureau_id=study.bureau.pk, status=VersionStatus.ADOPTED
        ).select_related("referential")
        consenting = ConsentRecord.objects.in_force(ConsentScope.ASSESSMENT, collective=OuterRef("pk"))
        self.fields["collective"].queryset = Collective.objects.filter(bureau_id=study.bureau.pk).filter(
            Exists(consenting)
        )


DMR_CHOICES = [("", _("not said")), *DMR.choices]


class AnswerForm(forms.Form):
    level = forms.ChoiceField(label=_("Level"), widget=forms.RadioSelect, required=False)
    justification = forms.CharField(
        label=_("Why not applicable"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    documents = forms.ChoiceField(
        label=_("Documents describing the method"), choices=DMR_CHOICES, required=False
    )
    documents_text = forms.CharField(
        label=_("Which documents, where"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    means = forms.ChoiceField(label=_("Means allocated"), choices=DMR_CHOICES, required=False)
    means_text = forms.CharField(
        label=_("Which means"), required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    results = forms.ChoiceField(label=_("Observable results"), choices=DMR_CHOICES, required=False)
    results_text = forms.CharField(
        label=_("Which results, how observed"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, version: ReferentialVersion, criterion: Criterion, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(level["code"], level["label"]) for level in version.rule["levels"]]
        if criterion.not_applicable_allowed:
            choices.append(("na", _("not applicable")))
        self.fields["level"].choices = choices
        if not version.dmr:
            for name in ("documents", "documents_text", "means", "means_text", "results", "results_text"):
                del self.fields[name]


class EvidenceForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    url = forms.URLField(label=_("Link"), required=False, max_length=500, assume_scheme="https")
    file = forms.FileField(
        label=_("File"), required=False, help_text=_("PDF, image or office document; 20 MB at most.")
    )
    dated = forms.DateField(label=_("Dated"), required=False, widget=DateInput())
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DateInput())
    personal_data = forms.BooleanField(label=_("It holds personal data"), required=False)
