"""Forms of the members page. Colleges are limited to the bureau's own, so a forged id is a field error.

What a role allows is asked of the membership model (`role_votes`, `Membership.is_last_coordinator`):
no role is spelled out here.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from participants.formfields import VisibleTextMixin, column_max_length

from ..models import BureauPage, College, Invitation, Membership, Role
from ..models.membership import role_coordinates, role_votes


class _BureauRoleForm(VisibleTextMixin, forms.Form):
    role = forms.ChoiceField(
        label=_("Role"), choices=Role.choices, initial=Membership._meta.get_field("role").default
    )
    college = forms.ModelChoiceField(label=_("College"), queryset=College.objects.none(), required=False)

    def __init__(self, *args, bureau: BureauPage, colleges: list[College] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bureau = bureau
        self.fields["college"].queryset = College.objects.filter(bureau=bureau)
        if colleges is not None:  # reuse the page's list so each form costs no query to render
            self.fields["college"].choices = [("", "---------"), *((c.pk, str(c)) for c in colleges)]
        self.has_colleges = (
            bool(colleges) if colleges is not None else self.fields["college"].queryset.exists()
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        if role_votes(cleaned.get("role")) and self.has_colleges and not cleaned.get("college"):
            self.add_error("college", _("Members and coordinators vote: choose their college."))
        return cleaned


class InvitationForm(_BureauRoleForm):
    # The column's limit (254): a longer address is a form error, not a database error.
    email = forms.EmailField(label=_("Email address"), max_length=column_max_length(Invitation, "email"))
    field_order = ["email", "role", "college"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if Membership.objects.active().filter(bureau=self.bureau, user__email__iexact=email).exists():
            raise forms.ValidationError(_("This person is already a member of the bureau."))
        return email


class MembershipForm(_BureauRoleForm):
    def __init__(self, *args, membership: Membership, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        if not self.is_bound:
            self.initial = {"role": membership.role, "college": membership.college_id}

    def clean_role(self) -> str:
        role = self.cleaned_data["role"]
        if not role_coordinates(role) and self.membership.is_last_coordinator():
            raise forms.ValidationError(_("The bureau needs at least one coordinator."))
        return role

