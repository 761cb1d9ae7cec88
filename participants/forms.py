"""Profile forms. `SignupProfileForm` extends allauth's sign-up form (ACCOUNT_SIGNUP_FORM_CLASS)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .formfields import VisibleTextMixin, column_max_length
from .models import MemberProfile, StakeholderCategory


class SignupProfileForm(VisibleTextMixin, forms.Form):
    """The profile fields asked at sign-up; allauth calls `signup()` once the user exists."""

    display_name = forms.CharField(
        label=_("Name shown to other members"), max_length=column_max_length(MemberProfile, "display_name")
    )
    category = forms.ChoiceField(label=_("You are"), choices=StakeholderCategory.choices)
    organisation = forms.CharField(
        label=_("Organisation"), max_length=column_max_length(MemberProfile, "organisation"), required=False
    )

    def signup(self, request, user) -> None:
        MemberProfile.objects.update_or_create(
            user=user,
            defaults={
                "display_name": self.cleaned_data["display_name"].strip(),
                "category": self.cleaned_data["category"],
                "organisation": self.cleaned_data.get("organisation", "").strip(),
            },
        )


class ProfileForm(VisibleTextMixin, forms.ModelForm):
    class Meta:
        model = MemberProfile
        fields = ["display_name", "category", "organisation", "bio", "email_notifications"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 5})}
