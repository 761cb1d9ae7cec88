"""StudyPage (a child of a bureau) and the registry of generative-AI tools met in the field."""

from __future__ import annotations

from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.models import Page
from wagtail.search import index

from commons.fields import MarkdownField, html_field


class StudyStatus(models.TextChoices):
    DESIGN = "design", _("design")
    FIELDWORK = "fieldwork", _("fieldwork")
    ANALYSIS = "analysis", _("analysis")
    PUBLISHED = "published", _("published")


class StudyPage(RoutablePageMixin, Page):
    """A study run by a bureau: its question and context; its team-only routes live on this page."""

    research_question = models.TextField(_("research question"))
    context = MarkdownField(_("context"), html_field="context_html", help_text=_("Markdown."))
    context_html = html_field()
    status = models.CharField(
        _("status"), max_length=20, choices=StudyStatus.choices, default=StudyStatus.DESIGN
    )

    parent_page_types = ["commons.BureauPage"]
    subpage_types = ["studies.ProtocolPage"]
    template = "studies/study_page.html"
    content_panels = [
        *Page.content_panels,
        FieldPanel("research_question"),
        FieldPanel("context"),
        FieldPanel("status"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("research_question")]

    class Meta:
        verbose_name = _("study")
        verbose_name_plural = _("studies")

    @cached_property
    def bureau(self):
        """The owning BureauPage (the parent page)."""
        return self.get_parent().specific

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        from ..views.registry import study_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(study_page_context(request, self))
        return context

    # --- Routes. Each delegates to one view module; the rules are in `studies.permissions`. ---

    @path("")
    def index_route(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return self.render(request)

    @path("ai-tools/")
    def ai_tools(self, request: HttpRequest) -> HttpResponse:
        from ..views import registry

        return registry.ai_tools(request, self)

    @path("observations/")
    def observation_list(self, request: HttpRequest) -> HttpResponse:
        from ..views import observations

        return observations.observation_list(request, self)

    @path("observations/new/")
    def observation_create(self, request: HttpRequest) -> HttpResponse:
        from ..views import observations

        return observations.observation_create(request, self)

    @path("observations/<int:observation_id>/")
    def observation_detail(self, request: HttpRequest, observation_id: int) -> HttpResponse:
        from ..views import observations

        return observations.observation_detail(request, self, observation_id)

    @path("observations/<int:observation_id>/edit/")
    def observation_edit(self, request: HttpRequest, observation_id: int) -> HttpResponse:
        from ..views import observations

        return observations.observation_edit(request, self, observation_id)

    @path("observations/<int:observation_id>/excerpts/")
    def excerpt_create(self, request: HttpRequest, observation_id: int) -> HttpResponse:
        from ..sources import OBSERVATIONS
        from ..views import coding

        return coding.excerpt_create(request, self, OBSERVATIONS, observation_id)

    @path("observations/<int:observation_id>/excerpts/<int:excerpt_id>/delete/")
    def excerpt_delete(self, request: HttpRequest, observation_id: int, excerpt_id: int) -> HttpResponse:
        from ..sources import OBSERVATIONS
        from ..views import coding

        return coding.excerpt_delete(request, self, OBSERVATIONS, observation_id, excerpt_id)

    @path("observations/<int:observation_id>/memos/")
    def observation_memo(self, request: HttpRequest, observation_id: int) -> HttpResponse:
        from ..sources import OBSERVATIONS
        from ..views import coding

        return coding.source_memo(request, self, OBSERVATIONS, observation_id)

    @path("interviews/")
    def interview_list(self, request: HttpRequest) -> HttpResponse:
        from ..views import interviews

        return interviews.interview_list(request, self)

    @path("interviews/new/")
    def interview_create(self, request: HttpRequest) -> HttpResponse:
        from ..views import interviews

        return interviews.interview_create(request, self)

    @path("interviews/<int:interview_id>/")
    def interview_detail(self, request: HttpRequest, interview_id: int) -> HttpResponse:
        from ..views import interviews

        return interviews.interview_detail(request, self, interview_id)

    @path("interviews/<int:interview_id>/excerpts/")
    def interview_excerpt_create(self, request: HttpRequest, interview_id: int) -> HttpResponse:
        from ..sources import INTERVIEWS
        from ..views import coding

        return coding.excerpt_create(request, self, INTERVIEWS, interview_id)

    @path("interviews/<int:interview_id>/excerpts/<int:excerpt_id>/delete/")
    def interview_excerpt_delete(
        self, request: HttpRequest, interview_id: int, excerpt_id: int
    ) -> HttpResponse:
        from ..sources import INTERVIEWS
        from ..views import coding

        return coding.excerpt_delete(request, self, INTERVIEWS, interview_id, excerpt_id)

    @path("interviews/<int:interview_id>/memos/")
    def interview_memo(self, request: HttpRequest, interview_id: int) -> HttpResponse:
        from ..sources import INTERVIEWS
        from ..views import coding

        return coding.source_memo(request, self, INTERVIEWS, interview_id)

    @path("codebook/")
    def codebook(self, request: HttpRequest) -> HttpResponse:
        from ..views import codebook

        return codebook.codebook(request, self)

    @path("codebook/<int:code_id>/edit/")
    def code_edit(self, request: HttpRequest, code_id: int) -> HttpResponse:
        from ..views import codebook

        return codebook.code_edit(request, self, code_id)

    @path("codebook/<int:code_id>/merge/")
    def code_merge(self, request: HttpRequest, code_id: int) -> HttpResponse:
        from ..views import codebook

        return codebook.code_merge(request, self, code_id)

    @path("codebook/<int:code_id>/memos/")
    def code_memo(self, request: HttpRequest, code_id: int) -> HttpResponse:
        from ..views import codebook

        return codebook.code_memo(request, self, code_id)

    @path("agreement/")
    def agreement(self, request: HttpRequest) -> HttpResponse:
        from ..views import agreement

        return agreement.agreement(request, self)


class Hosting(models.TextChoices):
    EU = "eu", _("in the EU")
    OUTSIDE_EU = "outside_eu", _("outside the EU")
    SELF_HOSTED = "self_hosted", _("self-hosted")


class AITool(models.Model):
    """A generative-AI system met in the field (snippet). Public: counts of mentions only."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    vendor = models.CharField(_("vendor"), max_length=120, blank=True)
    model_family = models.CharField(_("model family"), max_length=120, blank=True)
    open_weights = models.BooleanField(_("open weights"), default=False)
    hosting = models.CharField(
        _("hosting"), max_length=20, choices=Hosting.choices, default=Hosting.OUTSIDE_EU
    )
    licence = models.CharField(_("licence"), max_length=120, blank=True)
    data_policy = models.TextField(_("data-use policy"), blank=True)

    panels = [
        FieldPanel(name)
        for name in ("name", "vendor", "model_family", "open_weights", "hosting", "licence", "data_policy")
    ]

    class Meta:
        verbose_name = _("AI tool")
        verbose_name_plural = _("AI tools")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
