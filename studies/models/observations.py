"""Observations: field notes on how a collective uses generative AI.

The Markdown body is kept as source and stored sanitised (`MarkdownField`); `plain_text` is the
text excerpts point into (character offsets). `version` is an optimistic-lock counter: a save
built on an older version is refused instead of silently overwriting a colleague's edit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.models import ClusterableModel

from commons.fields import MarkdownField, html_field
from participants.models import ConsentScope

from .sources import CodableSource, ConsentedQuerySet


class Setting(models.TextChoices):
    MEETING = "meeting", _("meeting")
    DAILY_WORK = "daily_work", _("daily work")
    TRAINING = "training", _("training")
    EVENT = "event", _("event")
    INTERVIEW = "interview", _("interview")
    ONLINE = "online", _("online")


class Purpose(models.TextChoices):
    WRITING = "writing", _("writing")
    SUMMARISING = "summarising", _("summarising")
    TRANSLATING = "translating", _("translating")
    IDEATION = "ideation", _("ideation")
    CODING = "coding", _("coding (software)")
    IMAGES = "images", _("images")
    SEARCH = "search", _("search")
    ADMIN = "admin", _("administration")
    COMMUNICATION = "communication", _("communication")


class Visibility(models.TextChoices):
    TEAM = "team", _("study team only")
    PUBLISHABLE = "publishable", _("publishable")


class ObservationQuerySet(ConsentedQuerySet):
    """`consented()`: the collective has an `observation` consent in force."""

    consent_scope = ConsentScope.OBSERVATION
    consent_party = "collective"

    def coded_with(self, code) -> ObservationQuerySet:
        """Observations coded with `code`: applied to the whole note, or to at least one of its excerpts.

        The one definition of « the observations of a code » (`CODED_WITH_DEFINITION` says it on the
        pages): the codebook's per-code count and the observation list's code filter both use it, so
        they cannot disagree. `code` is a code, its id, or ``OuterRef("pk")`` when counting per code
        in a subquery (it is then passed one level further out, past this method's own subqueries).
        """
        from django.db.models import Exists, OuterRef

        from .coding import CodedObservation, Excerpt

        target = OuterRef(code) if isinstance(code, OuterRef) else code
        return self.filter(
            Exists(CodedObservation.objects.filter(content_object=OuterRef("pk"), tag=target))
            | Exists(Excerpt.objects.filter(observation=OuterRef("pk"), codes=target))
        )

    def count_subquery(self):
        """This queryset's row count as a subquery expression (0 when empty), to annotate an outer list."""
        from django.db.models import Count, IntegerField, Subquery, Value
        from django.db.models.functions import Coalesce

        counted = self.order_by().annotate(one=Value(1)).values("one").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


#: What « observations coded with a code » means, said on the codebook and the observation list.
CODED_WITH_DEFINITION = _(
    "An observation counts for a code when the code is applied to the whole note or to at least one "
    "of its passages; the observation list's code filter uses the same definition."
)


class Observation(CodableSource, ClusterableModel):
    text_field = "body"
    party_field = "collective_id"

    study = models.ForeignKey("studies.StudyPage", on_delete=models.CASCADE, related_name="observations")
    observer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="observations"
    )
    observed_on = models.DateField(_("observed on"), default=timezone.localdate)
    collective = models.ForeignKey(
        "participants.Collective",
        verbose_name=_("collective"),
        on_delete=models.PROTECT,
        related_name="observations",
    )
    setting = models.CharField(_("setting"), max_length=20, choices=Setting.choices)
    ai_tools = models.ManyToManyField(
        "studies.AITool", verbose_name=_("AI tools used"), blank=True, related_name="observations"
    )
    purposes = models.JSONField(_("purposes"), default=list, blank=True)
    body = MarkdownField(_("note"), html_field="body_html", help_text=_("Markdown."))
    body_html = html_field()
    visibility = models.CharField(
        _("visibility"), max_length=20, choices=Visibility.choices, default=Visibility.TEAM
    )
    codes = ClusterTaggableManager(through="studies.CodedObservation", blank=True, verbose_name=_("codes"))
    protocol_version = models.ForeignKey(
        "studies.ProtocolVersion",
        verbose_name=_("protocol version"),
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="observations",
        help_text=_("The protocol version in force when the observation was logged: its grid."),
    )
    #: Answers to the grid of `protocol_version`: {field name: value} (see `studies.grid`).
    grid_answers = models.JSONField(default=dict, blank=True)

    objects = ObservationQuerySet.as_manager()

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["-observed_on", "-pk"]
        indexes = [
            models.Index(fields=["study", "observed_on"]),
            models.Index(fields=["study", "collective"]),
            # The analysis pages read the consented observations by collective, and group them by
            # date, observer, protocol version and purposes: with all of these in the index,
            # PostgreSQL answers from the index alone (9 MB at 100,000 observations) instead of
            # reading the wide rows (160 MB: the note in three forms).
            models.Index(
                fields=[
                    "study",
                    "collective",
                    "id",
                    "observed_on",
                    "observer",
                    "protocol_version",
                    "purposes",
                ],
                name="studies_obs_analysis_cover",
            ),
        ]
