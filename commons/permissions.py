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
