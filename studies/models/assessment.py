"""Assessment grids: referentials as versioned data, and the assessments made against them.

A `Referential` (INR-like label, RGESN, the demo's own grid…) has `ReferentialVersion`s, each
imported from a file (`studies.assessments.importing`) into a tree `Theme` → `Rubric` →
`Criterion`, with its scoring rule stored as data (`rule`, JSON) and the rule's SHA-256. A version
is proposed to the bureau and, once adopted by its vote, immutable: its rows refuse `save()` and
`delete()` (`VersionLocked`). An `Assessment` is pinned to one version for good; its `Answer`s (one
per criterion and assessor, never pre-filled) keep every change in `AnswerChange`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class VersionLocked(Exception):
    """An adopted referential version, or a frozen assessment, is never changed."""


class Referential(models.Model):
    """A published grid the bureau assesses against (its text may not be ours to redistribute)."""

    bureau = models.ForeignKey("commons.BureauPage", on_delete=models.CASCADE, related_name="referentials")
    name = models.CharField(_("name"), max_length=200)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    licence = models.CharField(_("licence"), max_length=200, blank=True)
    redistributable = models.BooleanField(_("its text may be redistributed"), default=False)
    example = models.BooleanField(_("example written for the demo"), default=False)

    class Meta:
        verbose_name = _("referential")
        verbose_name_plural = _("referentials")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["bureau", "name"], name="unique_referential_name")]

    def __str__(self) -> str:
        return self.name


class VersionStatus(models.TextChoices):
    IMPORTED = "imported", _("imported")
    ADOPTED = "adopted", _("adopted")


class ReferentialVersion(models.Model):
    referential = models.ForeignKey(Referential, on_delete=models.CASCADE, related_name="versions")
    label = models.CharField(_("version"), max_length=40)
    published_on = models.CharField(_("published on"), max_length=10, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    dmr = models.BooleanField(_("criteria examined through Documents / Means / Results"), default=True)
    #: The whole normalised file (`validation.check`), kept as imported.
    content = models.JSONField(_("content"))
    #: The scoring rule as data (`validation.rule_of`) and its SHA-256 (`scoring.rule_checksum`).
    rule = models.JSONField(_("scoring rule"))
    rule_sha256 = models.CharField(_("SHA-256 of the rule"), max_length=64)
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_versions"
    )
    #: {criterion code of `previous`: criterion code of this version}: the answers an upgrade carries.
    upgrade_map = models.JSONField(_("upgrade map"), default=dict, blank=True)
    status = models.CharField(max_length=10, choices=VersionStatus.choices, default=VersionStatus.IMPORTED)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision = models.ForeignKey(
        "commons.Decision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    adopted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("referential version")
        verbose_name_plural = _("referential versions")
        ordering = ["referential", "imported_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["referential", "label"], name="unique_referential_version")
        ]

    def __str__(self) -> str:
        return f"{self.referential} {self.label}"

    def save(self, *args, **kwargs) -> None:
        if self.pk and ReferentialVersion.objects.filter(pk=self.pk, status=VersionStatus.ADOPTED).exists():
            raise VersionLocked("An adopted referential version is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.adopted:
            raise VersionLocked("An adopted referential version is never deleted.")
        return super().delete(*args, **kwargs)

    @property
    def adopted(self) -> bool:
        return self.status == VersionStatus.ADOPTED


class _TreeRow(models.Model):
    """A row of a version's tree: frozen with its version."""

    code = models.CharField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=300)
    weight = models.CharField(_("weight"), max_length=40, default="1")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def save(self, *args, **kwargs) -> None:
        if ReferentialVersion.objects.filter(pk=self._version_id(), status=VersionStatus.ADOPTED).exists():
            raise VersionLocked("An adopted referential version is never changed.")
        super().save(*args, **kwargs)

    def _version_id(self) -> int:
        raise NotImplementedError


class Theme(_TreeRow):
    version = models.ForeignKey(ReferentialVersion, on_delete=models.CASCADE, related_name="themes")

    class Meta(_TreeRow.Meta):
        verbose_name = _("theme")
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="unique_theme_code")]

    def _version_id(self) -> int:
        return self.version_id


class Rubric(_TreeRow):
    version = models.ForeignKey(ReferentialVersion, on_delete=models.CASCADE, related_name="rubrics")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="rubrics")
    essential = models.BooleanField(_("essential"), default=False)

    class Meta(_TreeRow.Meta):
        verbose_name = _("rubric")
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="unique_rubric_code")]

    def _version_id(self) -> int:
        return self.version_id


class Criterion(_TreeRow):
    version = models.ForeignKey(ReferentialVersion, on_delete=models.CASCADE, related_name="criteria")
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria")
    guidance = models.TextField(_("guidance"), blank=True)
    evidence = models.TextField(_("expected evidence"), blank=True)
    not_applicable_allowed = models.BooleanField(_("« not applicable » allowed"), default=False)
    priority = models.CharField(_("priority"), max_length=40, blank=True)
    depends_on = models.JSONField(_("depends on"), default=list, blank=True)

    class Meta(_TreeRow.Meta):
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="unique_criterion_code")]

    def _version_id(self) -> int:
        return self.version_id


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    IN_REVIEW = "in_review", _("in review")
    CHANGES_REQUESTED = "changes_requested", _("changes requested")
    REVIEWED = "reviewed", _("reviewed")
    FROZEN = "frozen", _("frozen")


class AssessmentQuerySet(models.QuerySet):
    def consented(self) -> AssessmentQuerySet:
        """Assessments shown anywhere: of the bureau itself, or of a collective consenting to
        « assessment » now (`ConsentRecord.objects.given_for`, the rule's one home): a withdrawal
        hides them at once, everywhere; rows stay until the collective is erased."""
        from participants.models import ConsentRecord, ConsentScope

        return self.filter(
            models.Q(collective__isnull=True)
            | ConsentRecord.objects.given_for(ConsentScope.ASSESSMENT, collective="collective")
        )


class Assessment(models.Model):
    """One self-assessment of a subject at a date, pinned to one referential version for good."""

    study = models.ForeignKey("studies.StudyPage", on_delete=models.CASCADE, related_name="assessments")
    version = models.ForeignKey(ReferentialVersion, on_delete=models.PROTECT, related_name="assessments")
    #: The collective assessed (under its consent and pseudonym); empty: the bureau itself.
    collective = models.ForeignKey(
        "participants.Collective",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name=_("collective"),
    )
    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    status = models.CharField(
        _("status"), max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    #: The assessment this one was upgraded from (to a later version of the referential).
    upgraded_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="upgrades"
    )
    #: Scores frozen at each stage: {"self": {...}, "reviewed": {...}, "final": {...}, "rule_sha256": …}.
    frozen_scores = models.JSONField(default=dict, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-assessed_on", "-pk"]

    def __str__(self) -> str:
        subject = self.collective.code if self.collective_id else _("the bureau")
        return f"{self.version} — {subject} — {self.assessed_on:%d/%m/%Y}"


class DMR(models.TextChoices):
    PRESENT = "present", _("present")
    PARTIAL = "partial", _("partial")
    ABSENT = "absent", _("absent")


ANSWER_FIELDS = (
    "level",
    "justification",
    "documents",
    "documents_text",
    "means",
    "means_text",
    "results",
    "results_text",
    "comment",
)


class Answer(models.Model):
    """One assessor's answer to one criterion; the level is never pre-filled (empty until chosen)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="answers")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    #: A level code of the scale, « na » (not applicable), or empty (not answered yet).
    level = models.CharField(_("level"), max_length=40, blank=True)
    justification = models.TextField(_("why not applicable"), blank=True)
    documents = models.CharField(_("documents"), max_length=8, choices=DMR.choices, blank=True)
    documents_text = models.TextField(_("documents: what and where"), blank=True)
    means = models.CharField(_("means"), max_length=8, choices=DMR.choices, blank=True)
    means_text = models.TextField(_("means: what and where"), blank=True)
    results = models.CharField(_("results"), max_length=8, choices=DMR.choices, blank=True)
    results_text = models.TextField(_("results: what and where"), blank=True)
    comment = models.TextField(_("comment"), blank=True)
    evidence = models.ManyToManyField("studies.Evidence", blank=True, related_name="answers")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("answer")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "criterion", "assessor"], name="one_answer_per_assessor"
            )
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.level or '—'}"

    def values(self) -> dict:
        return {name: getattr(self, name) for name in ANSWER_FIELDS}


class AnswerChange(models.Model):
    """Append-only history of an answer: what it became, who changed it, when."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    values = models.JSONField()

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.answer_id} @ {self.changed_at:%Y-%m-%d %H:%M}"


class Severity(models.TextChoices):
    NOTE = "note", _("note")
    MINOR = "minor", _("minor")
    MAJOR = "major", _("major")


class Verdict(models.TextChoices):
    CONFIRMED = "confirmed", _("self-assessment confirmed")
    RESERVATIONS = "reservations", _("confirmed with reservations")
    NOT_CONFIRMED = "not_confirmed", _("not confirmed")


class Review(models.Model):
    """The review of an assessment: who reviews (a member, or a named external auditor) and the verdict."""

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="review")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    auditor_name = models.CharField(
        _("external auditor"),
        max_length=200,
        blank=True,
        help_text=_("The auditor's name when the review is made by someone outside the bureau."),
    )
    verdict = models.CharField(_("verdict"), max_length=20, choices=Verdict.choices, blank=True)
    verdict_text = models.TextField(_("verdict, explained"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("review")

    def __str__(self) -> str:
        return f"{self.assessment_id}: {self.verdict or '—'}"


class Finding(models.Model):
    """Per criterion: the reviewed level beside the self-assessed one (both kept), a finding, a severity."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="findings")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    reviewed_level = models.CharField(_("reviewed level"), max_length=40, blank=True)
    finding = models.TextField(_("finding"), blank=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("finding")
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="one_finding_per_criterion")
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.reviewed_level or '—'}"


class Evidence(models.Model):
    """A proof for the answers about one subject: a file (private, served only to the study's team
    while the subject consents) or a link; reusable across answers and assessments of that subject.

    Erased with its collective (`studies.erasure`: the row goes with the collective, the file after
    commit)."""

    study = models.ForeignKey(
        "studies.StudyPage", on_delete=models.CASCADE, related_name="assessment_evidence"
    )
    collective = models.ForeignKey(
        "participants.Collective", on_delete=models.CASCADE, null=True, blank=True, related_name="evidence"
    )
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("link"), blank=True, max_length=500)
    document = models.ForeignKey(
        "wagtaildocs.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("file"),
    )
    dated = models.DateField(_("dated"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True)
    personal_data = models.BooleanField(_("holds personal data"), default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["-added_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ADOPTED = "adopted", _("adopted")


class EngagementPlan(models.Model):
    """The plan that follows an assessment: objectives linked to criteria, actions, indicators.

    Adopted by the bureau's vote (a proposal of kind « engagement plan »); once adopted its objectives
    and indicators are fixed, while actions move on, values are measured and progress is reviewed."""

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="plan")
    title = models.CharField(_("title"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    decision = models.ForeignKey(
        "commons.Decision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    adopted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("engagement plan")
        verbose_name_plural = _("engagement plans")

    def __str__(self) -> str:
        return self.title


class Objective(models.Model):
    plan = models.ForeignKey(EngagementPlan, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(_("objective"), max_length=300)
    criteria = models.ManyToManyField(Criterion, blank=True, related_name="+", verbose_name=_("criteria"))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("objective")

    def __str__(self) -> str:
        return self.title


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    STARTED = "started", _("started")
    DONE = "done", _("done")
    DROPPED = "dropped", _("dropped")


class PlanAction(models.Model):
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("action"), max_length=300)
    owner = models.CharField(_("who carries it"), max_length=200, blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.PLANNED
    )
    evidence = models.ManyToManyField(Evidence, blank=True, related_name="plan_actions")

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("action")

    def __str__(self) -> str:
        return self.title


class Direction(models.TextChoices):
    UP = "up", _("the higher the better")
    DOWN = "down", _("the lower the better")


class Indicator(models.Model):
    plan = models.ForeignKey(EngagementPlan, on_delete=models.CASCADE, related_name="indicators")
    objective = models.ForeignKey(
        Objective, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("indicator"), max_length=200)
    unit = models.CharField(_("unit"), max_length=40)
    direction = models.CharField(
        _("direction"), max_length=4, choices=Direction.choices, default=Direction.UP
    )
    baseline = models.DecimalField(_("baseline"), max_digits=14, decimal_places=4)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=4)
    method = models.TextField(_("how it is measured"), blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("indicator")

    def __str__(self) -> str:
        return self.name


class MeasurementQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise VersionLocked("A measurement is never changed: record a new one.")

    def delete(self):
        raise VersionLocked("A measurement is never deleted.")


class Measurement(models.Model):
    """One measured value of an indicator: the series is append-only (a correction is a new value)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="measurements")
    measured_on = models.DateField(_("measured on"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = MeasurementQuerySet.as_manager()

    class Meta:
        ordering = ["measured_on", "recorded_at", "pk"]
        verbose_name = _("measurement")

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.measured_on}: {self.value}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise VersionLocked("A measurement is never changed: record a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise VersionLocked("A measurement is never deleted.")


class ProgressReview(models.Model):
    plan = models.ForeignKey(EngagementPlan, on_delete=models.CASCADE, related_name="progress_reviews")
    scheduled_on = models.DateField(_("scheduled on"))
    notes = models.TextField(_("notes"), blank=True)
    held = models.BooleanField(_("held"), default=False)
    #: When it was actually held, and what it concluded (recorded after the fact, from the plan page).
    held_on = models.DateField(_("held on"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        ordering = ["scheduled_on", "pk"]
        verbose_name = _("progress review")

    def __str__(self) -> str:
        return f"{self.plan_id} {self.scheduled_on}"
