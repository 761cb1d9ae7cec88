"""BureauPage: a study bureau governed as a commons, and its voting colleges."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.models import Orderable, Page
from wagtail.search import index

from ..fields import MarkdownField, html_field

COLLEGE_WEIGHT_TOTAL = 100


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


class BureauPage(RoutablePageMixin, Page):
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
    ]
    search_fields = [*Page.search_fields, index.SearchField("question"), index.SearchField("charter")]

    class Meta:
        verbose_name = _("study bureau")
        verbose_name_plural = _("study bureaus")

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        from .. import permissions

        context = super().get_context(request, *args, **kwargs)
        membership = permissions.membership_for(request.user, self)
        context["membership"] = membership
        context["can_view_members"] = permissions.can_view_members(request.user, self, membership)
        context["can_view_proposals"] = permissions.can_view_proposals(request.user, self, membership)
        context["colleges"] = list(self.colleges.all())
        context["member_count"] = self.memberships.active().count()
        # The bureau's published studies (generic pages: `commons` does not import `studies`).
        context["studies"] = list(Page.objects.child_of(self).live().public().order_by("path"))
        return context

    @path("")
    def index_route(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return self.render(request)

    @path("members/")
    def members(self, request: HttpRequest) -> HttpResponse:
        from ..views import members

        return members.members_page(request, self)

    @path("members/invite/")
    def invite(self, request: HttpRequest) -> HttpResponse:
        from ..views import members

        return members.invite(request, self)

    @path("members/<int:membership_id>/edit/")
    def edit_membership(self, request: HttpRequest, membership_id: int) -> HttpResponse:
        from ..views import members

        return members.edit_membership(request, self, membership_id)

    @path("members/<int:membership_id>/remove/")
    def remove_membership(self, request: HttpRequest, membership_id: int) -> HttpResponse:
        from ..views import members

        return members.remove_membership(request, self, membership_id)

    @path("invitations/<int:invitation_id>/revoke/")
    def revoke_invitation(self, request: HttpRequest, invitation_id: int) -> HttpResponse:
        from ..views import members

        return members.revoke_invitation(request, self, invitation_id)

    # --- Proposals and votes (members; see commons/views/proposals.py) ---

    # Method names must not be "proposals" / "decisions": those are the related managers of Proposal
    # and Decision (related_name), which would replace the route methods on the class.
    @path("proposals/")
    def proposal_list(self, request: HttpRequest) -> HttpResponse:
        from ..views import proposals

        return proposals.proposal_list(request, self)

    @path("proposals/new/")
    def proposal_new(self, request: HttpRequest) -> HttpResponse:
        from ..views import proposals

        return proposals.proposal_new(request, self)

    @path("proposals/<int:proposal_id>/")
    def proposal_detail(self, request: HttpRequest, proposal_id: int) -> HttpResponse:
        from ..views import proposals

        return proposals.proposal_detail(request, self, proposal_id)

    @path("proposals/<int:proposal_id>/vote/")
    def proposal_vote(self, request: HttpRequest, proposal_id: int) -> HttpResponse:
        from ..views import proposals

        return proposals.vote(request, self, proposal_id)

    @path("proposals/<int:proposal_id>/comment/")
    def proposal_comment(self, request: HttpRequest, proposal_id: int) -> HttpResponse:
        from ..views import proposals

        return proposals.comment(request, self, proposal_id)

    @path("proposals/<int:proposal_id>/open/")
    def proposal_open(self, request: HttpRequest, proposal_id: int) -> HttpResponse:
        from ..views import proposals

        return proposals.open_vote(request, self, proposal_id)

    @path("proposals/<int:proposal_id>/extend/")
    def proposal_extend(self, request: HttpRequest, proposal_id: int) -> HttpResponse:
        from ..views import proposals

        return proposals.extend_vote(request, self, proposal_id)

    @path("proposals/<int:proposal_id>/withdraw/")
    def proposal_withdraw(self, request: HttpRequest, proposal_id: int) -> HttpResponse:
        from ..views import proposals

        return proposals.withdraw(request, self, proposal_id)

    # --- The public decision register (see commons/views/decisions.py) ---

    @path("decisions/")
    def decision_register(self, request: HttpRequest) -> HttpResponse:
        from ..views import decisions

        return decisions.register(request, self)

    @path("decisions/verify/")
    def decision_verify(self, request: HttpRequest) -> HttpResponse:
        from ..views import decisions

        return decisions.verify(request, self)

    # Wagtail serves only paths made of [\w-] segments ending in "/" (wagtail.urls.serve_pattern): the
    # export lives at decisions/csv/, and bec_site.urls also answers <bureau>/decisions.csv with it.
    @path("decisions/csv/")
    def decision_csv(self, request: HttpRequest) -> HttpResponse:
        from ..views import decisions

        return decisions.export_csv(request, self)


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
