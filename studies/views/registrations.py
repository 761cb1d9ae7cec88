"""Registered protocol versions: the public, permanent page, and proposing a registration.

The registration page shows the text as stored at registration (`Registration.content_html`, the
output of the site's own protocol template over the version's revision, which the SHA-256 covers),
never re-rendered: templates may change, the registered text does not. Proposing drafts a vote
(`studies.registrations.propose_registration`); only an adopted vote registers.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from commons.actions import GovernanceError
from commons.models.governance import ProposalKind
from commons.views.confirm import confirm_page
from commons.views.decisions import decision_url
from commons.views.proposals import detail_url

from .. import permissions
from ..models import ProtocolPage, ProtocolVersion, Registration
from ..registrations import pending_registration, propose_registration
from .protocol import _base_context, _get_version, _Urls


def _stored_text(registration: Registration) -> SafeString:
    """The registered text as stored: HTML our protocol template produced from Wagtail's sanitised
    rich text at registration (no visitor input is rendered here), shown byte for byte so that its
    SHA-256 can be checked against the page."""
    return mark_safe(registration.content_html)  # noqa: S308 - our template's output, hashed


@permissions.public
def registration(request: HttpRequest, page: ProtocolPage, number: int) -> HttpResponse:
    """The registered version `number`: full text, date, decision and SHA-256 (404 if not registered)."""
    found = Registration.objects.filter(protocol=page, number=number).select_related("decision").first()
    if found is None:
        raise Http404(_("Version %(n)s of this protocol is not registered.") % {"n": number})
    urls = _Urls(request, page)
    context = _base_context(request, page, urls)
    context.update(
        {
            "pending_vote": None,  # the registered text is not what any vote is about to change
            "registration": found,
            "text": _stored_text(found),
            "intact": found.intact,
            "decision_url": decision_url(context["bureau"], found.decision.sequence),
            "version_url": urls.version(found.number),
        }
    )
    return render(request, "studies/protocol/registration.html", context)


@require_http_methods(["GET", "POST"])
@permissions.protocol_contributor_required(_("Observers do not propose registrations."))
def propose(request: HttpRequest, page: ProtocolPage, number: int) -> HttpResponse:
    """GET explains what registering means; POST drafts the registration vote and opens its page."""
    version = _get_version(page, number)
    urls = _Urls(request, page)
    study, bureau = page.study, page.study.bureau
    if request.method == "POST":
        try:
            proposal = propose_registration(version, request.user)
        except GovernanceError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The registration is proposed: a coordinator opens the vote."))
            return redirect(detail_url(bureau, proposal))
    response = confirm_page(
        request,
        study,
        title=_("Propose the registration of version %(n)s") % {"n": version.number},
        consequence=_(
            "A vote of the bureau decides it. Once adopted, the full text of this version, its date, the "
            "decision and its SHA-256 fingerprint are published on a permanent page that nobody can "
            "withdraw or edit."
        ),
        confirm_label=_("Propose the registration"),
        cancel_url=urls.version(version.number),
    )
    if request.method == "POST":
        response.status_code = 400
    return response


def commitments(request: HttpRequest, page: ProtocolPage, version: ProtocolVersion | None, bureau) -> dict:
    """The side panel of a protocol page about `version`: its registration (or the way to propose
    one), and the protocol's lineage (« derived from … » / « taken up by … »). Bounded queries."""
    from commons import permissions as commons_permissions

    from .forks import lineage

    context: dict = {"lineage": lineage(request, page)}
    if version is None:
        return context
    base = page.get_url(request) or ""
    found = Registration.objects.filter(version=version).only("pk", "number", "registered_at").first()
    context["registration"] = found
    if found is not None:
        context["registration_url"] = base + page.reverse_subpage("registration", args=[found.number])
        return context
    pending = pending_registration(version)
    if pending is not None and commons_permissions.can_view_proposal(request.user, bureau, pending):
        context["pending_registration_url"] = detail_url(bureau, pending)
    elif (
        pending is None
        and request.user.is_authenticated
        and permissions.can_contribute(request.user, page.study)
    ):
        context["register_url"] = base + page.reverse_subpage("register", args=[version.number])
    return context


def proposal_registration(request: HttpRequest, proposal) -> SafeString | None:
    """On a « registration » proposal page: the version it would register (hook `bec_proposal_changes`)."""
    if proposal.kind != ProposalKind.REGISTRATION or proposal.target_id is None:
        return None
    version = ProtocolVersion.objects.filter(pk=proposal.target_id).select_related("protocol").first()
    if version is None:
        return None
    protocol = version.protocol
    found = Registration.objects.filter(version=version).only("pk", "number", "sha256", "protocol_id").first()
    base = protocol.get_url(request) or ""
    context = {
        "version": version,
        "protocol": protocol,
        "version_url": base + protocol.reverse_subpage("version", args=[version.number]),
        "registration": found,
        "registration_url": base + protocol.reverse_subpage("registration", args=[version.number])
        if found
        else None,
    }
    return render_to_string("studies/protocol/proposal_registration.html", context, request=request)


__all__ = ["commitments", "proposal_registration", "propose", "registration"]
