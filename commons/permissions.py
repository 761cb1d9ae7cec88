"""Who may do what in a bureau: the one place for these rules, and the guards views state them with.

Views, templates, forms, the admin and (later) the API call these named policy functions; none of
them tests a role (`coordinator`, `member`, `observer`) itself: role words are spelled here and in
the membership model only, so a rule changes in one place. Policies take an optional, already
fetched membership (`UNSET`: look it up) so a caller that needs several answers pays for one query.

A view of a bureau's route (``view(request, bureau, **captured)``, see `commons.routing`) states
its access with ONE decorator from the bottom of this module (`member_required`,
`voter_required(message)`, `coordinator_required`, `vote_runner_required`, `proposal_required`,
`public_register`). They answer as the whole app does: anonymous visitors are sent to the login
page, signed-in people the policy refuses get a 403 saying why (outsiders: the page is for the
bureau's members; members: what their role does not allow), and a proposal they may not see
(another bureau's, a draft of someone else) is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from .models.governance import CLOSED_STATUSES, Proposal, ResultsVisibility, Status
from .models.membership import Membership

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from .models import BureauPage

    User = AbstractBaseUser | AnonymousUser

#: « Not given »: the policy looks the membership up itself (cached per request).
UNSET: Any = object()
#: Former private name, kept while other apps move to `UNSET`.
_UNSET = UNSET
_CACHE_ATTR = "_bec_membership_cache"


def membership_for(user: User, bureau: BureauPage) -> Membership | None:
    """The user's active membership in the bureau, or None. Cached on the user object per request."""
    if not user.is_authenticated:
        return None
    cache: dict[int, Membership | None] = user.__dict__.setdefault(_CACHE_ATTR, {})
    if bureau.pk not in cache:
        cache[bureau.pk] = (
            Membership.objects.active().select_related("college").filter(user=user, bureau=bureau).first()
        )
    return cache[bureau.pk]


def forget_memberships(user: User) -> None:
    """Drop the per-request cache after a membership changed."""
    user.__dict__.pop(_CACHE_ATTR, None)


def _membership(user: User, bureau: BureauPage, membership: object) -> Membership | None:
    return membership_for(user, bureau) if membership is UNSET else membership  # type: ignore[return-value]


def is_platform_admin(user: User) -> bool:
    """Superusers run the platform; they may manage any bureau."""
    return bool(user.is_authenticated and user.is_superuser)


def is_member(user: User, bureau: BureauPage, membership: object = UNSET) -> bool:
    """An active member of the bureau in any role (observers included), or a platform admin."""
    return is_platform_admin(user) or _membership(user, bureau, membership) is not None


def can_view_members(user: User, bureau: BureauPage, membership: object = UNSET) -> bool:
    """The members page is for the bureau's members (every role) only."""
    return is_member(user, bureau, membership)


def can_manage_members(user: User, bureau: BureauPage, membership: object = UNSET) -> bool:
    """Coordinators invite people, change roles and colleges, and end memberships."""
    if is_platform_admin(user):
        return True
    found = _membership(user, bureau, membership)
    return found is not None and found.is_coordinator


def can_vote(user: User, bureau: BureauPage, membership: object = UNSET) -> bool:
    """Coordinators and members vote; observers follow without voting."""
    found = _membership(user, bureau, membership)
    return found is not None and found.votes


def can_edit_pages(user: User, bureau: BureauPage, membership: object = UNSET) -> bool:
    """Coordinators and members edit the bureau's pages in the Wagtail admin (see `commons.groups`)."""
    return is_platform_admin(user) or can_vote(user, bureau, membership)


def can_view_library(user: User, bureau: BureauPage, membership: object = UNSET) -> bool:
    """The library (references, the team's readings) is for the bureau's members, observers included."""
    return is_member(user, bureau, membership)


def can_manage_library(user: User, bureau: BureauPage, membership: object = UNSET) -> bool:
    """Coordinators and members import references (observers read the library)."""
    return can_edit_pages(user, bureau, membership)


# --- Proposals, votes and the decision register ---------------------------------------------------
#
# Proposals are internal to the bureau: every active member reads them, observers included (they
# follow the bureau's life without voting). Observers may also take part in the discussion: a
# comment is an opinion, not a vote, and hearing partners and observed structures is the point of a
# commons. Drafts are shown only to their author and to those who run votes. The decision register
# is public (see `can_view_register`).


def can_view_proposals(user: User, bureau: BureauPage, membership: object = UNSET) -> bool:
    """Every active member reads the proposals and their discussion; observers read without voting."""
    return is_member(user, bureau, membership)


def can_propose(user: User, bureau: BureauPage, membership: object = UNSET) -> bool:
    """Voting members (coordinators and members) write proposals, saved as drafts."""
    return can_vote(user, bureau, membership)


def can_run_votes(user: User, bureau: BureauPage, membership: object = UNSET) -> bool:
    """Coordinators open a draft to the vote, extend a running vote, or withdraw a proposal."""
    if is_platform_admin(user):
        return True
    found = _membership(user, bureau, membership)
    return found is not None and found.is_coordinator


def can_comment(user: User, bureau: BureauPage, membership: object = UNSET) -> bool:
    """Active members, observers included, take part in the discussion of a proposal they can see."""
    return _membership(user, bureau, membership) is not None


def can_view_proposal(user: User, bureau: BureauPage, proposal, membership: object = UNSET) -> bool:
    """A proposal of the bureau; a draft only for its author and for those who run votes."""
    membership = _membership(user, bureau, membership)
    if not can_view_proposals(user, bureau, membership):
        return False
    if proposal.status == Status.DRAFT:
        return proposal.author_id == user.pk or can_run_votes(user, bureau, membership)
    return True


def can_withdraw(user: User, bureau: BureauPage, proposal, membership: object = UNSET) -> bool:
    """Those who run votes withdraw a proposal while it can be withdrawn (`Proposal.can_be_withdrawn`)."""
    return can_run_votes(user, bureau, membership) and proposal.can_be_withdrawn


def results_visible(proposal, user: User) -> bool:
    """Counts are shown while the vote runs only if the rule says so; always once it is decided.

    Nobody sees the counts of an `after_close` vote early, coordinators included: early counts
    sway the last voters. A withdrawn proposal never reached a decision, so it follows its rule.
    Access to the proposal itself is checked separately (`can_view_proposal`).
    """
    if not user.is_authenticated:
        return False
    return proposal.status in CLOSED_STATUSES or proposal.rule.results_visibility == ResultsVisibility.LIVE


def can_view_resources(user: User, bureau: BureauPage) -> bool:
    """The bureau's published resources and their feed are public (proposed ones: members only)."""
    return True


def can_view_register(user: User, bureau: BureauPage) -> bool:
    """The decision register of a bureau, its integrity check and its CSV export are public."""
    return True


# --- Participants in the Wagtail admin ------------------------------------------------------------


def coordinated_bureau_ids(user: User):
    """Ids of the bureaus where the user is an active coordinator, as a lazy subquery.

    The admin of collectives, informants and consent (`commons.admin_participants.scoping`) shows and
    accepts only these bureaus' records; superusers see every bureau there (`is_platform_admin`).
    """
    if not user.is_authenticated:
        return Membership.objects.none().values_list("bureau_id", flat=True)
    return Membership.objects.coordinating().filter(user=user).values_list("bureau_id", flat=True)


# --- View guards: a view of a bureau states its access with one of these ---------------------------
#
# The decorators run the policy before the view; the membership lookup is cached per request
# (`membership_for`), so a view asking the policies again pays nothing. Each guarded view carries
# `bec_access` (the policy's name), so a test can check that every route states its access.

BureauView = Callable[..., HttpResponse]
Policy = Callable[..., bool]

#: What a signed-in visitor from outside the bureau reads on the 403 page of a guarded route.
MEMBERS_ONLY = _("This page is reserved for the bureau's members.")
#: What a member whose role does not allow the action reads, unless the guard says more.
VOTERS_ONLY = _("Observers follow the bureau's votes without voting or proposing.")
COORDINATORS_ONLY = _("This is for the bureau's coordinators.")
LIBRARY_WRITERS_ONLY = _("Observers read the library; members and coordinators add to it.")


def deny(request: HttpRequest, bureau: BureauPage, message: str | None = None) -> HttpResponse:
    """Refuse a visitor: the login page if anonymous, else a 403 saying why.

    Outsiders read that the page is for the bureau's members; members (whose role does not allow
    the action) read `message`.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if message and is_member(request.user, bureau):
        raise PermissionDenied(str(message))
    raise PermissionDenied(str(MEMBERS_ONLY))


def bureau_access(policy: Policy, *, message: str | None = None) -> Callable[[BureauView], BureauView]:
    """A guard that lets through the visitors `policy(user, bureau)` allows; see `deny` for the others."""

    def decorator(view: BureauView) -> BureauView:
        @wraps(view)
        def guarded(request: HttpRequest, bureau: BureauPage, *args, **kwargs) -> HttpResponse:
            if not policy(request.user, bureau):
                return deny(request, bureau, message)
            return view(request, bureau, *args, **kwargs)

        guarded.bec_access = policy.__name__  # type: ignore[attr-defined]
        return guarded

    return decorator


#: Active members of the bureau in any role (observers included) and platform admins.
member_required = bureau_access(is_member)
#: The bureau's coordinators (and platform admins): the members page's management actions.
coordinator_required = bureau_access(can_manage_members, message=COORDINATORS_ONLY)
#: Those who run votes: open a draft, extend or withdraw a vote.
vote_runner_required = bureau_access(can_run_votes, message=COORDINATORS_ONLY)
#: The bureau's library: members read it, voting members import into it.
library_required = bureau_access(can_view_library)
library_writer_required = bureau_access(can_manage_library, message=LIBRARY_WRITERS_ONLY)
#: Anyone, anonymous visitors included: the decision register is public (`can_view_register`).
public_register = bureau_access(can_view_register)
#: Anyone: the published resources and their feed (`can_view_resources`).
public_resources = bureau_access(can_view_resources)
#: Voting members propose resources (`can_propose`); observers read them.
propose_resource_required = bureau_access(can_propose, message=VOTERS_ONLY)


def voter_required(message: str | None = VOTERS_ONLY) -> Callable[[BureauView], BureauView]:
    """Voting members only: observers get a 403 saying `message`, outsiders the members-only 403,
    anonymous visitors the login page."""
    return bureau_access(can_vote, message=message)


def visible_proposal(
    user: User, bureau: BureauPage, proposal_id: int, membership: object = UNSET
) -> Proposal:
    """The bureau's proposal `proposal_id` if the user may see it, else 404 (another bureau's id, or a
    draft the visitor may not see: its existence is not disclosed)."""
    proposal = (
        Proposal.objects.select_related("rule", "author", "author__bec_profile")
        .filter(bureau=bureau, pk=proposal_id)
        .first()
    )
    if proposal is None or not can_view_proposal(user, bureau, proposal, membership):
        raise Http404(_("No such proposal in this bureau."))
    proposal.bureau = bureau
    return proposal


def proposal_required(
    policy: Policy = can_view_proposals, *, message: str | None = None
) -> Callable[[BureauView], BureauView]:
    """A guard for the routes of one proposal (``proposals/<proposal_id>/...``).

    The visitor must pass `policy(user, bureau)` (else `deny`, members reading `message`), then the
    proposal must be one they may see (else 404). The view receives the proposal instead of its id:
    ``view(request, bureau, proposal)``.
    """

    def decorator(view: BureauView) -> BureauView:
        @wraps(view)
        def guarded(request: HttpRequest, bureau: BureauPage, proposal_id: int, **kwargs) -> HttpResponse:
            if not policy(request.user, bureau):
                return deny(request, bureau, message)
            proposal = visible_proposal(request.user, bureau, proposal_id)
            return view(request, bureau, proposal, **kwargs)

        guarded.bec_access = f"proposal:{policy.__name__}"  # type: ignore[attr-defined]
        return guarded

    return decorator
