"""BureauPage: a study bureau governed as a commons, and its voting colleges."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable, Page
from wagtail.search import index

from ..fields import MarkdownField, html_field
from ..routing import DeclaredRoutesMixin, page_routes

COLLEGE_WEIGHT_TOTAL = 100


class CitationStyle(models.TextChoices):
    """The CSL styles a bureau may choose (files in `commons/library/csl/`, French locale)."""

    AUTHOR_DATE = "author-date", _("author–date (Harvard)")
    NUMERIC = "numeric", _("numeric [1]")


class BureauPageForm(WagtailAdminPageForm):
    """Admin form that refuses colleges whose weights do not sum to 100."""

    def clean(self):
        cleaned = super().clean()
        formset = self.formsets.get("colleges")
        if formset is None or not formset.is_valid():
            return cleaned
        weights = [
            form.cleaned_data.get("weight") or 0
            for form in formset.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        message = validate_college_weights(weights)
        if message:
            self.add_error(None, message)
        return cleaned


def validate_college_weights(weights: list[int]) -> str | None:
    """Return an error message when colleges exist and their weights do not sum to 100."""
    if weights and sum(weights) != COLLEGE_WEIGHT_TOTAL:
        return _("The weights of the colleges must sum to 100 (they sum to %(total)s).") % {
            "total": sum(weights)
        }
    return None


class BureauPage(DeclaredRoutesMixin, Page):
    """A Bureau d'Études en Communs: its question, charter and governance, members and decisions.

    Creating one (see `commons.groups`) creates the Wagtail groups that let its members edit
    its own subtree in the admin and nobody else's.
    """

    question = models.TextField(_("question"), help_text=_("The question the bureau studies."))
    charter = MarkdownField(_("charter"), html_field="charter_html", help_text=_("Markdown."))
    charter_html = html_field()
    governance = MarkdownField(
        _("governance rules"), html_field="governance_html", help_text=_("How the bureau decides. Markdown.")
    )
    governance_html = html_field()
    #: How ``[@key]`` citations in the bureau's Markdown texts are formatted (`commons.library.citations`).
    citation_style = models.CharField(
        _("citation style"),
        max_length=20,
        choices=CitationStyle.choices,
        default=CitationStyle.AUTHOR_DATE,
        help_text=_("How citations such as [@key] appear in the bureau's texts and their reference list."),
    )
    members_group = models.ForeignKey(
        Group, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    coordinators_group = models.ForeignKey(
        Group, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    #: The workflow of the pages the bureau decides by vote (protocols, later reports): `commons.workflow`.
    decision_workflow = models.ForeignKey(
        "wagtailcore.Workflow",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    base_form_class = BureauPageForm
    parent_page_types = ["bec_site.HomePage"]
    subpage_types = ["studies.StudyPage"]
    template = "commons/bureau_page.html"

    content_panels = [
        *Page.content_panels,
        FieldPanel("question"),
        FieldPanel("charter"),
        MultiFieldPanel(
            [FieldPanel("governance"), InlinePanel("colleges", label=_("College"))],
            heading=_("Governance"),
        ),
        FieldPanel("citation_style"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("question"), index.SearchField("charter")]

    class Meta:
        verbose_name = _("study bureau")
        verbose_name_plural = _("study bureaus")

    def citation_bureau(self):
        """Its charter and governance may cite its own library (`commons.fields.MarkdownField`)."""
        return self if self.pk else None

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        from .. import page_cache, permissions

        # The bureau's page is public: anonymous visitors may get it from the cache (no quotes in it).
        page_cache.mark(request, quotes=False)
        context = super().get_context(request, *args, **kwargs)
        membership = permissions.membership_for(request.user, self)
        context["membership"] = membership
        context["can_view_members"] = permissions.can_view_members(request.user, self, membership)
        context["can_view_proposals"] = permissions.can_view_proposals(request.user, self, membership)
        context["colleges"] = list(self.colleges.all())
        # The table the votes follow, so that the page cannot say one thing while the votes do another.
        context["kind_rules"] = list(self.kind_rules.select_related("rule").order_by("pk"))
        context["member_count"] = self.memberships.active().count()
        # The bureau's published studies (generic pages: `commons` does not import `studies`).
        context["studies"] = list(Page.objects.child_of(self).live().public().order_by("path"))
        # The latest report (asked of the apps that publish: `commons.publications`).
        from ..publications import publications

        context["latest_publication"] = next(iter(publications(self, 1)), None)
        return context

    # Routes; the views say who may use them (`commons.permissions`). Method names of a page must not
    # be "proposals" / "decisions" (related managers), hence the route names below.
    routes = page_routes(
        "commons.views",
        ("members/", "members.members_page", "members"),
        ("members/invite/", "members.invite", "invite"),
        ("members/<int:membership_id>/edit/", "members.edit_membership", "edit_membership"),
        ("members/<int:membership_id>/remove/", "members.remove_membership", "remove_membership"),
        ("members/<int:membership_id>/erase/", "leaving.confirm_erasure", "confirm_erasure"),
        ("invitations/<int:invitation_id>/revoke/", "members.revoke_invitation", "revoke_invitation"),
        ("library/", "library.library", "library"),
        ("library/import/", "library.import_references", "library_import"),
        ("library/export/bib/", "library.export_references", "library_export_bib", {"fmt": "bibtex"}),
        ("library/export/ris/", "library.export_references", "library_export_ris", {"fmt": "ris"}),
        ("library/export/json/", "library.export_references", "library_export_json", {"fmt": "csl-json"}),
        ("library/new/", "library.reference_edit", "reference_new"),
        ("library/style/", "library.citation_style", "library_style"),
        ("library/<int:reference_id>/", "library.reference_detail", "reference_detail"),
        ("library/<int:reference_id>/edit/", "library.reference_edit", "reference_edit"),
        ("library/<int:reference_id>/delete/", "library.reference_delete", "reference_delete"),
        ("proposals/", "proposals.proposal_list", "proposal_list"),
        ("proposals/new/", "proposals.proposal_new", "proposal_new"),
        ("proposals/<int:proposal_id>/", "proposals.proposal_detail", "proposal_detail"),
        ("proposals/<int:proposal_id>/vote/", "proposals.vote", "proposal_vote"),
        ("proposals/<int:proposal_id>/comment/", "proposals.comment", "proposal_comment"),
        ("proposals/<int:proposal_id>/open/", "proposals.open_vote", "proposal_open"),
        ("proposals/<int:proposal_id>/extend/", "proposals.extend_vote", "proposal_extend"),
        ("proposals/<int:proposal_id>/withdraw/", "proposals.withdraw", "proposal_withdraw"),
        ("proposals/<int:proposal_id>/close/", "proposals.close_early", "proposal_close"),
        ("proposals/<int:proposal_id>/edit/", "proposals.proposal_edit", "proposal_edit"),
        ("proposals/<int:proposal_id>/delete/", "proposals.proposal_delete", "proposal_delete"),
        ("decisions/", "decisions.register", "decision_register"),
        ("decisions/verify/", "decisions.verify", "decision_verify"),
        ("decisions/csv/", "decisions.export_csv", "decision_csv"),
        ("feed/", "feed.feed", "feed"),
        ("resources/", "resources.resource_list", "resources"),
        ("resources/new/", "resources.resource_new", "resource_new"),
        ("resources/feed/", "resources.resource_feed", "resource_feed"),
        ("resources/<int:resource_id>/publish/", "resources.resource_publish", "resource_publish"),
        ("resources/<int:resource_id>/unpublish/", "resources.resource_unpublish", "resource_unpublish"),
        ("resources/<int:resource_id>/edit/", "resources.resource_edit", "resource_edit"),
        ("resources/<int:resource_id>/withdraw/", "resources.resource_withdraw", "resource_withdraw"),
        ("proxies/", "proxies.proxies", "proxies"),
        ("proxies/<int:proxy_id>/revoke/", "proxies.proxy_revoke", "proxy_revoke"),
    )


class College(Orderable):
    """A SCIC-style voting college of a bureau; the weights of a bureau sum to 100."""

    bureau = ParentalKey(BureauPage, on_delete=models.CASCADE, related_name="colleges")
    name = models.CharField(_("name"), max_length=120)
    weight = models.PositiveSmallIntegerField(
        _("weight"),
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Share of the vote, in percent. The weights of a bureau sum to 100."),
    )
    description = models.CharField(_("description"), max_length=255, blank=True)

    panels = [FieldPanel("name"), FieldPanel("weight"), FieldPanel("description")]

    class Meta(Orderable.Meta):
        verbose_name = _("college")
        verbose_name_plural = _("colleges")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "name"], name="unique_college_name_per_bureau")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight} %)"

    def clean(self) -> None:
        if self.weight is not None and not 1 <= self.weight <= COLLEGE_WEIGHT_TOTAL:
            raise ValidationError({"weight": _("A weight is between 1 and 100.")})
