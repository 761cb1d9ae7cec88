"""Which collectives, informants and consent records a person manages in the Wagtail admin.

A coordinator manages those of the bureaus they coordinate (`commons.permissions.coordinated_bureau_ids`,
the one query for it); a superuser manages every bureau's. Everything the admin shows or accepts goes
through `scoped_queryset()`: the listings, the object views (edit, delete, history, usage… — an object
of another bureau is a 404), the choosers, the bulk actions (through the permission policy) and the
choices of the forms (`commons.admin_participants.forms`), so a forged id is an invalid choice.

The bureau's coordination group holds the model-wide Django permissions (`commons.groups`); this module
narrows them to the bureau. It lives in `commons`, not in `participants`: the bureau is a `commons`
notion, and `participants` depends on neither `commons` nor `studies` (participants <- commons <- studies).
"""

from __future__ import annotations

import functools

from django.contrib.admin.utils import unquote
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.chooser import (
    ChooseResultsView,
    ChooseView,
    SnippetChooserViewSet,
    SnippetChosenMultipleView,
    SnippetChosenView,
)
from wagtail.snippets.views.snippets import SnippetViewSet

from participants.admin_views import ProtectedDeleteView
from participants.models import Collective, ConsentForm, ConsentRecord, Informant

from ..models import BureauPage
from ..permissions import coordinated_bureau_ids, is_platform_admin


def managed_bureau_ids(user):
    """None for "every bureau" (superusers), else the ids (a lazy subquery) of the bureaus coordinated."""
    user = user or AnonymousUser()
    if is_platform_admin(user):
        return None
    return coordinated_bureau_ids(user)


def _scope(queryset: QuerySet, user, *lookups: str) -> QuerySet:
    ids = managed_bureau_ids(user)
    if ids is None:
        return queryset
    condition = Q()
    for lookup in lookups:
        condition |= Q(**{f"{lookup}__in": ids})
    return queryset.filter(condition)


def bureaus_for(user) -> QuerySet[BureauPage]:
    return _scope(BureauPage.objects.all(), user, "pk")


def collectives_for(user) -> QuerySet[Collective]:
    return _scope(Collective.objects.all(), user, "bureau_id")


def informants_for(user) -> QuerySet[Informant]:
    return _scope(Informant.objects.all(), user, "collective__bureau_id")


def consent_forms_for(user) -> QuerySet[ConsentForm]:
    return _scope(ConsentForm.objects.all(), user, "bureau_id")


def consent_records_for(user) -> QuerySet[ConsentRecord]:
    return _scope(
        ConsentRecord.objects.all(), user, "collective__bureau_id", "informant__collective__bureau_id"
    )


SCOPES = {
    Collective: collectives_for,
    Informant: informants_for,
    ConsentForm: consent_forms_for,
    ConsentRecord: consent_records_for,
}


def scoped_queryset(model, user) -> QuerySet:
    """The objects of `model` (one of `SCOPES`) that `user` manages."""
    return SCOPES[model](user)


def is_managed(model, user, pk) -> bool:
    try:
        return scoped_queryset(model, user).filter(pk=pk).exists()
    except (TypeError, ValueError, ValidationError):
        return False


class BureauScopedPermissionPolicy(ModelPermissionPolicy):
    """Model permissions from the groups, narrowed to the objects of the bureaus the user manages."""

    def user_has_permission_for_instance(self, user, action, instance) -> bool:
        return self.user_has_permission(user, action) and is_managed(self.model, user, instance.pk)

    def user_has_any_permission_for_instance(self, user, actions, instance) -> bool:
        return self.user_has_any_permission(user, actions) and is_managed(self.model, user, instance.pk)

    def instances_user_has_any_permission_for(self, user, actions) -> QuerySet:
        if not self.user_has_any_permission(user, actions):
            return self.model.objects.none()
        return scoped_queryset(self.model, user)


# --- Choosers (the modal behind a foreign key to a snippet) ---------------------------------------


class _ScopedChooserMixin:
    def get_object_list(self):
        return scoped_queryset(self.model_class, self.request.user)


class ScopedChooseView(_ScopedChooserMixin, ChooseView):
    pass


class ScopedChooseResultsView(_ScopedChooserMixin, ChooseResultsView):
    pass


class ScopedChosenView(SnippetChosenView):
    def get_object(self, pk):
        return scoped_queryset(self.model_class, self.request.user).get(pk=pk)


class ScopedChosenMultipleView(SnippetChosenMultipleView):
    def get_objects(self, pks):
        return scoped_queryset(self.model_class, self.request.user).filter(pk__in=pks)


class ScopedChooserViewSet(SnippetChooserViewSet):
    choose_view_class = ScopedChooseView
    choose_results_view_class = ScopedChooseResultsView
    chosen_view_class = ScopedChosenView
    chosen_multiple_view_class = ScopedChosenMultipleView


# --- Snippet viewsets -----------------------------------------------------------------------------


class BureauScopedSnippetViewSet(SnippetViewSet):
    """A snippet viewset whose every view sees only the objects of the bureaus the user manages.

    Subclasses set `model` (a key of `SCOPES`), and `list_select_related` for the listing's columns.
    """

    list_select_related: tuple[str, ...] = ()
    search_backend_name = None  # plain database search over `search_fields`
    copy_view_enabled = False  # a copy would carry the pseudonym code; add a new one instead
    chooser_viewset_class = ScopedChooserViewSet
    delete_view_class = ProtectedDeleteView  # a record others depend on: a message, not a 500

    def get_queryset(self, request):
        return scoped_queryset(self.model, request.user).select_related(*self.list_select_related)

    def construct_view(self, view_class, **kwargs):
        """Every view on one object (its `pk` in the URL) answers 404 for an object not managed."""
        view = super().construct_view(view_class, **kwargs)
        model = self.model

        @functools.wraps(view)
        def scoped_view(request, *args, **view_kwargs):
            pk = view_kwargs.get("pk")
            if pk is not None and not is_managed(model, request.user, unquote(str(pk))):
                raise Http404
            return view(request, *args, **view_kwargs)

        return scoped_view
