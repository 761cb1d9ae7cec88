"""Who may do what in a bureau: the one place for these rules.

Views, templates, the admin and (later) the API call these named policy functions rather than
testing roles themselves, so a rule changes in one place. Functions take an optional, already
fetched membership so a view that needs several answers pays for one query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser

from .models.membership import Membership, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from .models import BureauPage

    User = AbstractBaseUser | AnonymousUser

_UNSET = object()
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
    return membership_for(user, bureau) if membership is _UNSET else membership  # type: ignore[return-value]


def is_platform_admin(user: User) -> bool:
    """Superusers run the platform; they may manage any bureau."""
    return bool(user.is_authenticated and user.is_superuser)


def can_view_members(user: User, bureau: BureauPage, membership: object = _UNSET) -> bool:
    """The members page is for the bureau's members (every role) only."""
    return is_platform_admin(user) or _membership(user, bureau, membership) is not None


def can_manage_members(user: User, bureau: BureauPage, membership: object = _UNSET) -> bool:
    """Coordinators invite people, change roles and colleges, and end memberships."""
    if is_platform_admin(user):
        return True
    found = _membership(user, bureau, membership)
    return found is not None and found.role == Role.COORDINATOR


def can_vote(user: User, bureau: BureauPage, membership: object = _UNSET) -> bool:
    """Coordinators and members vote; observers follow without voting."""
    found = _membership(user, bureau, membership)
    return found is not None and found.votes


def can_edit_pages(user: User, bureau: BureauPage, membership: object = _UNSET) -> bool:
    """Coordinators and members edit the bureau's pages in the Wagtail admin (see `commons.groups`)."""
    return is_platform_admin(user) or can_vote(user, bureau, membership)


# --- Proposals, votes and the decision register ---------------------------------------------------
#
# Proposals are internal to the bureau: every active member reads them, observers included (they
# follow the bureau's life without voting). Observers may also take part in the discussion: a
# comment is an opinion, not a vote, and hearing partners and observed structures is the point of a
# commons. Drafts are shown only to their author and to those who run votes. The decision register
# is public (see `can_view_register`).


def can_view_proposals(user: User, bureau: BureauPage, membership: object = _UNSET) -> bool:
    """Every active member reads the proposals and their discussion; observers read without voting."""
    return is_platform_admin(user) or _membership(user, bureau, membership) is not None


def can_propose(user: User, bureau: BureauPage, membership: object = _UNSET) -> bool:
    """Voting members (coordinators and members) write proposals, saved as drafts."""
    return can_vote(user, bureau, membership)


def can_run_votes(user: User, bureau: BureauPage, membership: object = _UNSET) -> bool:
    """Coordinators open a draft to the vote, extend a running vote, or withdraw a proposal."""
    if is_platform_admin(user):
        return True
    found = _membership(user, bureau, membership)
    return found is not None and found.is_coordinator


def can_comment(user: User, bureau: BureauPage, membership: object = _UNSET) -> bool:
    """Active members, observers included, take part in the discussion of a proposal they can see."""
    return _membership(user, bureau, membership) is not None


def can_view_proposal(user: User, bureau: BureauPage, proposal, membership: object = _UNSET) -> bool:
    """A proposal of the bureau; a draft only for its author and for those who run votes."""
    membership = _membership(user, bureau, membership)
    if not can_view_proposals(user, bureau, membership):
        return False
    if proposal.status == "draft":
        return proposal.author_id == user.pk or can_run_votes(user, bureau, membership)
    return True


def results_visible(proposal, user: User) -> bool:
    """Counts are shown while the vote runs only if the rule says so; always once it is decided.

    Nobody sees the counts of an `after_close` vote early, coordinators included: early counts
    sway the last voters. A withdrawn proposal never reached a decision, so it follows its rule.
    Access to the proposal itself is checked separately (`can_view_proposal`).
    """
    from .models.governance import CLOSED_STATUSES, ResultsVisibility

    if not user.is_authenticated:
        return False
    return proposal.status in CLOSED_STATUSES or proposal.rule.results_visibility == ResultsVisibility.LIVE


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
    coordinating = Membership.objects.active().filter(user=user, role=Role.COORDINATOR)
    return coordinating.values_list("bureau_id", flat=True)
