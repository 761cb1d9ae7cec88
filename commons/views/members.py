"""The members page of a bureau: who is in it, in which role and college; coordinators manage it here.

Access: the page is for the bureau's members (`@member_required`), its actions for coordinators
(`@coordinator_required`); both from `commons.permissions`.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from participants.models import LeaveRequest, display_name

from .. import actions, changes, invitations, permissions
from ..forms import InvitationForm, MembershipForm
from ..models import BureauPage, Invitation, Membership, Proposal
from ..models.governance import ProposalKind, Status
from ..permissions import coordinator_required, member_required
from .confirm import confirm_page


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
        "by_vote": changes.is_governed(bureau.pk, ProposalKind.MEMBERSHIP),
    }
    if context["by_vote"]:
        # Invitations and exclusions under vote (drafts too, for coordinators): one query.
        statuses = (Status.DRAFT, Status.OPEN) if can_manage else (Status.OPEN,)
        context["pending_changes"] = list(
            Proposal.objects.filter(bureau=bureau, kind=ProposalKind.MEMBERSHIP, status__in=statuses)
            .only("pk", "title", "status", "closes_at")
            .order_by("pk")
        )
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
        # Members who asked to leave the platform: coordinators confirm the erasure from here.
        asked = dict(
            LeaveRequest.objects.filter(user_id__in=[item.user_id for item in memberships]).values_list(
                "user_id", "asked_at"
            )
        )
        context["leaving"] = [
            (item, asked[item.user_id], display_name(item.user))
            for item in memberships
            if item.user_id in asked
        ]
    return render(request, "commons/members.html", context, status=status)


@member_required
def members_page(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    return _render(request, bureau)


@require_POST
@coordinator_required
def invite(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    form = InvitationForm(request.POST, bureau=bureau)
    if not form.is_valid():
        # A message at the top of the page, the errors next to the form (the form posts to « #invite »).
        messages.error(request, _("The invitation was not sent: see the form « Invite someone » below."))
        return _render(request, bureau, invite_form=form, status=400)
    data = form.cleaned_data
    if changes.is_governed(bureau.pk, ProposalKind.MEMBERSHIP):
        return _propose(
            request,
            bureau,
            {
                "op": "invite",
                "email": data["email"],
                "role": data["role"],
                "college": data["college"].pk if data["college"] else None,
            },
            title=_("Invite %(email)s") % {"email": data["email"]},
        )
    invitations.invite(request, bureau, data["email"], data["role"], data["college"])
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": data["email"]})
    return redirect(_members_url(bureau))


def _propose(request: HttpRequest, bureau: BureauPage, payload: dict, *, title: str) -> HttpResponse:
    """Membership under governance: the change becomes a proposal; its page is where it goes on."""
    try:
        proposal = actions.propose_change(
            bureau,
            request.user,
            kind=ProposalKind.MEMBERSHIP,
            payload=payload,
            title=title,
            body=_(
                "A membership change put to the vote, as the bureau's decision rules require. "
                "It applies once adopted."
            ),
        )
    except actions.GovernanceError as error:
        messages.error(request, str(error))
        return redirect(_members_url(bureau))
    messages.success(
        request,
        _("Proposal « %(title)s » submitted to the vote: it applies once adopted.")
        % {"title": proposal.title},
    )
    return redirect(bureau.url + bureau.reverse_subpage("proposal_detail", args=[proposal.pk]))


def _membership_or_404(bureau: BureauPage, membership_id: int) -> Membership:
    membership = (
        Membership.objects.active().filter(bureau=bureau, pk=membership_id).select_related("user").first()
    )
    if membership is None:
        raise Http404(_("No such member in this bureau."))
    return membership


@require_POST
@coordinator_required
def edit_membership(request: HttpRequest, bureau: BureauPage, membership_id: int) -> HttpResponse:
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


@require_http_methods(["GET", "POST"])
@coordinator_required
def remove_membership(request: HttpRequest, bureau: BureauPage, membership_id: int) -> HttpResponse:
    """GET asks first (what ending a membership does); POST ends it, or proposes it under governance."""
    by_vote = changes.is_governed(bureau.pk, ProposalKind.MEMBERSHIP)
    if request.method == "GET":
        membership = _membership_or_404(bureau, membership_id)
        name = _display_name(membership)
        if by_vote:
            return confirm_page(
                request,
                bureau,
                title=_("Propose to end the membership of %(name)s") % {"name": name},
                consequence=_(
                    "The bureau decides memberships by vote: this opens a proposal. %(name)s is told, may "
                    "comment, and does not vote on it. If it is adopted, %(name)s will no longer vote, read "
                    "the proposals nor edit the bureau's pages."
                )
                % {"name": name},
                confirm_label=_("Yes, put it to the vote"),
                cancel_url=_members_url(bureau),
            )
        return confirm_page(
            request,
            bureau,
            title=_("End the membership of %(name)s") % {"name": name},
            consequence=_(
                "%(name)s will no longer vote, read the proposals nor edit the bureau's pages. Their past "
                "ballots and contributions stay. To come back, they need a new invitation."
            )
            % {"name": name},
            confirm_label=_("Yes, end the membership"),
            cancel_url=_members_url(bureau),
        )
    if by_vote:
        membership = _membership_or_404(bureau, membership_id)
        return _propose(
            request,
            bureau,
            {"op": "exclude", "membership": membership.pk},
            title=_("End the membership of %(name)s") % {"name": _display_name(membership)},
        )
    with transaction.atomic():
        membership = _membership_or_404(bureau, membership_id)
        if membership.is_last_coordinator():
            messages.error(request, _("The bureau needs at least one coordinator."))
            return redirect(_members_url(bureau))
        membership.left_at = timezone.now()
        membership.save(update_fields=["left_at"])
    permissions.forget_memberships(request.user)
    messages.success(request, _("%(name)s has left the bureau.") % {"name": _display_name(membership)})
    return redirect(_members_url(bureau))


@require_http_methods(["GET", "POST"])
@coordinator_required
def revoke_invitation(request: HttpRequest, bureau: BureauPage, invitation_id: int) -> HttpResponse:
    """GET asks first; POST withdraws the invitation."""
    if request.method == "GET":
        invitation = Invitation.objects.pending().filter(bureau=bureau, pk=invitation_id).first()
        if invitation is None:
            raise Http404(_("No such pending invitation in this bureau."))
        return confirm_page(
            request,
            bureau,
            title=_("Withdraw the invitation of %(email)s") % {"email": invitation.email},
            consequence=_("The link sent to %(email)s will no longer work; you can invite the address again.")
            % {"email": invitation.email},
            confirm_label=_("Yes, withdraw the invitation"),
            cancel_url=_members_url(bureau),
        )
    updated = (
        Invitation.objects.pending().filter(bureau=bureau, pk=invitation_id).update(revoked_at=timezone.now())
    )
    if not updated:
        raise Http404(_("No such pending invitation in this bureau."))
    messages.success(request, _("Invitation withdrawn."))
    return redirect(_members_url(bureau))


def _display_name(membership: Membership) -> str:
    return display_name(membership.user)
