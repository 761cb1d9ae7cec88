"""StudyPage (a child of a bureau) and the registry of generative-AI tools met in the field."""

from __future__ import annotations

from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page
from wagtail.search import index

from commons.fields import MarkdownField, html_field
from commons.routing import DeclaredRoutesMixin, page_routes


class StudyStatus(models.TextChoices):
    DESIGN = "design", _("design")
    FIELDWORK = "fieldwork", _("fieldwork")
    ANALYSIS = "analysis", _("analysis")
    PUBLISHED = "published", _("published")


# The coding views serve every kind of source; a route names its kind (`studies.sources.KINDS`).
_NOTES = {"kind": "observations"}
_TRANSCRIPTS = {"kind": "interviews"}
_DOCUMENTS = {"kind": "documents"}
_READINGS = {"kind": "readings"}
# The analysis tables answer as a page, or as a download in one of these formats.
_CSV = {"fmt": "csv"}
_XLSX = {"fmt": "xlsx"}
#: The spreadsheets of the « Échanges » page (`studies.exports.TABLES`), each as CSV and XLSX.
EXCHANGE_TABLES = ("observations", "coded-segments", "codebook", "interviews")


class StudyPage(DeclaredRoutesMixin, Page):
    """A study run by a bureau: its question and context; its team-only routes live on this page."""

    research_question = models.TextField(_("research question"))
    context = MarkdownField(_("context"), html_field="context_html", help_text=_("Markdown."))
    context_html = html_field()
    status = models.CharField(
        _("status"), max_length=20, choices=StudyStatus.choices, default=StudyStatus.DESIGN
    )
    #: When the study ends: the retention periods of the consent forms count from this date
    #: (`studies.erasure.retention_due`); without it, nothing of the study is ever due for erasure.
    ends_on = models.DateField(
        _("end of the study"),
        null=True,
        blank=True,
        help_text=_(
            "The retention periods stated by the consent forms count from this date; material past its "
            "period is listed for erasure."
        ),
    )

    parent_page_types = ["commons.BureauPage"]
    subpage_types = ["studies.ProtocolPage", "studies.StudyReportPage"]
    template = "studies/study_page.html"
    content_panels = [
        *Page.content_panels,
        FieldPanel("research_question"),
        FieldPanel("context"),
        FieldPanel("status"),
        FieldPanel("ends_on"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("research_question")]

    class Meta:
        verbose_name = _("study")
        verbose_name_plural = _("studies")

    @cached_property
    def bureau(self):
        """The owning BureauPage (the parent page)."""
        return self.get_parent().specific

    def citation_bureau(self):
        """Its context may cite the bureau's library (`commons.fields.MarkdownField`)."""
        return self.bureau if self.path and self.depth and self.depth > 1 else None

    # --- Routes; each view states who may use it (`studies.permissions`). ---
    routes = page_routes(
        "studies.views",
        ("", "registry.study_page", "index_route"),
        ("ai-tools/", "registry.ai_tools", "ai_tools"),
        ("ai-tools/csv/", "registry.ai_tools_csv", "ai_tools_csv"),
        ("ai-tools/json/", "registry.ai_tools_json", "ai_tools_json"),
        ("ai-tools/<int:tool_id>/", "registry.ai_tool_detail", "ai_tool_detail"),
        ("observations/", "observations.observation_list", "observation_list"),
        ("observations/new/", "observations.observation_create", "observation_create"),
        ("observations/<int:source_id>/", "coding.observation_detail", "observation_detail", _NOTES),
        ("observations/<int:observation_id>/edit/", "observations.observation_edit", "observation_edit"),
        ("observations/<int:source_id>/excerpts/", "coding.excerpt_create", "excerpt_create", _NOTES),
        (
            "observations/<int:source_id>/excerpts/<int:excerpt_id>/delete/",
            "coding.excerpt_delete",
            "excerpt_delete",
            _NOTES,
        ),
        ("observations/<int:source_id>/memos/", "coding.source_memo", "observation_memo", _NOTES),
        ("interviews/", "interviews.interview_list", "interview_list"),
        ("interviews/new/", "interviews.interview_create", "interview_create"),
        ("interviews/<int:source_id>/", "coding.source_detail", "interview_detail", _TRANSCRIPTS),
        (
            "interviews/<int:source_id>/excerpts/",
            "coding.excerpt_create",
            "interview_excerpt_create",
            _TRANSCRIPTS,
        ),
        (
            "interviews/<int:source_id>/excerpts/<int:excerpt_id>/delete/",
            "coding.excerpt_delete",
            "interview_excerpt_delete",
            _TRANSCRIPTS,
        ),
        ("interviews/<int:source_id>/memos/", "coding.source_memo", "interview_memo", _TRANSCRIPTS),
        ("documents/", "documents.document_list", "document_list"),
        ("documents/<int:source_id>/", "coding.source_detail", "document_detail", _DOCUMENTS),
        (
            "documents/<int:source_id>/excerpts/",
            "coding.excerpt_create",
            "document_excerpt_create",
            _DOCUMENTS,
        ),
        (
            "documents/<int:source_id>/excerpts/<int:excerpt_id>/delete/",
            "coding.excerpt_delete",
            "document_excerpt_delete",
            _DOCUMENTS,
        ),
        ("documents/<int:source_id>/memos/", "coding.source_memo", "document_memo", _DOCUMENTS),
        ("readings/", "readings.reading_list", "reading_list"),
        ("readings/new/", "readings.reading_create", "reading_create"),
        ("readings/<int:source_id>/", "coding.source_detail", "reading_detail", _READINGS),
        ("readings/<int:reading_id>/edit/", "readings.reading_edit", "reading_edit"),
        ("readings/<int:source_id>/excerpts/", "coding.excerpt_create", "reading_excerpt_create", _READINGS),
        ("readings/<int:source_id>/excerpts/<int:excerpt_id>/delete/", "coding.excerpt_delete",
         "reading_excerpt_delete", _READINGS),
        ("readings/<int:source_id>/memos/", "coding.source_memo", "reading_memo", _READINGS),
        ("exchange/refi/qdpx/", "refi.export_project", "refi_export_project"),
        ("exchange/refi/qdc/", "refi.export_codebook", "refi_export_codebook"),
        ("exchange/refi/import/", "refi.import_page", "refi_import"),
        ("codebook/", "codebook.codebook", "codebook"),
        ("codebook/<int:code_id>/", "codebook.code_detail", "code_detail"),
        ("codebook/<int:code_id>/edit/", "codebook.code_edit", "code_edit"),
        ("codebook/<int:code_id>/merge/", "codebook.code_merge", "code_merge"),
        ("codebook/<int:code_id>/delete/", "codebook.code_delete", "code_delete"),
        ("codebook/<int:code_id>/memos/", "codebook.code_memo", "code_memo"),
        ("agreement/", "agreement.agreement", "agreement"),
        ("analysis/", "analysis.overview", "analysis"),
        ("analysis/segments/", "analysis.segments", "analysis_segments"),
        ("analysis/segments/csv/", "analysis.segments", "analysis_segments_csv", _CSV),
        ("analysis/segments/xlsx/", "analysis.segments", "analysis_segments_xlsx", _XLSX),
        ("analysis/codes/", "analysis.codes", "analysis_codes"),
        ("analysis/codes/csv/", "analysis.codes", "analysis_codes_csv", _CSV),
        ("analysis/codes/xlsx/", "analysis.codes", "analysis_codes_xlsx", _XLSX),
        ("analysis/cooccurrence/", "analysis.cooccurrence_page", "analysis_cooccurrence"),
        ("analysis/cooccurrence/csv/", "analysis.cooccurrence_page", "analysis_cooccurrence_csv", _CSV),
        ("analysis/cooccurrence/xlsx/", "analysis.cooccurrence_page", "analysis_cooccurrence_xlsx", _XLSX),
        ("analysis/crosstab/", "analysis.crosstab_page", "analysis_crosstab"),
        ("analysis/crosstab/csv/", "analysis.crosstab_page", "analysis_crosstab_csv", _CSV),
        ("analysis/crosstab/xlsx/", "analysis.crosstab_page", "analysis_crosstab_xlsx", _XLSX),
        ("analysis/time/", "analysis.time_page", "analysis_time"),
        ("analysis/time/csv/", "analysis.time_page", "analysis_time_csv", _CSV),
        ("analysis/time/xlsx/", "analysis.time_page", "analysis_time_xlsx", _XLSX),
        ("exchange/", "exchange.exchange_page", "exchange"),
        ("erasures/", "erasure.erasure_list", "erasure_list"),
        ("assessments/", "assessments.assessment_index", "assessments"),
        ("assessments/compare/", "assessments.assessment_compare", "assessment_compare"),
        ("assessments/collectives/", "assessments.assessment_overview", "assessment_overview"),
        (
            "assessments/referentials/<int:version_id>/",
            "assessments.referential_version",
            "referential_version",
        ),
        ("assessments/<int:assessment_id>/", "assessments.assessment_detail", "assessment_detail"),
        ("assessments/<int:assessment_id>/results/", "assessments.assessment_results", "assessment_results"),
        ("assessments/<int:assessment_id>/review/", "assessments.assessment_review", "assessment_review"),
        ("assessments/<int:assessment_id>/plan/", "assessments.assessment_plan", "assessment_plan"),
        ("assessments/<int:assessment_id>/upgrade/", "assessments.assessment_upgrade", "assessment_upgrade"),
        *(
            (f"assessments/<int:assessment_id>/{table}/{fmt}/", "assessments.assessment_export",
             f"assessment_{table}_{fmt}", {"table": table, "fmt": fmt})
            for table in ("answers", "scores", "plan")
            for fmt in ("csv", "xlsx")
        ),
        ("assessments/<int:assessment_id>/plan/indicators/<int:indicator_id>/", "assessments.plan_indicator",
         "plan_indicator"),
        (
            "assessments/<int:assessment_id>/evidence/",
            "assessments.assessment_evidence",
            "assessment_evidence",
        ),
        (
            "assessments/<int:assessment_id>/criteria/<int:criterion_id>/",
            "assessments.assessment_answer",
            "assessment_answer",
        ),
        (
            "assessments/<int:assessment_id>/steps/<slug:action>/",
            "assessments.assessment_step",
            "assessment_step",
        ),
        (
            "erasures/collective/<int:party_id>/",
            "erasure.erase_party",
            "erase_collective",
            {"kind": "collective"},
        ),
        (
            "erasures/informant/<int:party_id>/",
            "erasure.erase_party",
            "erase_informant",
            {"kind": "informant"},
        ),
        *(
            (
                f"exchange/{table}/{fmt}/",
                "exchange.download",
                f"exchange_{table.replace('-', '_')}_{fmt}",
                {"table": table, "fmt": fmt},
            )
            for table in EXCHANGE_TABLES
            for fmt in ("csv", "xlsx")
        ),
    )


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
