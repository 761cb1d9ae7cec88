"""Forking a protocol into a new study (`studies.forks.fork_protocol`), and the lineage both pages show."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from wagtail.models import Page

from commons.actions import GovernanceError

from .. import permissions
from ..forks import TITLE_MAX, fork_protocol, fork_targets
from ..models import ProtocolPage, ProtocolVersion
from .protocol import _base_context, _Urls


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 10**18 else None


def lineage(request: HttpRequest, page: ProtocolPage) -> dict:
    """« Derived from … vN » for a fork, « taken up by … » for a source, and the fork link for those
    who may fork (team members who coordinate a bureau). Two queries."""
    out: dict = {"forks": []}
    if page.derived_from_id:
        source = ProtocolVersion.objects.filter(pk=page.derived_from_id).select_related("protocol").first()
        if source is not None:
            protocol = source.protocol
            out["derived_from"] = {
                "title": protocol.get_parent().title if protocol.live else protocol.title,
                "number": source.number,
                "url": (protocol.get_url(request) or "")
                + protocol.reverse_subpage("version", args=[source.number]),
            }
    forks = list(
        ProtocolPage.objects.live()
        .filter(derived_from__protocol=page)
        .select_related("derived_from")
        .order_by("pk")
    )
    # The forks' studies in one query (a page's parent path is its path minus one step).
    studies = {
        study.path: study.title
        for study in Page.objects.filter(path__in=[fork.path[: -fork.steplen] for fork in forks]).only(
            "path", "title"
        )
    }
    for fork in forks:
        out["forks"].append(
            {
                "title": studies.get(fork.path[: -fork.steplen], fork.title),
                "number": fork.derived_from.number,
                "url": fork.get_url(request),
            }
        )
    user = request.user
    if user.is_authenticated and permissions.can_contribute(user, page.study):
        out["fork_url"] = (page.get_url(request) or "") + page.reverse_subpage("fork")
    return out


@require_http_methods(["GET", "POST"])
@permissions.protocol_contributor_required(_("Observers do not fork protocols."))
def fork(request: HttpRequest, page: ProtocolPage) -> HttpResponse:
    """GET: the form (version, target bureau, new study's title); POST: fork, then open the new protocol."""
    urls = _Urls(request, page)
    context = _base_context(request, page, urls)
    versions = list(ProtocolVersion.objects.filter(protocol=page).order_by("-number").only("pk", "number"))
    targets = fork_targets(request.user)
    error, status = "", 200
    values = {"version": str(versions[0].number) if versions else "", "bureau": "", "title": ""}
    if request.method == "POST":
        values = {key: request.POST.get(key, "").strip() for key in values}
        number, bureau_id = _int(values["version"]), _int(values["bureau"])
        version = next((v for v in versions if v.number == number), None)
        bureau = next((b for b in targets if b.pk == bureau_id), None)
        try:
            if version is None:
                raise GovernanceError(_("Choose a published version of the protocol."))
            if bureau is None:
                raise GovernanceError(_("Only a coordinator of the target bureau creates a study there."))
            version.protocol = page
            created = fork_protocol(version, request.user, bureau=bureau, title=values["title"])
        except GovernanceError as exc:
            error, status = str(exc), 400
        else:
            messages.success(
                request,
                _("The new study is created; its protocol starts at v1 from version %(n)s.") % {"n": number},
            )
            return redirect(created.url)
    context.update(
        {"versions": versions, "targets": targets, "values": values, "error": error, "title_max": TITLE_MAX}
    )
    return render(request, "studies/protocol/fork.html", context, status=status)
