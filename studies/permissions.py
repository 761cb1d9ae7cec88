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

from .models import StudyPage


def membership(user, study: StudyPage):
    return commons_permissions.membership_for(user, study.bureau)


def is_team(user, study: StudyPage, found=commons_permissions._UNSET) -> bool:
    """Reads team content: any active member of the bureau (observers included), or a platform admin."""
    if commons_permissions.is_platform_admin(user):
        return True
    found = membership(user, study) if found is commons_permissions._UNSET else found
    return found is not None


def can_contribute(user, study: StudyPage, found=commons_permissions._UNSET) -> bool:
    """Logs observations, codes, writes memos: coordinators and members (not observers)."""
    if commons_permissions.is_platform_admin(user):
        return True
    found = membership(user, study) if found is commons_permissions._UNSET else found
    return found is not None and found.votes


def can_manage_codebook(user, study: StudyPage, found=commons_permissions._UNSET) -> bool:
    """Creates, renames, moves and merges codes: contributors (codebook changes may later go to a vote)."""
    return can_contribute(user, study, found)


def deny(request: HttpRequest) -> HttpResponse:
    """Login page for anonymous visitors; 404 for everyone else (never the content)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise Http404


def require_team(request: HttpRequest, study: StudyPage) -> HttpResponse | None:
    """None for the study team; else the login page (anonymous) or a 404 (`deny`)."""
    if not is_team(request.user, study):
        return deny(request)
    return None


def require_contributor(request: HttpRequest, study: StudyPage, observer_message: str) -> HttpResponse | None:
    """As `require_team`, plus a 403 with `observer_message` for team observers (they read only)."""
    if denied := require_team(request, study):
        return denied
    if not can_contribute(request.user, study):
        raise PermissionDenied(observer_message)
    return None


# --- View decorators: a view states its access with one of these -----------------------------------
#
# A study view is called as ``view(request, study, **captured)`` (`commons.routing`). The decorators
# run the policy before the view; the membership lookup is cached per request
# (`commons.permissions.membership_for`), so a view asking again pays nothing.

StudyView = Callable[..., HttpResponse]


def team_required(view: StudyView) -> StudyView:
    """The study team only (observers included): login page for anonymous visitors, else 404."""

    @wraps(view)
    def guarded(request: HttpRequest, study: StudyPage, *args, **kwargs) -> HttpResponse:
        if not is_team(request.user, study):
            return deny(request)
        return view(request, study, *args, **kwargs)

    return guarded


def contributor_required(message: str) -> Callable[[StudyView], StudyView]:
    """As `team_required`, plus a 403 saying `message` to team observers (they read only)."""

    def decorator(view: StudyView) -> StudyView:
        @wraps(view)
        def guarded(request: HttpRequest, study: StudyPage, *args, **kwargs) -> HttpResponse:
            if not is_team(request.user, study):
                return deny(request)
            if not can_contribute(request.user, study):
                raise PermissionDenied(message)
            return view(request, study, *args, **kwargs)

        return guarded

    return decorator


def public(view: StudyView) -> StudyView:
    """Open to everyone, anonymous visitors included (published protocol versions, the AI registry).

    Says so explicitly, so that every view of the app states its access with one decorator.
    """
    view.bec_access = "public"  # type: ignore[attr-defined]
    return view


def can_see_identities(user, study: StudyPage, found=commons_permissions._UNSET) -> bool:
    """Real names of collectives and informants' identifying details: the study team proper only.

    Coordinators and members (and platform admins) see them; observers follow the study under
    pseudonyms only (a collective's code, an informant's pseudonym), like everyone outside the
    team. Every page, list, filter, form and export that could name a party asks this.
    """
    if commons_permissions.is_platform_admin(user):
        return True
    found = membership(user, study) if found is commons_permissions._UNSET else found
    return found is not None and found.votes


def can_delete_excerpt(user, study: StudyPage, excerpt, found=commons_permissions._UNSET) -> bool:
    """Removes a coded excerpt: its coder (still a contributor), or a coordinator of the bureau."""
    if commons_permissions.is_platform_admin(user):
        return True
    found = membership(user, study) if found is commons_permissions._UNSET else found
    if not can_contribute(user, study, found):
        return False
    from commons.models import Role

    return found.role == Role.COORDINATOR or (excerpt.coder_id is not None and excerpt.coder_id == user.pk)


def can_view_protocol(user, protocol) -> bool:
    """The published versions of a protocol, its history and its diffs: everyone (the DESIGN's rule).

    Wagtail serves only live pages, and applies the page's own view restrictions before any route.
    """
    return True


def can_hear_recording(user, study: StudyPage, interview, found=commons_permissions._UNSET) -> bool:
    """Opens an interview's recording: the study team only, and only while the `interview` and
    `recording` consents of the informant and of their collective are all in force (withdrawing any
    of them hides it at once).

    One query (after the membership): the consent rule is `Interview.objects.consented()`, asked for
    both scopes.
    """
    if interview.recording_id is None or interview.study_id != study.pk:
        return False
    if not is_team(user, study, found):
        return False
    from participants.models import ConsentScope

    from .models import Interview

    heard = Interview.objects.consented().consented(scope=ConsentScope.RECORDING)
    return heard.filter(pk=interview.pk).exists()
