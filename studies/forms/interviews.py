"""The form that adds an interview to a study (`studies.views.interviews`).

Choices are scoped to the study: the informants offered belong to the collectives of the study's
bureau; an id forged from another bureau is not in the field's queryset, so it is refused as a
field error. Consent is checked here, by the same rule as everywhere (`has_consent`): an informant
without a current `interview` consent is refused with a message naming what is missing, and a
recording is refused unless the informant's `recording` consent is in force as well.
"""

from __future__ import annotations

from django import forms
from django.db.models import BooleanField, ExpressionWrapper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.formfields import VisibleTextMixin
from participants.models import ConsentRecord, ConsentScope, Informant

from ..models import Interview, StudyPage
from ..uploads import check_recording, recording_formats
from .base import DateInput, FollowsProtocolVersion

#: An interview longer than a day is a typing error.
MAX_DURATION = 24 * 60


def bureau_informants(study: StudyPage):
    """Informants of the study's bureau's collectives, annotated with their consents in force now."""

    def consent(scope: str):
        # The informant's and their collective's: the rule of `Interview.objects.consented()`.
        return ExpressionWrapper(ConsentRecord.objects.given_for(scope, informant="pk"), BooleanField())

    return (
        Informant.objects.filter(collective__bureau_id=study.bureau.pk)
        .select_related("collective")
        .annotate(
            interview_consent=consent(ConsentScope.INTERVIEW),
            recording_consent=consent(ConsentScope.RECORDING),
        )
        .order_by("collective__code", "pseudonym")
    )


class InformantChoiceField(forms.ModelChoiceField):
    """Informants named « pseudonym (C-03) — role »; the missing consents are shown next to them."""

    def label_from_instance(self, obj: Informant) -> str:
        label = f"{obj.pseudonym} ({obj.collective.code})"
        if obj.role:
            label += f" — {obj.role}"
        if getattr(obj, "interview_consent", True) is False:
            label += " " + str(_("(no interview consent)"))
        elif getattr(obj, "recording_consent", True) is False:
            label += " " + str(_("(no recording consent)"))
        return label


class InterviewForm(VisibleTextMixin, FollowsProtocolVersion, forms.ModelForm):
    """Add an interview. `study` scopes the informants; consent is checked on the informant; the
    interview follows the guide of the protocol version in force (`FollowsProtocolVersion`)."""

    recording = forms.FileField(
        label=_("recording"),
        required=False,
        help_text=_(
            "Optional. A sound or video file; kept in the bureau's documents and shown to the study team "
            "only, while the informant's « recording » consent is in force."
        ),
        error_messages={"empty": _("The recording file is empty.")},
    )

    class Meta:
        model = Interview
        fields = ["informant", "conducted_on", "mode", "duration_minutes", "title", "transcript"]
        field_classes = {"informant": InformantChoiceField}
        widgets = {
            "conducted_on": DateInput(),
            "transcript": forms.Textarea(attrs={"rows": 18}),
            "duration_minutes": forms.NumberInput(attrs={"min": 1, "max": MAX_DURATION}),
        }
        error_messages = {
            "informant": {
                "required": _("Choose the informant who was interviewed."),
                "invalid_choice": _("This informant does not belong to a collective of this study's bureau."),
            },
            "mode": {"invalid_choice": _("« %(value)s » is not one of the listed modes.")},
            "conducted_on": {"invalid": _("Enter the date of the interview as YYYY-MM-DD.")},
            "duration_minutes": {"invalid": _("The duration is a whole number of minutes.")},
            "title": {"required": _("Give the interview a title.")},
            "transcript": {"required": _("The transcript is empty.")},
        }
        help_texts = {
            "transcript": _(
                "Markdown: **bold**, *italics*, lists. Excerpts are coded on the interview's page."
            ),
            "duration_minutes": _("In minutes (optional)."),
        }

    def __init__(self, *args, study: StudyPage, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.study = study
        self.follow_protocol(study)
        self.fields["informant"].queryset = bureau_informants(study)
        self.fields["informant"].empty_label = _("Choose an informant")
        self.fields["transcript"].required = True
        formats = recording_formats()
        self.fields["recording"].widget.attrs["accept"] = ",".join(f".{ext}" for ext in formats)

    def clean_informant(self) -> Informant:
        informant = self.cleaned_data["informant"]
        # The choice comes from `bureau_informants`, annotated with its consents under the same rule.
        if informant is not None and not informant.interview_consent:
            collective = informant.collective
            if not ConsentRecord.objects.in_force(ConsentScope.INTERVIEW, collective=collective).exists():
                raise forms.ValidationError(
                    _(
                        "The collective %(code)s has no (or no longer any) « interview » consent in force: "
                        "its informants cannot be interviewed for the study until it consents."
                    ),
                    code="no_consent",
                    params={"code": informant.collective.code},
                )
            raise forms.ValidationError(
                _(
                    "%(pseudonym)s (%(code)s) has no (or no longer any) « interview » consent in force: "
                    "record their consent before adding the interview."
                ),
                code="no_consent",
                params={"pseudonym": informant.pseudonym, "code": informant.collective.code},
            )
        return informant

    def clean_conducted_on(self):
        day = self.cleaned_data["conducted_on"]
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError(_("The interview cannot be dated in the future."), code="future")
        return day

    def clean_duration_minutes(self):
        minutes = self.cleaned_data["duration_minutes"]
        if minutes is not None and not 1 <= minutes <= MAX_DURATION:
            raise forms.ValidationError(
                _("The duration is between 1 and %(max)s minutes."),
                code="duration",
                params={"max": MAX_DURATION},
            )
        return minutes

    def clean_recording(self):
        upload = self.cleaned_data.get("recording")
        # Extension, size and content (sniffed from the first bytes): `studies.uploads`.
        return check_recording(upload) if upload else None

    def clean(self) -> dict:
        data = super().clean()
        informant, upload = data.get("informant"), data.get("recording")
        if upload and informant is not None and not informant.recording_consent:
            self.add_error(
                "recording",
                forms.ValidationError(
                    _(
                        "%(pseudonym)s (%(code)s) has no « recording » consent in force: the recording "
                        "cannot be kept. Record their consent first, or add the interview without it."
                    ),
                    code="no_recording_consent",
                    params={"pseudonym": informant.pseudonym, "code": informant.collective.code},
                ),
            )
        return data
