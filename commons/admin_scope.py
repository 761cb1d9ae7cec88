"""What an admin page may name: the objects the person may see in the listing, and nothing else.

Wagtail's bulk-action pages (`/admin/bulk/<app>/<model>/<action>/?id=…`) look the ids up in the
whole table and list the objects the person may not act on « for information », by name: another
bureau's informants, consent records, recordings' titles, pages. Ids can be enumerated that way.
Here every bulk action registered by Wagtail is replaced (through Wagtail's own
`register_bulk_action` hook, see `commons.wagtail_hooks`) by a subclass whose lookup starts from
`visible_in_admin(model, user)`, the scope of the model's listing: an object outside it is not
acted on, not counted and not named, and a request naming only such objects is a 404 — the same
answer as for an id that does not exist.

The site history report (Reports › Site history) lists log entries of every model the person holds
a model-wide permission on, whatever the object: a coordinator would read the labels of another
bureau's collectives, informants and consent records there. `ScopedLogEntriesView` keeps the log
entries of objects inside `visible_in_admin` only (`commons.admin_urls` serves it at Wagtail's own
address, so every link and export goes through it).

`visible_in_admin` asks the model's registered permission policy, the one its listing, chooser and
object views use (the bureau-scoped policy of collectives, informants and consent; the collection
policy of documents and images; Wagtail's page policy), so that the rule lives in one place.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CharField, IntegerField, Model, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404
from wagtail.admin.views.bulk_action import BulkAction
from wagtail.admin.views.pages.bulk_actions.delete import DeleteBulkAction as PageDelete
from wagtail.admin.views.pages.bulk_actions.move import MoveBulkAction as PageMove
from wagtail.admin.views.pages.bulk_actions.publish import PublishBulkAction as PagePublish
from wagtail.admin.views.pages.bulk_actions.unpublish import UnpublishBulkAction as PageUnpublish
from wagtail.admin.views.reports.audit_logging import LogEntriesView
from wagtail.admin.views.reports.page_types_usage import PageTypesUsageReportView
from wagtail.documents.views.bulk_actions.add_tags import AddTagsBulkAction as DocumentAddTags
from wagtail.documents.views.bulk_actions.add_to_collection import (
    AddToCollectionBulkAction as DocumentAddToCollection,
)
from wagtail.documents.views.bulk_actions.delete import DeleteBulkAction as DocumentDelete
from wagtail.images.views.bulk_actions.add_tags import AddTagsBulkAction as ImageAddTags
from wagtail.images.views.bulk_actions.add_to_collection import (
    AddToCollectionBulkAction as ImageAddToCollection,
)
from wagtail.images.views.bulk_actions.delete import DeleteBulkAction as ImageDelete
from wagtail.models import ModelLogEntry, Page
from wagtail.permissions import page_permission_policy, policy_registry
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction as SnippetDelete
from wagtail.users.views.bulk_actions.assign_role import AssignRoleBulkAction as UserAssignRole
from wagtail.users.views.bulk_actions.delete import DeleteBulkAction as UserDelete
from wagtail.users.views.bulk_actions.set_active_state import SetActiveStateBulkAction as UserSetActiveState

#: A person « sees » an object in the admin when they may do any of these with it (for documents and
#: images, `choose` is what their chooser shows; for snippets, `view` is what their listing shows).
SEEING_ACTIONS = ("view", "change", "delete", "choose")


def visible_in_admin(model: type[Model], user) -> QuerySet:
    """The objects of `model` that `user` may see in the admin: the scope of its listing and chooser.

    Pages: those the person may explore (Wagtail's page policy: their subtree and its ancestors).
    Every other model: those its registered permission policy grants any of `SEEING_ACTIONS` on.
    """
    if issubclass(model, Page):
        return page_permission_policy.explorable_instances(user)
    return policy_registry.get_by_type(model).instances_user_has_any_permission_for(user, SEEING_ACTIONS)


class ScopedBulkActionMixin:
    """Looks the requested ids up among the objects the person may see (`visible_in_admin`) only.

    Wagtail's `BulkAction.get_queryset` is a class method taking no request; it is shadowed here by
    an instance method, which `BulkAction.get_actionable_objects` calls as ``self.get_queryset``.
    """

    def get_queryset(self, model: type[Model], object_ids) -> list[Model]:
        if not isinstance(object_ids, QuerySet):  # « all » gives a queryset of the listing's ids
            object_ids = valid_ids(model, object_ids)
        objects = list(visible_in_admin(model, self.request.user).filter(pk__in=object_ids))
        if not objects:
            raise Http404
        return objects


def valid_ids(model: type[Model], raw_ids) -> list:
    """The ids of `raw_ids` that could be primary keys of `model`; a malformed one is as if unknown.

    A word, or a number too large for the column, would otherwise reach the database and fail there
    (a 500 on SQLite's `OverflowError`, PostgreSQL's out-of-range error).
    """
    field = model._meta.pk
    low, high = None, None
    if isinstance(field, IntegerField):
        low, high = connection.ops.integer_field_range(field.get_internal_type())
    ids = []
    for raw in raw_ids:
        try:
            value = field.to_python(raw)
        except (TypeError, ValueError, ValidationError):
            continue
        if value is None or (low is not None and value < low) or (high is not None and value > high):
            continue
        ids.append(value)
    return ids


#: Every bulk action Wagtail registers: each is replaced by its scoped subclass.
WAGTAIL_BULK_ACTIONS: tuple[type[BulkAction], ...] = (
    PageDelete,
    PageMove,
    PagePublish,
    PageUnpublish,
    DocumentAddTags,
    DocumentAddToCollection,
    DocumentDelete,
    ImageAddTags,
    ImageAddToCollection,
    ImageDelete,
    SnippetDelete,
    UserAssignRole,
    UserDelete,
    UserSetActiveState,
)


def scoped(action_class: type[BulkAction]) -> type[BulkAction]:
    """`action_class` with the lookup of `ScopedBulkActionMixin` (same action type, same models)."""
    return type(f"Scoped{action_class.__name__}", (ScopedBulkActionMixin, action_class), {
        "__module__": __name__,
        "__doc__": f"{action_class.__doc__ or action_class.__name__} Scoped by `visible_in_admin`.",
    })


SCOPED_BULK_ACTIONS: tuple[type[BulkAction], ...] = tuple(scoped(cls) for cls in WAGTAIL_BULK_ACTIONS)


# --- Site history ----------------------------------------------------------------------------------


def named_log_entries(user) -> Q:
    """A filter on `ModelLogEntry` keeping the entries about objects `user` may see (`visible_in_admin`).

    Wagtail shows a model's log entries to whoever holds any model-wide permission on it; this narrows
    each content type to the visible objects (one subquery per content type the person may read).
    An entry about a deleted object is kept for platform admins only.
    """
    if user.is_active and user.is_superuser:
        return Q()
    condition = Q(pk__in=[])
    entries = ModelLogEntry.objects.viewable_by_user(user).order_by()
    readable = entries.values_list("content_type_id", flat=True).distinct()
    for content_type_id in readable:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            continue
        visible = visible_in_admin(model, user).order_by().annotate(key=Cast("pk", CharField())).values("key")
        condition |= Q(content_type_id=content_type_id, object_id__in=visible)
    return condition


class ScopedLogEntriesView(LogEntriesView):
    """Wagtail's site history, naming only the objects the person may see (pages were already scoped)."""

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if issubclass(queryset.model, ModelLogEntry):
            queryset = queryset.filter(named_log_entries(self.request.user))
        return queryset


# --- Page types usage, page choosers ----------------------------------------------------------------


class ScopedPageTypesUsageReportView(PageTypesUsageReportView):
    """Wagtail's page types report: counts stay (they name nothing), the « last edited page » is shown
    only when the person may explore it (another bureau's draft would be named otherwise)."""

    def decorate_paginated_queryset(self, page_types):
        page_types = super().decorate_paginated_queryset(page_types)
        shown = [item.last_edited_page.pk for item in page_types if item.last_edited_page is not None]
        explorable = visible_in_admin(Page, self.request.user).filter(pk__in=shown)
        visible = set(explorable.values_list("pk", flat=True))
        for item in page_types:
            if item.last_edited_page is not None and item.last_edited_page.pk not in visible:
                item.last_edited_page = None
        return page_types


def choosable_pages(pages: QuerySet, request) -> QuerySet:
    """The page chooser (a link to a page) offers the pages the person may explore, and public live
    pages (anyone can read them on the site); another bureau's drafts and private pages are not named.
    Wagtail's `construct_page_chooser_queryset` hook (`commons.wagtail_hooks`)."""
    user = request.user
    if user.is_active and user.is_superuser:
        return pages
    explorable = visible_in_admin(Page, user).values("pk")
    public = Page.objects.live().public().values("pk")
    return pages.filter(Q(pk__in=explorable) | Q(pk__in=public))
