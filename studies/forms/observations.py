"""Logging and editing an observation, filtering the list of observations.

Every choice offered is scoped to the study: its bureau's collectives, its own codes. An id forged
from another bureau or study is not in the field's queryset, so it is refused as a field error.
Consent is checked here as well as hidden in lists: logging against a collective without a current
`observation` consent is refused with a message naming what is missing.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from commons.models import Membership
from participants.formfields import SearchQueryField, VisibleTextMixin
from participants.models import Collective, ConsentRecord, ConsentScope, display_name
from studies.models.observations import CODED_WITH_DEFINITION

from .. import grid
from ..models import AITool, Code, Observation, ProtocolVersion, Purpose, StudyPage
from ..models.coding import safe_colour
from .base import DateInput, FollowsProtocolVersion


def bureau_collectives(study: StudyPage):
    """The study's bureau's collectives, each annotated with `observation_consent` (in force now)."""
    consent = ConsentRecord.objects.in_force(ConsentScope.OBSERVATION, collective=OuterRef("pk"))
    return Collective.objects.filter(bureau_id=study.bureau.pk).annotate(observation_consent=Exists(consent))


class CollectiveChoiceField(forms.ModelChoiceField):
    """Collectives named « C-03 — real name » (these forms are for the study team only)."""

    def label_from_instance(self, obj: Collective) -> str:
        label = f"{obj.code} — {obj.name}"
        if getattr(obj, "observation_consent", True) is False:
            label += " " + str(_("(no observation consent)"))
        return label


class CodeChoiceIterator(ModelChoiceIterator):
    """Hands the template each code with a checked colour (`choice.data.value.instance.chip_colour`)."""

    def choice(self, obj: Code):
        obj.chip_colour = safe_colour(obj.colour)
        return super().choice(obj)


class CodeChoiceField(forms.ModelMultipleChoiceField):
    iterator = CodeChoiceIterator


class ObservationForm(VisibleTextMixin, FollowsProtocolVersion, forms.ModelForm):
    """Log an observation. `study` scopes the collectives and codes; consent is checked on the collective."""

    purposes = forms.MultipleChoiceField(
        label=_("purposes"),
        choices=Purpose.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("« %(value)s » is not one of the listed purposes.")},
    )
    codes = CodeChoiceField(
        label=_("codes"),
        queryset=Code.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Codes for the whole note (excerpts are coded on the observation page)."),
        error_messages={"invalid_choice": _("This code does not belong to this study.")},
    )

    class Meta:
        model = Observation
        fields = [
            "observed_on",
            "collective",
            "setting",
            "title",
            "body",
            "ai_tools",
            "purposes",
            "visibility",
        ]
        field_classes = {"collective": CollectiveChoiceField}
        widgets = {
            "observed_on": DateInput(),
            "ai_tools": forms.CheckboxSelectMultiple,
            "body": forms.Textarea(attrs={"rows": 14}),
        }
        error_messages = {
            "collective": {"invalid_choice": _("This collective does not belong to this study's bureau.")},
            "setting": {"invalid_choice": _("« %(value)s » is not one of the listed settings.")},
            "ai_tools": {"invalid_choice": _("This AI tool is not in the registry.")},
        }
        help_texts = {
            "body": _("Markdown: **bold**, *italics*, lists, links. Use « Preview » to see the result."),
        }

    def __init__(self, *args, study: StudyPage, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.study = study
        self.fields["collective"].queryset = bureau_collectives(study)
        self.fields["collective"].empty_label = _("Choose a collective")
        self.fields["ai_tools"].queryset = AITool.objects.order_by("name")
        self.fields["ai_tools"].required = False
        self.fields["codes"].queryset = Code.objects.filter(study=study).order_by("name")
        self.fields["body"].required = True
        settings = [choice for choice in self.fields["setting"].choices if choice[0] != ""]
        self.fields["setting"].choices = [("", _("Choose a setting")), *settings]
        if self.instance.pk and not self.is_bound:
            self.initial["codes"] = [item.tag_id for item in self.instance.coded_items.all()]
        self._add_grid(study)

    def _add_grid(self, study: StudyPage) -> None:
        """The questions of the grid in force, after the common fields (`studies.grid`).

        A new observation follows the live protocol version; an edited one keeps the version it
        was logged under, so its answers are edited against the questions they answered
        (`FollowsProtocolVersion`).
        """
        self.follow_protocol(study)
        self.grid = self.protocol_version.grid if self.protocol_version else []
        self.fields.update(grid.form_fields(self.grid))
        if self.instance.pk and not self.is_bound:
            self.initial.update(grid.initial_from(self.instance.grid_answers, self.grid))

    @property
    def common_fields(self) -> list:
        return [field for field in self.visible_fields() if not field.name.startswith(grid.PREFIX)]

    @property
    def grid_fields(self) -> list:
        return [field for field in self.visible_fields() if field.name.startswith(grid.PREFIX)]

    def save(self, commit: bool = True) -> Observation:
        self.instance.grid_answers = grid.answers_from(self.cleaned_data, self.grid)
        return super().save(commit=commit)

    def clean_collective(self) -> Collective:
        collective = self.cleaned_data["collective"]
        # The choice comes from `bureau_collectives`, annotated with its consent under the same rule.
        if collective is not None and not collective.observation_consent:
            raise forms.ValidationError(
                _(
                    "The collective %(code)s has no (or no longer any) « observation » consent in force: "
                    "record its consent before logging what you observed there."
                ),
                code="no_consent",
                params={"code": collective.code},
            )
        return collective

    def clean_purposes(self) -> list[str]:
        # Stored in the order of the choices, whatever the order posted.
        chosen = set(self.cleaned_data["purposes"])
        return [value for value in Purpose.values if value in chosen]


class ObservationEditForm(ObservationForm):
    """The same form, carrying the version it was opened at (optimistic locking) and the note as it was."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={
            "required": _("The form lost its version number: reload the page."),
            "invalid": _("The form lost its version number: reload the page."),
        },
    )
    base_body = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
            self.initial["base_body"] = self.instance.body


class ObservationFilterForm(forms.Form):
    """The list's filters (GET). Invalid values are reported and ignored; the valid ones still apply."""

    q = SearchQueryField(label=_("Search"), required=False, max_length=200)
    collective = CollectiveChoiceField(
        label=_("Collective"), queryset=Collective.objects.none(), required=False
    )
    ai_tool = forms.ModelChoiceField(label=_("AI tool"), queryset=AITool.objects.none(), required=False)
    purpose = forms.ChoiceField(label=_("Purpose"), required=False)
    code = forms.ModelChoiceField(label=_("Code"), queryset=Code.objects.none(), required=False,
                                  help_text=CODED_WITH_DEFINITION)
    observer = forms.ModelChoiceField(label=_("Observer"), queryset=None, required=False)
    protocol_version = forms.ModelChoiceField(
        label=_("Protocol version"), queryset=ProtocolVersion.objects.none(), required=False
    )
    date_from = forms.DateField(label=_("Observed from"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Observed until"), required=False, widget=DateInput())

    def __init__(self, *args, study: StudyPage, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["collective"].queryset = Collective.objects.filter(bureau_id=study.bureau.pk)
        self.fields["collective"].empty_label = _("All")
        self.fields["ai_tool"].queryset = AITool.objects.order_by("name")
        self.fields["ai_tool"].empty_label = _("All")
        self.fields["purpose"].choices = [("", _("All")), *Purpose.choices]
        self.fields["code"].queryset = Code.objects.filter(study=study).order_by("name")
        self.fields["code"].empty_label = _("All")
        # The bureau's members, past ones included (they may have logged notes). Asking which users
        # have an observation in the study scans the observations: 340 ms at 100,000 on SQLite.
        observers = get_user_model().objects.filter(
            Exists(Membership.objects.filter(bureau_id=study.bureau.pk, user=OuterRef("pk")))
        )
        self.fields["observer"].queryset = observers.select_related("bec_profile").order_by("pk")
        self.fields["observer"].label_from_instance = display_name
        self.fields["observer"].empty_label = _("All")
        self.fields["protocol_version"].queryset = ProtocolVersion.objects.filter(
            protocol__in=Page.objects.child_of(study)
        ).order_by("number")
        self.fields["protocol_version"].empty_label = _("All")

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> dict:
        """The valid, non-empty filters (call after `is_valid()`)."""
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items() if value}
