"""Who may see and do what in a study: the one place for these rules (views, templates, admin).

The study team is the owning bureau's active members: everyone on it reads observations, interviews,
the codebook, excerpts and agreement; observers read only; coordinators and members write. Outsiders
never see team content: anonymous visitors are sent to the login page, signed-in outsiders get 404
(the team pages of a study are not advertised). An interview's recording is for the team only,
and only while the informant's and their collective's `recording` consents are in force
(`can_hear_recording`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from commons import permissions as commons_permissions
from commons.models import Role

from .models import StudyPage
from .sources import KINDS


def membership(user, study: StudyPage):
    """The user's active membership in the study's bureau, or None (cached per request)."""
    return commons_permissions.membership_for(user, study.bureau)


# The membership lookup is cached on the user object for the request
# (`commons.permissions.membership_for`), so a view asking several questions pays one query: the
# policies take no « already fetched membership » argument.


def is_team(user, study: StudyPage) -> bool:
    """Reads team content: any active member of the bureau (observers included), or a platform admin."""
    return commons_permissions.is_platform_admin(user) or membership(user, study) is not None


def can_contribute(user, study: StudyPage) -> bool:
    """Logs observations, codes, writes memos: coordinators and members (not observers)."""
    if commons_permissions.is_platform_admin(user):
        return True
    found = membership(user, study)
    return found is not None and found.votes


def can_manage_codebook(user, study: StudyPage) -> bool:
    """Creates, renames, moves and merges codes: contributors (codebook changes may later go to a vote)."""
    return can_contribute(user, study)


def can_import_exchange(user, study: StudyPage) -> bool:
    """Imports a REFI-QDA project or codebook into the study: its bureau's coordinators only.

    An import creates codes, documents and codings in bulk, on behalf of others (imported coders):
    the role that answers for the study's material decides it.
    """
    if commons_permissions.is_platform_admin(user):
        return True
    found = membership(user, study)
    return found is not None and found.role == Role.COORDINATOR


def can_erase(user, study: StudyPage) -> bool:
    """Erases an informant or a collective of the bureau (and sees what retention makes due): its
    coordinators only, the role that answers for the bureau's material (issue 16)."""
    return can_import_exchange(user, study)


def can_erase_party_of(user, bureau_id: int) -> bool:
    """The same rule from the admin, where the party (not a study) names the bureau."""
    if commons_permissions.is_platform_admin(user):
        return True
    if not user.is_authenticated:
        return False
    # Asked once per row of an admin listing: the bureaus are read once per request (per user object).
    if "_bec_coordinated" not in user.__dict__:
        user.__dict__["_bec_coordinated"] = set(commons_permissions.coordinated_bureau_ids(user))
    return bureau_id in user.__dict__["_bec_coordinated"]


def deny(request: HttpRequest) -> HttpResponse:
    """Login page for anonymous visitors; 404 for everyone else (never the content)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise Http404


# --- View decorators: a view states its access with one of these -----------------------------------
#
# A study view is called as ``view(request, study, **captured)`` (`commons.routing`). The decorators
# run the policy before the view, in one order for the whole app: who may see the study's team
# pages (anonymous visitors: the login page; outsiders: 404, whatever the method), then what the
# route names (a source, 404 if it is not there), then whether this person may write (observers:
# 403 with the decorator's message). HTTP method restrictions (`require_POST`) go *under* the access
# decorator, so an outsider never learns more than a 404. Each decorator records what it checks in
# the view's ``bec_access`` attribute; the route test (`tests/studies/test_route_access.py`) refuses
# a route whose view has none.

StudyView = Callable[..., HttpResponse]
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _writes(request: HttpRequest, team_reads: bool) -> bool:
    return not team_reads or request.method not in SAFE_METHODS


def team_required(view: StudyView) -> StudyView:
    """The study team only (observers included): login page for anonymous visitors, else 404."""

    @wraps(view)
    def guarded(request: HttpRequest, study: StudyPage, *args, **kwargs) -> HttpResponse:
        if not is_team(request.user, study):
            return deny(request)
        return view(request, study, *args, **kwargs)

    guarded.bec_access = "team"  # type: ignore[attr-defined]
    return guarded


def contributor_required(
    message: str, *, team_reads: bool = False, policy: Callable[..., bool] | None = None
) -> Callable[[StudyView], StudyView]:
    """As `team_required`, plus a 403 saying `message` to team observers (they read only).

    With ``team_reads=True`` the safe methods (GET, HEAD) are open to the whole team and only the
    others (POST) need a contributor: one route that shows a page and takes its form. `policy`
    names a narrower rule of this module than `can_contribute` (e.g. `can_manage_codebook`).
    """
    allowed = policy or can_contribute

    def decorator(view: StudyView) -> StudyView:
        @wraps(view)
        def guarded(request: HttpRequest, study: StudyPage, *args, **kwargs) -> HttpResponse:
            if not is_team(request.user, study):
                return deny(request)
            if _writes(request, team_reads) and not allowed(request.user, study):
                raise PermissionDenied(message)
            return view(request, study, *args, **kwargs)

        access = "team reads, contributors write" if team_reads else "contributor"
        guarded.bec_access = access  # type: ignore[attr-defined]
        return guarded

    return decorator


def source_required(
    message: str | None = None, *, team_reads: bool = False
) -> Callable[[StudyView], StudyView]:
    """For the routes of one codable source (``<kind>/<source_id>/...``): the study team only, and the
    source must be one of the study's *consented* sources of the route's kind (else 404, for
    everyone: a withdrawal hides it at once). The view receives ``kind`` (a `SourceKind`) and
    ``source`` (the loaded object) instead of the route's ``kind`` slug and ``source_id``.

    With `message`, writing needs a contributor (observers get a 403 saying it), checked once the
    source is found: a source that is not there is a 404 for observers too. ``team_reads`` as in
    `contributor_required`.
    """

    def decorator(view: StudyView) -> StudyView:
        @wraps(view)
        def guarded(
            request: HttpRequest, study: StudyPage, *args, kind, source_id: int, **kwargs
        ) -> HttpResponse:
            if not is_team(request.user, study):
                return deny(request)
            source_kind = KINDS[kind] if isinstance(kind, str) else kind
            source = source_kind.get(study, source_id)
            writes = message is not None and _writes(request, team_reads)
            if writes and not can_contribute(request.user, study):
                raise PermissionDenied(message)
            return view(request, study, *args, kind=source_kind, source=source, **kwargs)

        access = "team, consented source" + (", contributors write" if message else "")
        guarded.bec_access = access  # type: ignore[attr-defined]
        return guarded

    return decorator


def protocol_contributor_required(message: str) -> Callable[[StudyView], StudyView]:
    """On a protocol's own routes (``view(request, protocol, ...)``): as `contributor_required` for
    the protocol's study — anonymous visitors log in, outsiders get 404, observers a 403 saying
    `message`, whatever the method (these routes act: propose a registration, fork)."""

    def decorator(view: StudyView) -> StudyView:
        @wraps(view)
        def guarded(request: HttpRequest, page, *args, **kwargs) -> HttpResponse:
            study = page.study
            if not is_team(request.user, study):
                return deny(request)
            if not can_contribute(request.user, study):
                raise PermissionDenied(message)
            return view(request, page, *args, **kwargs)

        guarded.bec_access = "protocol's team, contributors"  # type: ignore[attr-defined]
        return guarded

    return decorator


def public(view: StudyView) -> StudyView:
    """Open to everyone, anonymous visitors included (published protocol versions, the AI registry).

    Says so explicitly, so that every view of the app states its access with one decorator. A
    protocol's versions, history and diffs are public (the DESIGN's rule): Wagtail serves only
    live pages, and applies the page's own view restrictions before any route.
    """
    view.bec_access = "public"  # type: ignore[attr-defined]
    return view


def can_see_identities(user, study: StudyPage) -> bool:
    """Real names of collectives and informants' identifying details: the study team proper only.

    Coordinators and members (and platform admins) see them; observers follow the study under
    pseudonyms only (a collective's code, an informant's pseudonym), like everyone outside the
    team. Every page, list, filter, form and export that could name a party asks this.
    """
    if commons_permissions.is_platform_admin(user):
        return True
    found = membership(user, study)
    return found is not None and found.votes


def can_delete_excerpt(user, study: StudyPage, excerpt) -> bool:
    """Removes a coded excerpt: its coder (still a contributor), or a coordinator of the bureau."""
    if commons_permissions.is_platform_admin(user):
        return True
    if not can_contribute(user, study):
        return False
    return membership(user, study).role == Role.COORDINATOR or (
        excerpt.coder_id is not None and excerpt.coder_id == user.pk
    )


def can_hear_recording(user, study: StudyPage, interview) -> bool:
    """Opens an interview's recording: the study team only, and only while the `interview` and
    `recording` consents of the informant and of their collective are all in force (withdrawing any
    of them hides it at once).

    One query (after the membership): the consent rule is `Interview.objects.consented()`, asked for
    both scopes.
    """
    if interview.recording_id is None or interview.study_id != study.pk:
        return False
    if not is_team(user, study):
        return False
    from participants.models import ConsentScope

    from .models import Interview

    heard = Interview.objects.consented().consented(scope=ConsentScope.RECORDING)
    return heard.filter(pk=interview.pk).exists()


def quotable_study_ids(user):
    """Studies whose excerpts `user` may quote in a report: those of the bureaus where they write
    (active coordinators and members; superusers everywhere). A lazy subquery for the chooser."""
    from commons.models import Membership

    studies = StudyPage.objects.all()
    if not user.is_authenticated:
        return studies.none().values("pk")
    if not commons_permissions.is_platform_admin(user):
        from django.db.models import Q

        paths = Membership.objects.voting().filter(user=user).values_list("bureau__path", flat=True)
        condition = Q(pk__in=[])
        for path in paths:
            condition |= Q(path__startswith=path)
        studies = studies.filter(condition)
    return studies.values("pk")


# --- Assessment grids (issue 19) -------------------------------------------------------------------


def can_assess(user, study: StudyPage) -> bool:
    """Opens an assessment and answers its criteria: contributors (coordinators and members)."""
    return can_contribute(user, study)


def can_steer_assessment(user, study: StudyPage) -> bool:
    """Takes an assessment through review and freezes it, upgrades it: the bureau's coordinators."""
    return commons_permissions.can_run_votes(user, study.bureau)
