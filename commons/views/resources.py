"""The bureau's resources: a public, filterable inventory with its Atom feed; members propose,
coordinators publish (directly, or by opening the vote the bureau's table asks for).

Public pages read published resources only (`ResourceQuerySet.published`). The list, the filtered
list and the feed cost a fixed number of queries (the themes are prefetched); anonymous copies are
cached (`commons.page_cache`) and every change of a resource or its themes invalidates them.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.syndication.views import Feed
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from taggit.models import Tag

from .. import page_cache, permissions
from .. import resources as services
from ..forms.resources import ResourceFilterForm, ResourceForm
from ..models import BureauPage, Proposal, Resource
from ..models.governance import ProposalKind, Status
from ..permissions import propose_resource_required, public_resources, vote_runner_required
from .confirm import confirm_page

PER_PAGE = 20
FEED_LIMIT = 30


def resources_url(bureau: BureauPage) -> str:
    return bureau.url + bureau.reverse_subpage("resources")


def _with_themes(queryset):
    return queryset.prefetch_related("themes")


def published_themes(bureau: BureauPage) -> list[str]:
    """The themes of the bureau's published resources, by name (one query)."""
    published = Resource.objects.published().filter(bureau=bureau)
    return list(
        Tag.objects.filter(commons_resourcetheme_items__content_object__in=published)
        .distinct()
        .order_by("name")
        .values_list("name", flat=True)
    )


def filtered(bureau: BureauPage, filters: dict[str, str], themes: list[str] | None = None):
    """The bureau's published resources that pass `filters` (kind, language, audience, theme).

    A theme matches whatever its case, accents' case included (« SOBRIÉTÉ »): SQLite folds ASCII
    only, so the names are compared here among `themes` (`published_themes`), then looked up exactly.
    """
    found = Resource.objects.published().filter(bureau=bureau)
    for field in ("kind", "language", "audience"):
        if field in filters:
            found = found.filter(**{field: filters[field]})
    if "theme" in filters:
        wanted = filters["theme"].strip().casefold()
        names = [name for name in (themes if themes is not None else published_themes(bureau))
                 if name.casefold() == wanted]  # fmt: skip
        found = found.filter(themes__name__in=names).distinct()
    return found.order_by("-published_at", "-pk")


@public_resources
@page_cache.cacheable(quotes=False)
def resource_list(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    """The public inventory, filtered by kind, language, audience and theme; the team also sees
    the proposed resources and, for coordinators, the buttons that publish them."""
    form = ResourceFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    themes = published_themes(bureau)
    paginator = Paginator(_with_themes(filtered(bureau, filters, themes)), PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    membership = permissions.membership_for(request.user, bureau)
    context = {
        "page": bureau,
        "self": bureau,
        "form": form,
        "filtered": bool(filters),
        "resources": list(page.object_list),
        "page_obj": page,
        "themes": themes,
        "can_propose": permissions.can_propose(request.user, bureau, membership),
        "can_publish": permissions.can_run_votes(request.user, bureau, membership),
        "by_vote": services.by_vote(bureau),
    }
    if permissions.is_member(request.user, bureau, membership):
        proposed = list(
            _with_themes(
                Resource.objects.filter(bureau=bureau).exclude(
                    pk__in=Resource.objects.published().values("pk")
                )
            ).order_by("-created_at", "-pk")
        )
        votes = {
            proposal.payload.get("resource"): proposal
            for proposal in Proposal.objects.filter(
                bureau=bureau, kind=ProposalKind.RESOURCE, status__in=(Status.DRAFT, Status.OPEN)
            ).order_by("pk")
        }
        may_propose = context["can_propose"]
        for resource in proposed:
            resource.pending_vote = votes.get(resource.pk)
            resource.changeable = resource.pending_vote is None and (
                context["can_publish"] or may_propose and resource.proposed_by_id == request.user.pk
            )
        context["proposed"] = proposed
    return render(request, "commons/resources/list.html", context)


@propose_resource_required
def resource_new(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    """A member proposes a resource; it stays with the bureau until a coordinator (or a vote) publishes it."""
    form = ResourceForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            resource = form.save(commit=False)
            resource.bureau = bureau
            resource.proposed_by = request.user
            resource.save()
            form.save_m2m()
            messages.success(request, _("Resource proposed. It will be public once published."))
            return redirect(resources_url(bureau))
        return render(
            request, "commons/resources/new.html", {"page": bureau, "self": bureau, "form": form}, status=400
        )
    return render(request, "commons/resources/new.html", {"page": bureau, "self": bureau, "form": form})


def _changeable(request: HttpRequest, bureau: BureauPage, resource_id: int) -> Resource:
    """The bureau's resource `resource_id`, if the visitor may change it (else 404 or 403)."""
    resource = get_object_or_404(Resource, bureau=bureau, pk=resource_id)
    if not services.can_change(request.user, resource, bureau):
        raise PermissionDenied(services.NOT_YOURS)
    return resource


@propose_resource_required
def resource_edit(request: HttpRequest, bureau: BureauPage, resource_id: int) -> HttpResponse:
    """Correct a resource: its proposer while it is not published, a coordinator at any time
    (never during the vote on its publication: the voters decide on what they read)."""
    resource = _changeable(request, bureau, resource_id)
    try:
        services.check_change(resource, request.user, bureau)
    except services.ResourceError as error:
        messages.error(request, str(error))
        return redirect(resources_url(bureau))
    form = ResourceForm(request.POST or None, instance=resource)
    context = {"page": bureau, "self": bureau, "form": form, "resource": resource}
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Resource updated."))
            return redirect(resources_url(bureau))
        return render(request, "commons/resources/new.html", context, status=400)
    return render(request, "commons/resources/new.html", context)


@propose_resource_required
def resource_withdraw(request: HttpRequest, bureau: BureauPage, resource_id: int) -> HttpResponse:
    """Withdraw (delete) a resource not yet published, after « Are you sure? » (GET asks, POST acts)."""
    resource = _changeable(request, bureau, resource_id)
    if request.method != "POST":
        return confirm_page(
            request,
            bureau,
            title=_("Withdraw « %(title)s »") % {"title": resource.title},
            consequence=_(
                "The proposed resource will be deleted from the bureau's list. This cannot be undone."
            ),
            confirm_label=_("Yes, withdraw the proposal"),
            cancel_url=resources_url(bureau),
        )
    try:
        services.withdraw(resource, request.user)
    except services.ResourceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Proposal withdrawn: the resource is deleted."))
    return redirect(resources_url(bureau))


def _act(request: HttpRequest, bureau: BureauPage, resource_id: int, action, done: str) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    resource = get_object_or_404(Resource, bureau=bureau, pk=resource_id)
    try:
        result = action(resource, request.user)
    except services.ResourceError as error:
        messages.error(request, str(error))
        return redirect(resources_url(bureau))
    if isinstance(result, Proposal):
        messages.success(request, _("The bureau votes on publishing this resource."))
        return redirect(bureau.url + bureau.reverse_subpage("proposal_detail", args=[result.pk]))
    messages.success(request, done)
    return redirect(resources_url(bureau))


@vote_runner_required
def resource_publish(request: HttpRequest, bureau: BureauPage, resource_id: int) -> HttpResponse:
    """Publish (POST): at once, or by opening a vote when the bureau's table says so."""
    return _act(request, bureau, resource_id, services.publish, _("Resource published."))


@vote_runner_required
def resource_unpublish(request: HttpRequest, bureau: BureauPage, resource_id: int) -> HttpResponse:
    """Take a resource off the public pages (POST)."""
    return _act(request, bureau, resource_id, services.unpublish, _("Resource taken off the public pages."))


class ResourceFeed(Feed):
    """The bureau's published resources, newest first (Atom)."""

    feed_type = Atom1Feed

    def __call__(self, request, bureau=None, *args, **kwargs):
        self.bureau = bureau
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request, *args, **kwargs):
        return self.bureau

    def title(self, bureau: BureauPage) -> str:
        return _("%(bureau)s: resources") % {"bureau": bureau.title}

    def link(self, bureau: BureauPage) -> str:
        return resources_url(bureau)

    def subtitle(self, bureau: BureauPage) -> str:
        return bureau.question

    def items(self, bureau: BureauPage) -> list[Resource]:
        return list(filtered(bureau, {})[:FEED_LIMIT])

    def item_title(self, item: Resource) -> str:
        return f"{item.title} ({item.get_kind_display()})"

    def item_link(self, item: Resource) -> str:
        return item.url

    def item_guid(self, item: Resource) -> str:
        return f"{resources_url(self.bureau)}#resource-{item.pk}"

    def item_description(self, item: Resource) -> str:
        return item.summary_html

    def item_pubdate(self, item: Resource):
        return item.published_at


@public_resources
@page_cache.cacheable(quotes=False)
def resource_feed(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    """The Atom feed of the bureau's published resources."""
    return ResourceFeed()(request, bureau=bureau)
