"""The study protocol: a Wagtail page whose every publication is a numbered version.

Wagtail's revisions are the history; `ProtocolVersion` marks the revisions that were published,
with their number, the decision that adopted them, and a snapshot of the observation grid and the
interview guide as they stood (observations and interviews point at the version they followed,
so they keep displaying correctly whatever later versions change). Versions are recorded by
`studies.versions.record_version` on Wagtail's `page_published` signal, whatever published the
page: the workflow after a vote, or a coordinator publishing the first version.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page, PagePermissionTester, Revision
from wagtail.models.panels import CommentPanelPlaceholder
from wagtail.search import index

from commons.concurrency import RefuseStaleSavesForm
from commons.models.governance import ProposalKind
from commons.routing import DeclaredRoutesMixin, page_routes

from ..blocks import ProtocolBodyBlock, grid_definitions, guide_questions


class ProtocolPageForm(RefuseStaleSavesForm):
    """The protocol's editor: stale saves refused, and a submission must say what it changes.

    The summary starts empty when the draft is a revision already put to the vote or published
    (after a withdrawal, a rejection or an adoption): the next submission says what *it* changes,
    not what the previous one did.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        page = self.instance
        if self.is_bound or not page.pk or page.workflow_in_progress:
            return
        latest = page.latest_revision
        if latest is not None and is_frozen(latest):
            self.initial["change_summary"] = ""

    def clean(self):
        cleaned = super().clean()
        if self.data.get("action-submit") or self.data.get("action-restart-workflow"):
            summary = " ".join((cleaned.get("change_summary") or "").split())
            current = (
                ProtocolVersion.objects.filter(protocol_id=self.instance.pk).order_by("-number").first()
                if self.instance.pk
                else None
            )
            if not summary or (current is not None and summary == " ".join(current.summary.split())):
                self.add_error(
                    "change_summary",
                    _(
                        "Say what this revision changes and why: it is the title of the vote and the "
                        "summary of the version (the summary of the version in force is still here)."
                    ),
                )
        return cleaned


class VotedPagePermissionTester(PagePermissionTester):
    """A page decided by the bureau's vote: nobody publishes it by hand once `hand_publishing_closed`.

    Applies to superusers too, and to every admin path that asks the page for its permissions
    (editor, revisions, bulk actions). A page with a published version is a public record: it is
    not unpublished or deleted by hand either. Shared by protocols and reports.
    """

    @cached_property
    def _versioned(self) -> bool:
        model = self.page.specific.version_model
        return model.objects.filter(**{model.page_field: self.page.pk}).exists()

    def hand_publishing_closed(self) -> bool:
        return self._versioned

    def can_publish(self) -> bool:
        return super().can_publish() and not self.hand_publishing_closed()

    def can_unpublish(self) -> bool:
        return super().can_unpublish() and not self._versioned

    def can_delete(self, ignore_bulk: bool = False) -> bool:
        return super().can_delete(ignore_bulk=ignore_bulk) and not self._versioned


class ProtocolPermissionTester(VotedPagePermissionTester):
    """Once a protocol has a version, only the bureau's vote publishes it: nobody publishes by hand.

    The first version may be published by a coordinator (the protocol the bureau started with);
    every later one goes through the collective-decision workflow.
    """


class DecidedByVoteMixin:
    """What protocols and reports share: the bureau's collective-decision workflow and frozen revisions.

    The class names its `version_model` (whose `page_field` points back at the page) and its
    `proposal_kind`; `commons.workflow` asks the page for the rest (`describe_submission`).
    """

    version_model: type
    permission_tester_class: type = VotedPagePermissionTester

    def permissions_for_user(self, user) -> PagePermissionTester:
        return self.permission_tester_class(user, self)

    def bureau_workflow(self):
        """The collective-decision workflow of the bureau this page belongs to."""
        from commons.workflow import bureau_of, ensure_bureau_workflow

        bureau = bureau_of(self)
        return ensure_bureau_workflow(bureau) if bureau is not None else None

    def get_workflow(self):
        """Always the bureau's collective-decision workflow (never an ancestor's « Moderators
        approval », which would let a reviewer approve by hand), or none if it was disabled."""
        workflow = self.bureau_workflow()
        return workflow if workflow is not None and workflow.active else None

    def save_revision(self, *args, overwrite_revision: Revision | None = None, **kwargs):
        """A revision put to the vote or published as a version is frozen: an edit that would
        overwrite it in place (Wagtail's autosave does that) becomes a new revision instead."""
        if overwrite_revision is not None and is_frozen(overwrite_revision):
            overwrite_revision = None
        return super().save_revision(*args, overwrite_revision=overwrite_revision, **kwargs)

    def version_extras(self, revision: Revision) -> dict:
        """Fields of the version recorded for `revision`, besides number, date, summary, decision."""
        return {}


class ProtocolPage(DecidedByVoteMixin, DeclaredRoutesMixin, Page):
    """The protocol of a study (one per study). Changes are published by the bureau's vote."""

    body = StreamField(ProtocolBodyBlock(), verbose_name=_("protocol"), blank=True)
    change_summary = models.TextField(
        _("summary of the changes"),
        blank=True,
        max_length=2000,
        help_text=_(
            "What this revision changes and why, in a few sentences: it is the title of the vote "
            "and the summary of the version in the history."
        ),
    )
    #: The version of another protocol this one was forked from (`studies.forks.fork_protocol`): its
    #: v1 started from that version's text. Both pages show the link.
    derived_from = models.ForeignKey(
        "studies.ProtocolVersion",
        verbose_name=_("derived from"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="forks",
    )

    parent_page_types = ["studies.StudyPage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1
    template = "studies/protocol/protocol_page.html"
    base_form_class = ProtocolPageForm
    content_panels = [*Page.content_panels, FieldPanel("change_summary"), FieldPanel("body")]
    # No scheduling panel: an adopted version goes live when the vote closes, and never expires.
    settings_panels = [CommentPanelPlaceholder()]
    search_fields = [*Page.search_fields, index.SearchField("body")]

    class Meta:
        verbose_name = _("protocol")
        verbose_name_plural = _("protocols")

    @cached_property
    def study(self):
        return self.get_parent().specific

    # --- Decided by the bureau's vote (`commons.workflow`). ---

    proposal_kind = ProposalKind.PROTOCOL
    permission_tester_class = ProtocolPermissionTester

    @property
    def version_model(self):
        return ProtocolVersion

    def version_extras(self, revision: Revision) -> dict:
        from ..versions import revision_body

        body = revision_body(revision)
        return {"grid": grid_definitions(body), "guide": guide_questions(body)}

    def describe_submission(self, revision, live_revision) -> tuple[str, str]:
        """Title and Markdown body of the proposal that puts `revision` to the vote."""
        from django.utils.translation import gettext

        from commons.models.governance import PROPOSAL_TITLE_MAX
        from participants.text import shorten_at_word

        from ..diffing import diff_bodies, summary_markdown
        from ..versions import current_version, revision_body, revision_summary, unadopted_changes

        submitted_summary = revision_summary(revision)
        current = current_version(self)
        number = (current.number + 1) if current else 1
        summary = " ".join(submitted_summary.split())
        title = gettext("Protocol v%(n)s of « %(study)s »") % {"n": number, "study": self.study.title}
        if summary:
            title += " — " + summary
        # The title must fit the proposal's: shortened at a word boundary; the body keeps the whole summary.
        title = shorten_at_word(title, PROPOSAL_TITLE_MAX)
        sections = diff_bodies(
            revision_body(live_revision) if live_revision is not None else None, revision_body(revision)
        )
        carried = [
            gettext(
                "**This revision still holds changes that an earlier vote did not adopt**: %(sections)s, "
                "from « %(title)s » (%(status)s)."
            )
            % {
                "sections": ", ".join(f"« {label} »" for label in earlier["sections"]),
                "title": earlier["proposal"].title,
                "status": earlier["status"],
            }
            for earlier in unadopted_changes(self, revision, live_revision)
        ]
        body = "\n\n".join(
            part
            for part in (
                submitted_summary.strip(),
                *carried,
                "### " + gettext("Sections changed"),
                summary_markdown(sections),
                gettext("The full text of the changes, word by word, is shown below the proposal."),
            )
            if part
        )
        return title, body

    @property
    def grid(self) -> list[dict]:
        return grid_definitions(self.body)

    # --- Public routes; the views are in `studies.views.protocol`. ---
    routes = page_routes(
        "studies.views",
        ("", "protocol.current", "current"),
        ("versions/", "protocol.history", "versions"),
        ("v/<int:number>/", "protocol.version", "version"),
        ("v/<int:number>/diff/", "protocol.version_diff", "version_diff"),
        ("v/<int:number>/registration/", "registrations.registration", "registration"),
        ("v/<int:number>/register/", "registrations.propose", "register"),
        ("fork/", "forks.fork", "fork"),
    )


def is_frozen(revision: Revision) -> bool:
    """Put to the vote or published as a version (of a protocol or a report): never overwritten."""
    from commons.models import CollectiveDecisionTaskState

    return (
        CollectiveDecisionTaskState.objects.filter(revision=revision).exists()
        or ProtocolVersion.objects.filter(revision=revision).exists()
        or _report_versioned(revision)
    )


def _report_versioned(revision: Revision) -> bool:
    from .report import ReportVersion

    return ReportVersion.objects.filter(revision=revision).exists()


class ProtocolVersion(models.Model):
    """A published revision of a protocol: v1, v2, … Never edited once recorded."""

    protocol = models.ForeignKey(ProtocolPage, on_delete=models.CASCADE, related_name="protocol_versions")
    number = models.PositiveIntegerField(_("version"))
    # PROTECT: Wagtail's `purge_revisions` skips protected revisions, so versions survive purges.
    revision = models.OneToOneField(
        "wagtailcore.Revision", on_delete=models.PROTECT, related_name="protocol_version"
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
        related_name="protocol_versions",
    )
    #: The observation grid and interview guide as published (see `studies.blocks`).
    grid = models.JSONField(default=list, blank=True)
    guide = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("protocol version")
        verbose_name_plural = _("protocol versions")
        ordering = ["protocol", "number"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "number"], name="unique_protocol_version_number"),
        ]

    page_field = "protocol"

    def __str__(self) -> str:
        return f"v{self.number}"

    @property
    def label(self) -> str:
        return f"v{self.number}"
