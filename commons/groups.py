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
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

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


def _permission(app_label: str, codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _group_name(bureau: BureauPage, suffix: str) -> str:
    return f"{bureau.title[:100]} (#{bureau.pk}) — {suffix}"


@transaction.atomic
def ensure_bureau_groups(bureau: BureauPage) -> tuple[Group, Group]:
    """Create (idempotently) the bureau's groups, page permissions and collection."""
    if bureau.members_group_id and bureau.coordinators_group_id:
        ensure_participant_permissions(bureau.coordinators_group)
        return bureau.members_group, bureau.coordinators_group
    access_admin = _permission("wagtailadmin", "access_admin")
    collection = Collection.get_first_root_node().add_child(name=bureau.title[:255])
    groups = []
    for suffix, page_codenames in (
        ("membres", MEMBER_PAGE_PERMISSIONS),
        ("coordination", COORDINATOR_PAGE_PERMISSIONS),
    ):
        group, _created = Group.objects.get_or_create(name=_group_name(bureau, suffix))
        group.permissions.add(access_admin)
        for codename in page_codenames:
            GroupPagePermission.objects.get_or_create(
                group=group, page=bureau, permission=_permission("wagtailcore", codename)
            )
        for app_label, codename in COLLECTION_PERMISSIONS:
            GroupCollectionPermission.objects.get_or_create(
                group=group, collection=collection, permission=_permission(app_label, codename)
            )
        groups.append(group)
    ensure_participant_permissions(groups[1])
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
    """Put the user in exactly the groups their active membership in the bureau calls for."""
    members_group, coordinators_group = ensure_bureau_groups(bureau)
    membership = Membership.objects.active().filter(user=user, bureau=bureau).first()
    # Who edits and who coordinates is the membership model's to say (no role is spelled here).
    wanted = {
        members_group: membership is not None and membership.votes,
        coordinators_group: membership is not None and membership.is_coordinator,
    }
    for group, belongs in wanted.items():
        if belongs:
            user.groups.add(group)
        else:
            user.groups.remove(group)
