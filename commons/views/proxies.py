"""Proxies (« procurations »): give one, for a vote or until revoked, and revoke it.

Every change goes through `commons.actions` (`give_proxy`, `revoke_proxy`); a refusal is shown with
the page re-rendered (status 400), nothing changed. Using a proxy is voting: the proposal page's
ballot panel (`proposals.vote` with `on_behalf_of`).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from participants.models import display_name

from .. import actions, permissions
from ..models import BureauPage, Membership, Proposal, Proxy
from ..permissions import voter_required
from .confirm import confirm_page


def proxies_url(bureau: BureauPage) -> str:
    return bureau.url + bureau.reverse_subpage("proxies")


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 10**18 else None


def proxy_candidates(bureau: BureauPage, user, membership: Membership | None) -> list[tuple[int, str]]:
    """The voting members who may hold `user`'s proxy: their own college, themselves excepted."""
    if membership is None:
        return []
    rows = (
        Membership.objects.voting()
        .filter(bureau=bureau, college_id=membership.college_id)
        .exclude(user=user)
        .select_related("user", "user__bec_profile")
    )
    return sorted(((m.user_id, display_name(m.user)) for m in rows), key=lambda row: row[1].casefold())


@require_http_methods(["GET", "POST"])
@voter_required()
def proxies(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    """My proxies: the one I give until revoked, those I give for one vote, those I hold.

    POST gives one: `holder` (a member id) and, for one vote only, `proposal`. From the proposal
    page, a refusal re-renders that page with the reason.
    """
    membership = permissions.membership_for(request.user, bureau)
    error, status = "", 200
    if request.method == "POST":
        holder_id = _int(request.POST.get("holder"))
        holder = get_user_model().objects.filter(pk=holder_id).first() if holder_id else None
        proposal = None
        if request.POST.get("proposal"):
            proposal = Proposal.objects.filter(bureau=bureau, pk=_int(request.POST["proposal"]) or 0).first()
            if proposal is None:
                raise Http404(_("No such proposal in this bureau."))
        try:
            if holder is None:
                raise actions.GovernanceError(_("Choose the member who will vote for you."))
            actions.give_proxy(bureau, request.user, holder, proposal)
        except actions.GovernanceError as exc:
            if proposal is not None and permissions.can_view_proposal(request.user, bureau, proposal):
                from .proposals import _refused

                proposal.bureau = bureau
                return _refused(request, bureau, proposal, membership, str(exc), proxy_error=str(exc))
            error, status = str(exc), 400
        else:
            name = display_name(holder)
            if proposal is not None:
                messages.success(
                    request, _("%(name)s may now vote for you on this proposal.") % {"name": name}
                )
                from .proposals import detail_url

                return redirect(detail_url(bureau, proposal) + "#proxy")
            messages.success(
                request, _("%(name)s may now vote for you until you revoke it.") % {"name": name}
            )
            return redirect(proxies_url(bureau))
    mine = list(
        Proxy.objects.active()
        .filter(bureau=bureau, giver=request.user)
        .select_related("holder", "holder__bec_profile", "proposal")
    )
    held = list(
        Proxy.objects.active()
        .filter(bureau=bureau, holder=request.user)
        .select_related("giver", "giver__bec_profile", "proposal")
    )
    for proxy in mine:
        proxy.holder_name = display_name(proxy.holder)
    for proxy in held:
        proxy.giver_name = display_name(proxy.giver)
    default_rule = bureau.decision_rules.filter(is_default=True).first()
    context = {
        "page": bureau,
        "self": bureau,
        "membership": membership,
        "standing": next((p for p in mine if p.proposal_id is None), None),
        "for_votes": [p for p in mine if p.proposal_id is not None],
        "held": held,
        "candidates": proxy_candidates(bureau, request.user, membership),
        "limit": default_rule.max_proxies_per_holder if default_rule else 0,
        "error": error,
    }
    return render(request, "commons/proxies.html", context, status=status)


@require_http_methods(["GET", "POST"])
@voter_required()
def proxy_revoke(request: HttpRequest, bureau: BureauPage, proxy_id: int) -> HttpResponse:
    """GET asks first; POST revokes. Only the member who gave the proxy finds it here (else 404)."""
    proxy = (
        Proxy.objects.active()
        .filter(bureau=bureau, pk=proxy_id, giver=request.user)
        .select_related("holder", "holder__bec_profile", "proposal")
        .first()
    )
    if proxy is None:
        raise Http404(_("No such proxy of yours in this bureau."))
    name = display_name(proxy.holder)
    if request.method == "GET":
        consequence = (
            _("%(name)s will no longer vote for you on « %(title)s ».")
            % {"name": name, "title": proxy.proposal.title}
            if proxy.proposal_id
            else _("%(name)s will no longer vote for you.") % {"name": name}
        )
        return confirm_page(
            request,
            bureau,
            title=_("Revoke the proxy given to %(name)s") % {"name": name},
            consequence=consequence
            + " "
            + _("A ballot already cast for you stays until you vote yourself while the vote runs."),
            confirm_label=_("Yes, revoke the proxy"),
            cancel_url=proxies_url(bureau),
        )
    try:
        actions.revoke_proxy(proxy, request.user)
    except actions.GovernanceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The proxy is revoked."))
    return redirect(proxies_url(bureau))
