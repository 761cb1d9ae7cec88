"""A member's own profile page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .forms import ProfileForm
from .models import MemberProfile, display_name


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Edit one's profile and see one's bureaus."""
    instance = MemberProfile.objects.filter(user=request.user).first() or MemberProfile(
        user=request.user, display_name=display_name(request.user)
    )
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=instance)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Your profile has been saved."))
            return redirect("participants_profile")
        status = 400
    else:
        status = 200
    memberships = request.user.memberships.active().select_related("bureau", "college")
    return render(
        request, "participants/profile.html", {"form": form, "memberships": memberships}, status=status
    )
