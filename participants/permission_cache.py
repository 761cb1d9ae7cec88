"""A signed-in request without permission queries: each person's permissions, kept in the cache.

Why: every page goes through base.html, whose menu asks `perms.wagtailadmin.access_admin` (Django
reads the person's own and their groups' permissions: two queries), and whose Wagtail userbar asked
the page permissions of their groups and the page's workflow state (four to six more, and half the
time of a signed-in request on a bare page: `make bench`, issue 15). Permissions change rarely (a
membership joins or leaves a group), so they are read once, kept in the configured cache (Redis in
production) and put back on the user at each request:

- Django's permission sets (`_user_perm_cache`, `_group_perm_cache`, `_perm_cache`, the attributes
  `ModelBackend` fills on first use), so `has_perm` and `{{ perms }}` ask no query;
- the pages where the person's groups hold page permissions (`page_permissions`), so base.html
  shows Wagtail's userbar only on a page they may edit, add under or publish (`may_edit_here`).

Each entry keeps the generation token it was read under; the token is renewed whenever a permission
may have changed: a user's groups or permissions, a group's permissions, a group, a permission or a
page permission saved or deleted, a page moved (the paths kept here change) — at once and again after
the commit, so a request that read the old rows before the commit cannot leave them cached. Writes
that send no signal (`bulk_create`, `QuerySet.update` on those tables) show within `TIMEOUT` seconds;
`commons.groups.ensure_bureau_groups`, the one place that grants in bulk, renews the token itself.
Being a superuser or active is read from the user row on every request, never from here (Django's
`has_perm` answers a superuser without the sets; an inactive person is never signed in).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.auth.middleware import get_user
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

GENERATION_KEY = "bec:perms:generation"
#: Seconds a person's permissions are kept: the bound on how late a write without a signal shows.
TIMEOUT = 300
#: Page permissions that make Wagtail's userbar useful on a page (edit it, add under it, publish it).
EDITING_CODENAMES = frozenset({"add_page", "change_page", "publish_page"})
_PAGES = "_bec_page_permissions"


def generation() -> str:
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        token = cache.get(GENERATION_KEY) or ""
    return token


def _renew(*args: Any, **kwargs: Any) -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def permissions_changed(*args: Any, **kwargs: Any) -> None:
    """Every cached permission is out of date (a signal receiver: any arguments).

    Renewed now, and again once the transaction commits: a concurrent request that read the
    permissions between the two would otherwise keep the old ones under the new token.
    """
    _renew()
    transaction.on_commit(_renew)


def _key(user) -> str:
    return f"bec:perms:{user.pk}:{int(user.is_superuser)}"


def _read(user) -> dict:
    """The person's permissions from the database (what Django and Wagtail would read)."""
    from django.contrib.auth.backends import ModelBackend
    from wagtail.models import GroupPagePermission

    backend = ModelBackend()
    found = {
        "user": backend.get_user_permissions(user),
        "group": backend.get_group_permissions(user),
        "pages": [],
    }
    if user.is_superuser or "wagtailadmin.access_admin" in found["user"] | found["group"]:
        found["pages"] = sorted(
            GroupPagePermission.objects.filter(group__user=user).values_list(
                "page__path", "permission__codename"
            )
        )
    return found


def load(user):
    """Put the person's permissions on `user` (from the cache, else read and cached); returns it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or hasattr(user, _PAGES):
        return user
    key = _key(user)
    # One round trip: the token, and the person's entry with the token it was read under (the token
    # is read before the database, so a change made meanwhile leaves the entry out of date).
    cached = cache.get_many([GENERATION_KEY, key])
    token = cached.get(GENERATION_KEY) or generation()
    found = cached.get(key)
    if found is None or found.get("generation") != token:
        found = {**_read(user), "generation": token}
        cache.set(key, found, TIMEOUT)
    user._user_perm_cache = set(found["user"])
    user._group_perm_cache = set(found["group"])
    user._perm_cache = user._user_perm_cache | user._group_perm_cache
    setattr(user, _PAGES, [tuple(item) for item in found["pages"]])
    return user


def page_permissions(user) -> list[tuple[str, str]]:
    """(page path, codename) of every page permission the person's groups hold."""
    load(user)
    return getattr(user, _PAGES, [])


def may_edit_here(user, page) -> bool:
    """May the person edit `page`, add under it or publish it (a permission on it or an ancestor)?

    The question Wagtail's userbar answers item by item with its own queries; asked here from the
    cached permissions, so the userbar is rendered only where it offers something.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    path = getattr(page, "path", None)
    if not path:
        return False
    return any(
        codename in EDITING_CODENAMES and path.startswith(granted)
        for granted, codename in page_permissions(user)
    )


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with the person's permissions put on `request.user` from the cache when it is read."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: load(get_user(request)))


def connect_signals() -> None:
    """Renew the generation whenever someone's permissions may have changed."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_save
    from wagtail.models import GroupPagePermission
    from wagtail.signals import post_page_move

    user_model = get_user_model()
    throughs = (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through)
    for through in throughs:
        uid = f"participants.permission_cache.{through._meta.label_lower}"
        m2m_changed.connect(permissions_changed, sender=through, dispatch_uid=f"{uid}.m2m")
    for model in (*throughs, Group, Permission, GroupPagePermission):
        uid = f"participants.permission_cache.{model._meta.label_lower}"
        post_save.connect(permissions_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(permissions_changed, sender=model, dispatch_uid=f"{uid}.delete")
    post_page_move.connect(permissions_changed, dispatch_uid="participants.permission_cache.page_move")
