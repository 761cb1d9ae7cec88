"""Wagtail groups of a bureau, so its members can edit its own subtree in the admin and nothing else.

Each bureau gets two groups: « membres » (add and edit pages under the bureau) and
« coordination » (also publish, lock and unlock, and manage the bureau's collectives, informants
and consent records: `ensure_participant_permissions`). A bureau collection holds its images and
documents. Group membership follows `Membership` rows (see `sync_user_groups`), so changing a
role on the members page changes what the person can do in the admin at once.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

from participants.permission_cache import permissions_changed

from .models import BureauPage, Membership

MEMBER_PAGE_PERMISSIONS = ("add_page", "change_page")
COORDINATOR_PAGE_PERMISSIONS = (*MEMBER_PAGE_PERMISSIONS, "publish_page", "lock_page", "unlock_page")
COLLECTION_PERMISSIONS = (
    ("wagtailimages", "add_image"),
    ("wagtailimages", "choose_image"),
    ("wagtailimages", "change_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "choose_document"),
    ("wagtaildocs", "change_document"),
)

#: Models of `participants` that a bureau's coordinators manage in the admin, and what they may do.
PARTICIPANT_MODELS = ("collective", "informant", "consentform", "consentrecord")
PARTICIPANT_ACTIONS = ("add", "change", "delete", "view")


def _permissions(*natural_keys: tuple[str, str]) -> dict[tuple[str, str], Permission]:
    """The named permissions, `(app_label, codename)` -> permission, read in one query."""
    wanted = Q()
    for app_label, codename in natural_keys:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    found = Permission.objects.filter(wanted).select_related("content_type")
    return {(permission.content_type.app_label, permission.codename): permission for permission in found}


def _group_name(bureau: BureauPage, suffix: str) -> str:
    return f"{bureau.title[:100]} (#{bureau.pk}) — {suffix}"


@transaction.atomic
def ensure_bureau_groups(bureau: BureauPage) -> tuple[Group, Group]:
    """Create (idempotently) the bureau's groups, page permissions and collection."""
    if bureau.members_group_id and bureau.coordinators_group_id:
        ensure_participant_permissions(bureau.coordinators_group)
        return bureau.members_group, bureau.coordinators_group
    # One query for every permission, bulk inserts for the grants: a bureau is created in a few
    # queries instead of one per permission (tests build hundreds of bureaus).
    page_keys = [("wagtailcore", codename) for codename in COORDINATOR_PAGE_PERMISSIONS]
    access_key = ("wagtailadmin", "access_admin")
    permissions = _permissions(access_key, *page_keys, *COLLECTION_PERMISSIONS)
    collection = Collection.get_first_root_node().add_child(name=bureau.title[:255])
    groups = []
    for suffix, page_codenames in (
        ("membres", MEMBER_PAGE_PERMISSIONS),
        ("coordination", COORDINATOR_PAGE_PERMISSIONS),
    ):
        group, _created = Group.objects.get_or_create(name=_group_name(bureau, suffix))
        group.permissions.add(permissions[access_key])
        GroupPagePermission.objects.bulk_create(
            [GroupPagePermission(group=group, page=bureau, permission=permissions[("wagtailcore", codename)])
             for codename in page_codenames],
            ignore_conflicts=True,
        )
        GroupCollectionPermission.objects.bulk_create(
            [GroupCollectionPermission(group=group, collection=collection, permission=permissions[key])
             for key in COLLECTION_PERMISSIONS],
            ignore_conflicts=True,
        )
        groups.append(group)
    ensure_participant_permissions(groups[1])
    # The page permissions above were granted in bulk (no signal): cached permissions are renewed here.
    permissions_changed()
    BureauPage.objects.filter(pk=bureau.pk).update(members_group=groups[0], coordinators_group=groups[1])
    bureau.members_group, bureau.coordinators_group = groups
    return groups[0], groups[1]


def ensure_participant_permissions(coordinators_group: Group) -> None:
    """Let the coordination group manage collectives, informants and consent in the admin (idempotent).

    These are model-wide Django permissions: the admin itself narrows every list, form and object
    to the bureaus the person coordinates (`commons.admin_participants.scoping`).
    """
    permissions = Permission.objects.filter(
        content_type__app_label="participants",
        content_type__model__in=PARTICIPANT_MODELS,
        codename__in=[f"{action}_{model}" for model in PARTICIPANT_MODELS for action in PARTICIPANT_ACTIONS],
    )
    coordinators_group.permissions.add(*permissions)


def sync_user_groups(user, bureau: BureauPage) -> None:
    """Put the user in exactly the groups their active membership in the bureau calls for.

    Runs on every membership change: it works with the groups' ids (no group row is read) and
    leaves the groups' permissions to `ensure_bureau_groups`, which only runs for a bureau
    that has no groups yet.
    """
    if not (bureau.members_group_id and bureau.coordinators_group_id):
        ensure_bureau_groups(bureau)
    membership = Membership.objects.active().filter(user=user, bureau=bureau).first()
    # Who edits and who coordinates is the membership model's to say (no role is spelled here).
    wanted = {
        bureau.members_group_id: membership is not None and membership.votes,
        bureau.coordinators_group_id: membership is not None and membership.is_coordinator,
    }
    if joined := [group_id for group_id, belongs in wanted.items() if belongs]:
        user.groups.add(*joined)
    if left := [group_id for group_id, belongs in wanted.items() if not belongs]:
        user.groups.remove(*left)
