"""Admin forms and listing filters for collectives, informants and consent.

Every choice of a bureau, collective, informant or consent form is limited to what the person
manages (`commons.admin_participants.scoping`): an id of another bureau's object, even forged in the POST,
is an invalid choice and nothing is saved.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets import BooleanRadioSelect

from participants.formfields import VisibleTextMixin
from participants.models import Collective, ConsentForm, ConsentRecord, ConsentScope, Informant

from .scoping import bureaus_for, collectives_for, consent_forms_for, informants_for


def _collective_label(collective: Collective) -> str:
    return f"{collective.code} — {collective.name}"


def _informant_label(informant: Informant) -> str:
    return f"{informant.pseudonym} — {_collective_label(informant.collective)}"


class BureauScopedForm(VisibleTextMixin, WagtailAdminModelForm):
    """Limits the model choice fields named in `scoped_fields` to what `for_user` manages."""

    #: field name -> function of the user returning the queryset of allowed choices
    scoped_fields: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user or AnonymousUser()
        for name, queryset_for in self.scoped_fields.items():
            if name in self.fields:
                self.fields[name].queryset = queryset_for(user)


class CollectiveAdminForm(BureauScopedForm):
    scoped_fields = {"bureau": bureaus_for}

    class Meta:
        widgets = {"bureau": forms.Select}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("bureau")
        if field is None:
            return
        field.label = _("bureau")
        if self.instance.pk:
            # The pseudonym code is numbered within the bureau: a collective stays where it is.
            field.disabled = True
            field.help_text = _("A collective stays in its bureau: its pseudonym code is numbered there.")
        else:
            field.help_text = _("Its pseudonym code (C-01, C-02…) is assigned when it is saved.")
            only = list(field.queryset.values_list("pk", flat=True)[:2])
            if len(only) == 1:
                field.initial = only[0]


class InformantAdminForm(BureauScopedForm):
    scoped_fields = {"collective": lambda user: collectives_for(user).order_by("bureau", "code")}

    class Meta:
        widgets = {"collective": forms.Select}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "collective" in self.fields:
            self.fields["collective"].label_from_instance = _collective_label


class ConsentFormAdminForm(BureauScopedForm):
    scoped_fields = {"bureau": bureaus_for}

    class Meta:
        widgets = {"bureau": forms.Select}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "bureau" in self.fields:
            self.fields["bureau"].label = _("bureau")


class ConsentRecordAdminForm(BureauScopedForm):
    """Consent of a collective or of an informant: one of the two, scopes as checkboxes."""

    scoped_fields = {
        "form": consent_forms_for,
        "collective": lambda user: collectives_for(user).order_by("bureau", "code"),
        "informant": lambda user: informants_for(user).select_related("collective"),
    }

    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=ConsentScope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What the collective or the informant agreed to."),
    )

    class Meta:
        widgets = {"form": forms.Select, "collective": forms.Select, "informant": forms.Select}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "collective" in self.fields:
            self.fields["collective"].label = _("collective")
            self.fields["collective"].label_from_instance = _collective_label
        if "informant" in self.fields:
            self.fields["informant"].label = _("informant")
            self.fields["informant"].label_from_instance = _informant_label

    def save(self, commit: bool = True):
        """A new record remembers who entered it (their « Mes données » lists it)."""
        if self.instance.pk is None and getattr(self.for_user, "is_authenticated", False):
            self.instance.entered_by = self.for_user
        return super().save(commit)

    def clean_scopes(self) -> list[str]:
        chosen = set(self.cleaned_data.get("scopes") or [])
        return [value for value in ConsentScope.values if value in chosen]  # stored in a stable order

    def clean(self):
        cleaned = super().clean()
        collective, informant = cleaned.get("collective"), cleaned.get("informant")
        if (collective is None) == (informant is None) and not (
            self.has_error("collective") or self.has_error("informant")
        ):
            self.add_error(None, _("A consent is given by a collective or by an informant (one of the two)."))
        given_at, withdrawn_at = cleaned.get("given_at"), cleaned.get("withdrawn_at")
        if given_at and withdrawn_at and withdrawn_at < given_at:
            self.add_error("withdrawn_at", _("A consent cannot be withdrawn before it was given."))
        form = cleaned.get("form")
        who = collective or (informant.collective if informant else None)
        if form is not None and who is not None and form.bureau_id != who.bureau_id:
            message = _("This consent form belongs to another bureau than %(who)s.") % {"who": who.code}
            self.add_error("form", message)
        return cleaned

    def _post_clean(self):
        # The model's clean() and its check constraint repeat the rules of clean() above: on an
        # invalid form they would only add the same messages again.
        if self._errors:
            return
        super()._post_clean()


# --- Listing filters ------------------------------------------------------------------------------


def _bureaus(request):
    return bureaus_for(request.user if request else None)


def _collectives(request):
    return collectives_for(request.user if request else None)


def _consent_forms(request):
    return consent_forms_for(request.user if request else None)


class CollectiveFilterSet(WagtailFilterSet):
    bureau = django_filters.ModelChoiceFilter(label=_("bureau"), queryset=_bureaus)

    class Meta:
        model = Collective
        fields = ["legal_form", "size_band", "bureau"]


class InformantFilterSet(WagtailFilterSet):
    bureau = django_filters.ModelChoiceFilter(
        label=_("bureau"), field_name="collective__bureau", queryset=_bureaus
    )
    collective = django_filters.ModelChoiceFilter(label=_("collective"), queryset=_collectives)

    class Meta:
        model = Informant
        fields = ["bureau", "collective"]


class ConsentFormFilterSet(WagtailFilterSet):
    bureau = django_filters.ModelChoiceFilter(label=_("bureau"), queryset=_bureaus)

    class Meta:
        model = ConsentForm
        fields = ["bureau"]


class ConsentRecordFilterSet(WagtailFilterSet):
    scope = django_filters.ChoiceFilter(
        label=_("scope"),
        choices=ConsentScope.choices,
        method="filter_scope",
        widget=forms.RadioSelect,
        empty_label=_("All"),
    )
    withdrawn = django_filters.BooleanFilter(
        label=pgettext_lazy("consent", "withdrawn"), method="filter_withdrawn", widget=BooleanRadioSelect
    )
    form = django_filters.ModelChoiceFilter(label=_("form version"), queryset=_consent_forms)

    class Meta:
        model = ConsentRecord
        fields = ["scope", "withdrawn", "form"]

    def filter_scope(self, queryset, name, value):
        return queryset.covering(value) if value else queryset

    def filter_withdrawn(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(withdrawn_at__isnull=not value)
