"""Leave the platform and be forgotten: the member asks, a coordinator confirms, the account goes.

- `leave` (`/accounts/profile/leave/`): the signed-in member, and nobody else (the view takes no
  identifier), reads what erasure does and what stays, with the counts, and asks (POST
  ``action=ask``); the coordinators of each of their bureaus are emailed and see the request on the
  members page. The member may withdraw the request. They confirm it themselves only when no
  coordinator can (they belong to no bureau) or when nobody has confirmed within
  `BEC_LEAVE_SELF_CONFIRM_DAYS` (a right must not wait on someone else's goodwill).
- `confirm_erasure` (bureau route ``members/<id>/erase/``, coordinators): GET lists what goes and
  what stays, with the counts (`participants.leaving.member_erasure_plan`); POST erases.

Every step is a POST from a plain form (no JavaScript); a GET never changes anything.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from wagtail.log_actions import log

from participants.leaving import LeavingError, erase_member, member_erasure_plan, number_key, refusals
from participants.models import LeaveRequest, departed_label, display_name

from ..leaving import notify_coordinators
from ..models import BureauPage, Membership
from ..permissions import coordinator_required

REQUEST_ACTION = "bec.member.leave_request"


def self_confirm_days() -> int:
    return int(getattr(settings, "BEC_LEAVE_SELF_CONFIRM_DAYS", 30))


def may_confirm_oneself(user, request: LeaveRequest | None) -> bool:
    """The member confirms alone when no coordinator can, or none did within the delay."""
    if request is None:
        return False
    if not Membership.objects.active().filter(user=user).exists():
        return True
    return timezone.now() >= request.asked_at + timedelta(days=self_confirm_days())


def _leave_page(request: HttpRequest, *, status: int = 200, error: str = "") -> HttpResponse:
    user = request.user
    leave_request = LeaveRequest.objects.filter(user=user).first()
    bureaus = list(Membership.objects.active().filter(user=user).select_related("bureau"))
    context = {
        "plan": list(member_erasure_plan(user).items()),
        "refusals": refusals(user),
        "leave_request": leave_request,
        "bureaus": bureaus,
        "may_confirm": may_confirm_oneself(user, leave_request),
        "self_confirm_days": self_confirm_days(),
        "error": error,
    }
    return render(request, "commons/leave.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def leave(request: HttpRequest) -> HttpResponse:
    """GET explains; POST ``action`` = ``ask``, ``withdraw`` or ``confirm`` (the member's own)."""
    if request.method == "GET":
        return _leave_page(request)
    user = request.user
    action = request.POST.get("action", "")
    if action == "ask":
        with transaction.atomic():
            leave_request, created = LeaveRequest.objects.get_or_create(user=user)
            if created:
                log(instance=leave_request, action=REQUEST_ACTION, user=user)
                transaction.on_commit(lambda: notify_coordinators(user), robust=True)
        messages.success(
            request, _("Your request has been recorded; the coordinators of your bureaus are told.")
        )
        return redirect("member_leave")
    if action == "withdraw":
        LeaveRequest.objects.filter(user=user).delete()
        messages.success(request, _("Your request to leave is withdrawn: nothing was erased."))
        return redirect("member_leave")
    if action == "confirm":
        leave_request = LeaveRequest.objects.filter(user=user).first()
        if not may_confirm_oneself(user, leave_request):
            return _leave_page(
                request,
                status=403,
                error=_(
                    "A coordinator of your bureaus confirms the erasure; you cannot confirm it yourself yet."
                ),
            )
        try:
            erase_member(user, by=user)
        except LeavingError as error:
            return _leave_page(request, status=409, error=str(error))
        logout(request)
        messages.success(request, _("Your account has been erased. Goodbye, and thank you."))
        return redirect("/")
    return _leave_page(request, status=400, error=_("Choose one of the buttons of the page."))


def _leaving_membership_or_404(request: HttpRequest, bureau: BureauPage, membership_id: int) -> Membership:
    """An active member of this bureau who asked to leave, other than the coordinator asking."""
    membership = (
        Membership.objects.active()
        .filter(bureau=bureau, pk=membership_id, user__leave_request__isnull=False)
        .exclude(user=request.user)
        .select_related("user", "user__bec_profile", "user__leave_request")
        .first()
    )
    if membership is None:
        raise Http404(_("No request to leave from this member of the bureau."))
    return membership


def _members_url(bureau: BureauPage) -> str:
    return bureau.url + bureau.reverse_subpage("members")


@require_http_methods(["GET", "POST"])
@coordinator_required
def confirm_erasure(request: HttpRequest, bureau: BureauPage, membership_id: int) -> HttpResponse:
    """GET: what goes, what stays, with the counts; POST: erase the account, in one transaction."""
    membership = _leaving_membership_or_404(request, bureau, membership_id)
    user = membership.user
    name = display_name(user)
    if request.method == "POST":
        try:
            done = erase_member(user, by=request.user)
        except LeavingError as error:
            messages.error(request, str(error))
            return redirect(_members_url(bureau) + "#leaving")
        # Not the name: the message may wait in the session store, which must not keep it.
        label = departed_label(done[number_key()])
        messages.success(
            request, _("The account has been erased; its traces now read « %(label)s ».") % {"label": label}
        )
        return redirect(_members_url(bureau))
    context = {
        "page": bureau,
        "self": bureau,
        "name": name,
        "asked_at": user.leave_request.asked_at,
        "plan": list(member_erasure_plan(user).items()),
        "refusals": refusals(user),
        "cancel_url": _members_url(bureau) + "#leaving",
        "action": request.path,
    }
    return render(request, "commons/leave_confirm.html", context)
