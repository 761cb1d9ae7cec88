"""The members page of a bureau: who is in it, in which role and college; coordinators manage it here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import invitations, permissions
from ..forms import InvitationForm, MembershipForm, is_last_coordinator
from ..models import BureauPage, Invitation, Membership


def _deny(request: HttpRequest) -> HttpResponse:
    """Anonymous visitors are sent to the login page; signed-in outsiders get a 403."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied(_("This page is reserved for the bureau's members."))


def _members_url(bureau: BureauPage) -> str:
    return bureau.url + bureau.reverse_subpage("members")


def _render(
    request: HttpRequest,
    bureau: BureauPage,
    *,
    invite_form: InvitationForm | None = None,
    edit_forms: dict[int, MembershipForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    membership = permissions.membership_for(request.user, bureau)
    can_manage = permissions.can_manage_members(request.user, bureau, membership)
    colleges = list(bureau.colleges.all())
    memberships = list(
        bureau.memberships.active()
        .select_related("user", "user__bec_profile", "college")
        .order_by("role", "user__bec_profile__display_name", "user__email")
    )
    context = {
        "page": bureau,
        "self": bureau,
        "membership": membership,
        "can_manage": can_manage,
        "memberships": memberships,
        "colleges": colleges,
    }
    if can_manage:
        edit_forms = edit_forms or {}
        for item in memberships:
            item.form = edit_forms.get(item.pk) or MembershipForm(
                bureau=bureau, colleges=colleges, membership=item, prefix=f"m{item.pk}"
            )
        context["invite_form"] = invite_form or InvitationForm(bureau=bureau, colleges=colleges)
        context["invitations"] = list(
            bureau.invitations.pending().select_related("college", "invited_by").order_by("-created_at")
        )
    return render(request, "commons/members.html", context, status=status)


def members_page(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    if not permissions.can_view_members(request.user, bureau):
        return _deny(request)
    return _render(request, bureau)


def _manageable(request: HttpRequest, bureau: BureauPage) -> HttpResponse | None:
    if not permissions.can_manage_members(request.user, bureau):
        return _deny(request)
    return None


@require_POST
def invite(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    if denied := _manageable(request, bureau):
        return denied
    form = InvitationForm(request.POST, bureau=bureau)
    if not form.is_valid():
        return _render(request, bureau, invite_form=form, status=400)
    data = form.cleaned_data
    invitations.invite(request, bureau, data["email"], data["role"], data["college"])
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": data["email"]})
    return redirect(_members_url(bureau))


def _membership_or_404(bureau: BureauPage, membership_id: int) -> Membership:
    membership = (
        Membership.objects.active().filter(bureau=bureau, pk=membership_id).select_related("user").first()
    )
    if membership is None:
        raise Http404(_("No such member in this bureau."))
    return membership


@require_POST
def edit_membership(request: HttpRequest, bureau: BureauPage, membership_id: int) -> HttpResponse:
    if denied := _manageable(request, bureau):
        return denied
    membership = _membership_or_404(bureau, membership_id)
    form = MembershipForm(request.POST, bureau=bureau, membership=membership, prefix=f"m{membership.pk}")
    if not form.is_valid():
        messages.error(request, _("The membership was not changed: see the errors below."))
        return _render(request, bureau, edit_forms={membership.pk: form}, status=400)
    membership.role = form.cleaned_data["role"]
    membership.college = form.cleaned_data["college"]
    membership.save(update_fields=["role", "college"])
    permissions.forget_memberships(request.user)
    messages.success(request, _("Membership of %(name)s updated.") % {"name": _display_name(membership)})
    return redirect(_members_url(bureau))


@require_POST
def remove_membership(request: HttpRequest, bureau: BureauPage, membership_id: int) -> HttpResponse:
    if denied := _manageable(request, bureau):
        return denied
    with transaction.atomic():
        membership = _membership_or_404(bureau, membership_id)
        if is_last_coordinator(membership):
            messages.error(request, _("The bureau needs at least one coordinator."))
            return redirect(_members_url(bureau))
        membership.left_at = timezone.now()
        membership.save(update_fields=["left_at"])
    permissions.forget_memberships(request.user)
    messages.success(request, _("%(name)s has left the bureau.") % {"name": _display_name(membership)})
    return redirect(_members_url(bureau))


@require_POST
def revoke_invitation(request: HttpRequest, bureau: BureauPage, invitation_id: int) -> HttpResponse:
    if denied := _manageable(request, bureau):
        return denied
    updated = (
        Invitation.objects.pending().filter(bureau=bureau, pk=invitation_id).update(revoked_at=timezone.now())
    )
    if not updated:
        raise Http404(_("No such pending invitation in this bureau."))
    messages.success(request, _("Invitation withdrawn."))
    return redirect(_members_url(bureau))


def _display_name(membership: Membership) -> str:
    from participants.models import display_name

    return display_name(membership.user)
