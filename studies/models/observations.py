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

    @classmethod
    def from_db(cls, db, field_names, values):
        """Remember the purposes as loaded: `save` rewrites the `ObservationPurpose` rows only when
        they changed, so saving an edited title costs no extra query."""
        instance = super().from_db(db, field_names, values)
        if "purposes" in instance.__dict__:
            instance._loaded_purposes = purpose_set(instance.purposes)
        return instance

    def refresh_from_db(self, using=None, fields=None, **kwargs) -> None:
        super().refresh_from_db(using=using, fields=fields, **kwargs)
        if (fields is None or "purposes" in fields) and "purposes" in self.__dict__:
            self._loaded_purposes = purpose_set(self.purposes)  # the list as stored now

    def save(self, *args, **kwargs) -> None:
        """Save, then keep the purpose rows (what filters read, through an index) in step with the list."""
        update_fields = kwargs.get("update_fields")
        adding = self._state.adding
        super().save(*args, **kwargs)
        if "purposes" not in self.__dict__ or (update_fields is not None and "purposes" not in update_fields):
            return  # the list was not loaded or not written: its rows stand
        wanted = purpose_set(self.purposes)
        loaded = frozenset() if adding else getattr(self, "_loaded_purposes", None)
        if loaded is not None and loaded == wanted:
            return
        rows = ObservationPurpose.objects.filter(observation=self)
        if loaded is None:  # loaded list unknown (built by hand): compare with the table
            loaded = frozenset(rows.values_list("purpose", flat=True))
        if gone := loaded - wanted:
            rows.filter(purpose__in=gone).delete()
        if added := wanted - loaded:
            ObservationPurpose.objects.bulk_create(
                [ObservationPurpose(observation=self, purpose=purpose) for purpose in sorted(added)],
                ignore_conflicts=True,
            )
        self._loaded_purposes = wanted


#: Longest purpose slug the table stores (the choices are far shorter; longer junk is not indexed).
PURPOSE_MAX_LENGTH = 32


def purpose_set(purposes) -> frozenset[str]:
    """The distinct purpose slugs of a JSON list, as the table stores them (junk values left out)."""
    if not isinstance(purposes, list | tuple):
        return frozenset()
    return frozenset(p for p in purposes if isinstance(p, str) and 0 < len(p) <= PURPOSE_MAX_LENGTH)


def purpose_rows(observations) -> list[ObservationPurpose]:
    """Unsaved `ObservationPurpose` rows for saved observations, for `bulk_create` by bulk writers
    (which bypass `Observation.save`)."""
    return [
        ObservationPurpose(observation_id=observation.pk, purpose=purpose)
        for observation in observations
        for purpose in sorted(purpose_set(observation.purposes))
    ]


class ObservationPurpose(models.Model):
    """One purpose of one observation: the JSON list `Observation.purposes` (the form's source of
    truth) kept as rows, so that filtering by a purpose reads an index on SQLite and PostgreSQL alike
    instead of scanning every list as text (``LIKE``). `Observation.save` and the bulk writers keep it
    in step; `studies.analysis.filters.purpose_q` is the one filter reading it."""

    # No index of its own: the unique constraint (observation, purpose) serves lookups by observation.
    observation = models.ForeignKey(
        Observation, on_delete=models.CASCADE, related_name="purpose_rows", db_index=False
    )
    purpose = models.CharField(max_length=PURPOSE_MAX_LENGTH, choices=Purpose.choices)

    class Meta:
        verbose_name = _("observation purpose")
        verbose_name_plural = _("observation purposes")
        constraints = [
            models.UniqueConstraint(fields=["observation", "purpose"], name="studies_obspurpose_unique"),
        ]
        indexes = [models.Index(fields=["purpose", "observation"], name="studies_obspurpose_purpose")]

    def __str__(self) -> str:
        return f"{self.observation_id}: {self.purpose}"
