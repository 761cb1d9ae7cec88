"""Study reports: findings written together, published by the bureau's vote.

A `StudyReportPage` (child of a study, several per study) is decided like the protocol
(`DecidedByVoteMixin`: the bureau's `CollectiveDecisionTask`, frozen revisions, nobody publishing by
hand). Its figures are computed when a revision is saved (`freeze`) and stored in the revision
(`frozen_figures`): the revision submitted holds the figures put to the vote, and the published page
shows those, whatever the coding does afterwards. Each publication is a `ReportVersion` (v1, v2…)
with the decision that adopted it and the SHA-256 of what was published (« Citer ce rapport »).
"""

from __future__ import annotations

import hashlib
import json
import uuid

from django.conf import settings
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page, Revision
from wagtail.models.panels import CommentPanelPlaceholder
from wagtail.search import index

from commons.concurrency import RefuseStaleSavesForm
from commons.models.governance import ProposalKind
from commons.routing import DeclaredRoutesMixin, page_routes

from ..report_blocks import ReportBodyBlock
from .protocol import DecidedByVoteMixin, VotedPagePermissionTester, is_frozen


class ReportKind(models.TextChoices):
    INTERIM = "interim", _("interim report")
    FINAL = "final", _("final report")
    SYNTHESIS = "synthesis", _("synthesis")


class ReportPermissionTester(VotedPagePermissionTester):
    """Reports are published by the bureau's vote only, from the first version on: once the bureau
    has its collective-decision workflow, nobody publishes a report by hand, superusers included."""

    @cached_property
    def _workflow(self) -> bool:
        return self.page.specific.get_workflow() is not None

    def hand_publishing_closed(self) -> bool:
        return self._workflow or self._versioned


class StudyReportPageForm(RefuseStaleSavesForm):
    """The report's editor: stale saves refused, figure filters checked, quotes quotable, and a
    submission says what it changes (the title of the vote and the summary of the version)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        page = self.instance
        if self.is_bound or not page.pk or page.workflow_in_progress:
            return
        latest = page.latest_revision
        if latest is not None and is_frozen(latest):
            self.initial["change_summary"] = ""

    def clean(self):
        from ..analysis.filters import code_tree
        from ..figures import FigureError, check_filters, compute_key_figures
        from ..quotes import quotable_excerpts

        cleaned = super().clean()
        study = self.parent_page.specific if getattr(self, "parent_page", None) else None
        if study is None and self.instance.pk:
            study = self.instance.get_parent().specific
        body = cleaned.get("body")
        if study is not None and body is not None:
            tree = code_tree(study)
            problems, excerpts = [], []
            for child in body:
                try:
                    if child.block_type == "figure":
                        check_filters(study, child.value.get("filters", ""), tree)
                    elif child.block_type == "key_figures":
                        compute_key_figures(study, child.value, tree=tree, version="")
                except FigureError as error:
                    problems.append(str(error))
                if child.block_type == "quote" and child.value.get("excerpt") is not None:
                    excerpts.append(child.value["excerpt"].pk)
            if excerpts:
                allowed = set(
                    quotable_excerpts([study.pk]).filter(pk__in=excerpts).values_list("pk", flat=True)
                )
                if set(excerpts) - allowed:
                    problems.append(
                        str(
                            _(
                                "A quote points at an excerpt that may not be quoted (no quotation consent, "
                                "or another study): choose another one."
                            )
                        )
                    )
            for problem in problems:
                self.add_error("body", problem)
        if self.data.get("action-submit") or self.data.get("action-restart-workflow"):
            summary = " ".join((cleaned.get("change_summary") or "").split())
            if not summary:
                self.add_error(
                    "change_summary",
                    _(
                        "Say what this revision changes and why: it is the title of the vote and the summary "
                        "of the version."
                    ),
                )
        return cleaned


#: The key of `frozen_figures` holding the report's reference list (block ids are UUIDs).
REFERENCES_KEY = "references"


class StudyReportPage(DecidedByVoteMixin, DeclaredRoutesMixin, Page):
    """A report of a study (interim, final, synthesis), published when the bureau adopts it by vote."""

    kind = models.CharField(
        _("kind of report"), max_length=20, choices=ReportKind.choices, default=ReportKind.INTERIM
    )
    summary = models.TextField(
        _("summary"),
        max_length=1500,
        blank=True,
        help_text=_(
            "A few sentences on what the report finds: shown at its top, in the feed and when shared."
        ),
    )
    body = StreamField(ReportBodyBlock(), verbose_name=_("report"), blank=True)
    change_summary = models.TextField(
        _("summary of the changes"),
        blank=True,
        max_length=2000,
        help_text=_(
            "What this revision changes and why: it is the title of the vote and the summary of "
            "the version in the history."
        ),
    )
    #: The figures of this revision, computed when it was saved (see `studies.figures`). Stored in the
    #: revision's content like every field, so the version voted on keeps its own numbers.
    frozen_figures = models.JSONField(default=dict, blank=True, editable=False)

    parent_page_types = ["studies.StudyPage"]
    subpage_types: list[str] = []
    template = "studies/reports/report_page.html"
    base_form_class = StudyReportPageForm
    permission_tester_class = ReportPermissionTester
    content_panels = [
        *Page.content_panels,
        FieldPanel("kind"),
        FieldPanel("summary"),
        FieldPanel("change_summary"),
        FieldPanel("body"),
    ]
    settings_panels = [CommentPanelPlaceholder()]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    proposal_kind = ProposalKind.PUBLICATION

    class Meta:
        verbose_name = _("study report")
        verbose_name_plural = _("study reports")

    @property
    def version_model(self):
        return ReportVersion

    @cached_property
    def study(self):
        return self.get_parent().specific

    def freeze(self) -> None:
        """Compute the figures of the body now and keep them on the page (then in the revision).

        Markdown text blocks are rendered here too and kept with the figures: a report is read far
        more often than written, and rendered Markdown is stored, not recomputed per view.
        """
        from commons.library.citations import Citer
        from commons.markup import render_markdown, render_references

        from ..analysis.filters import code_tree
        from ..figures import FigureError, compute_figure, compute_key_figures, protocol_label
        from ..quotes import publishable_q
        from .observations import Observation

        study = self.study
        tree, version = code_tree(study), protocol_label(study)
        frozen: dict = {}
        # One citer for the whole report: numbers run across its text blocks, one list at the end.
        texts = [str(child.value) for child in self.body if child.block_type == "text"]
        citer = Citer.for_bureau(study.bureau, texts) if any("[@" in text for text in texts) else None
        for child in self.body:
            if not child.id:  # kept by the StreamValue when it is saved
                child.id = str(uuid.uuid4())
            try:
                if child.block_type == "text":
                    frozen[child.id] = {"html": str(render_markdown(child.value, citer))}
                elif child.block_type == "figure":
                    frozen[child.id] = compute_figure(study, child.value, tree=tree, version=version)
                elif child.block_type == "key_figures":
                    frozen[child.id] = compute_key_figures(study, child.value, tree=tree, version=version)
                elif child.block_type == "publishable_notes":
                    ids = Observation.objects.filter(publishable_q(study)).order_by("-observed_on", "-pk")
                    frozen[child.id] = {
                        "observations": list(ids.values_list("pk", flat=True)[: child.value["limit"]])
                    }
            except FigureError as error:
                frozen[child.id] = {"error": str(error)}
        if citer is not None:
            frozen[REFERENCES_KEY] = {"html": str(render_references(citer))}
        self.frozen_figures = frozen

    def save_revision(self, *args, **kwargs):
        """Every revision carries the figures as they are at its saving: the submitted one holds
        exactly what the bureau votes on."""
        if self.pk and self.depth:
            self.freeze()
        return super().save_revision(*args, **kwargs)

    def version_extras(self, revision: Revision) -> dict:
        return {"sha256": content_hash(revision)}

    def describe_submission(self, revision, live_revision) -> tuple[str, str]:
        from ..reports import describe_submission

        return describe_submission(self, revision, live_revision)

    routes = page_routes(
        "studies.views",
        ("", "reports.current", "current"),
        ("versions/", "reports.history", "versions"),
        ("v/<int:number>/", "reports.version", "version"),
        ("v/<int:number>/diff/", "reports.version_diff", "version_diff"),
    )


def content_hash(revision: Revision) -> str:
    """SHA-256 of what a published report says: title, summary, body and frozen figures, as canonical JSON."""
    content = revision.content
    payload = {key: content.get(key) for key in ("title", "summary", "body", "frozen_figures")}
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ReportVersion(models.Model):
    """A published revision of a report: v1, v2, … Never edited once recorded."""

    report = models.ForeignKey(StudyReportPage, on_delete=models.CASCADE, related_name="report_versions")
    number = models.PositiveIntegerField(_("version"))
    revision = models.OneToOneField(
        "wagtailcore.Revision", on_delete=models.PROTECT, related_name="report_version"
    )
    published_at = models.DateTimeField(_("published on"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.TextField(_("summary"), blank=True)
    decision = models.ForeignKey(
        "commons.Decision",
        verbose_name=_("decision"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="report_versions",
    )
    sha256 = models.CharField(_("SHA-256 of the published content"), max_length=64, blank=True)

    page_field = "report"

    class Meta:
        verbose_name = _("report version")
        verbose_name_plural = _("report versions")
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="unique_report_version_number"),
        ]

    def __str__(self) -> str:
        return f"v{self.number}"

    @property
    def label(self) -> str:
        return f"v{self.number}"
