"""What the agreement page needs of each observation's coding, kept up to date by the coding services.

Why: Cohen's kappa and Krippendorff's alpha (`studies.agreement`) were computed from every coded
observation's excerpts on each view — 784 ms at 10,000 observations on PostgreSQL, 8 to 12 s at
100,000 (issue 15). Both only need, per observation, sums that do not change until its coding does:

- `ObservationCoder`: a coder has excerpts in the observation (how many, how many flagged for
  review), and the observation's length;
- `CoderCoverage`: the characters one coder's usable excerpts carrying one code cover (spans merged
  and clipped to the text; 0 when every such excerpt falls outside it);
- `CoderOverlap`: the characters two coders both covered with one code (only when > 0);
- `CoderPair`: two coders both coded the observation (with usable excerpts): its length and the
  (character, code) pairs on which they differ — the « largest disagreements » ranked in SQL.

The rows carry no consent: each row names the observation's study and collective, and the page keeps
only the rows whose collective's consent is in force (the consent rule, `Observation.objects.consent_q()`,
read at each view), so a withdrawal applies at once. Each row also names how many coders have usable
excerpts in the observation (`raters`): alpha among all coders groups by it.
`studies.agreement_summaries` keeps them exact.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class ObservationCoder(models.Model):
    """One coder's excerpts in one observation (any excerpt, flagged or not)."""

    observation = models.ForeignKey("studies.Observation", on_delete=models.CASCADE, related_name="+")
    #: Where the observation is (copied from it, kept in step): the page reads a study's rows and
    #: applies the consent rule to the collective's column (`Observation.objects.consent_q()`),
    #: without joining the observations.
    study = models.ForeignKey("studies.StudyPage", on_delete=models.CASCADE, related_name="+")
    collective = models.ForeignKey("participants.Collective", on_delete=models.CASCADE, related_name="+")
    #: Coders with usable excerpts in the observation (alpha's m, when they are all compared).
    raters = models.PositiveIntegerField()
    coder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    #: The observation's plain text length, in characters.
    length = models.PositiveIntegerField()
    excerpts = models.PositiveIntegerField()
    #: Of which flagged for review (left out of the measures).
    flagged = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["observation", "coder"], name="one_row_per_observation_coder"),
        ]
        indexes = [models.Index(fields=["study", "coder", "collective"], name="observation_coder_by_coder")]

    def __str__(self) -> str:
        return f"observation {self.observation_id} × coder {self.coder_id}: {self.excerpts} excerpts"


class CoderCoverage(models.Model):
    """Characters of one observation one coder covered with one code (usable excerpts only)."""

    observation = models.ForeignKey("studies.Observation", on_delete=models.CASCADE, related_name="+")
    #: Where the observation is (copied from it, kept in step): the page reads a study's rows and
    #: applies the consent rule to the collective's column (`Observation.objects.consent_q()`),
    #: without joining the observations.
    study = models.ForeignKey("studies.StudyPage", on_delete=models.CASCADE, related_name="+")
    collective = models.ForeignKey("participants.Collective", on_delete=models.CASCADE, related_name="+")
    #: Coders with usable excerpts in the observation (alpha's m, when they are all compared).
    raters = models.PositiveIntegerField()
    coder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code = models.ForeignKey("studies.Code", on_delete=models.CASCADE, related_name="+")
    characters = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["observation", "coder", "code"], name="one_coverage_per_code"),
        ]
        indexes = [models.Index(fields=["study", "coder", "code"], name="coverage_by_coder")]

    def __str__(self) -> str:
        return f"observation {self.observation_id}, coder {self.coder_id}, code {self.code_id}"


class CoderOverlap(models.Model):
    """Characters of one observation two coders (``coder_a < coder_b``) both covered with one code."""

    observation = models.ForeignKey("studies.Observation", on_delete=models.CASCADE, related_name="+")
    #: Where the observation is (copied from it, kept in step): the page reads a study's rows and
    #: applies the consent rule to the collective's column (`Observation.objects.consent_q()`),
    #: without joining the observations.
    study = models.ForeignKey("studies.StudyPage", on_delete=models.CASCADE, related_name="+")
    collective = models.ForeignKey("participants.Collective", on_delete=models.CASCADE, related_name="+")
    #: Coders with usable excerpts in the observation (alpha's m, when they are all compared).
    raters = models.PositiveIntegerField()
    code = models.ForeignKey("studies.Code", on_delete=models.CASCADE, related_name="+")
    coder_a = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    coder_b = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    characters = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(coder_a__lt=F("coder_b")), name="overlap_coders_in_order"),
            models.UniqueConstraint(
                fields=["observation", "coder_a", "coder_b", "code"], name="one_overlap_per_code"
            ),
        ]
        indexes = [models.Index(fields=["study", "coder_a", "coder_b", "code"], name="overlap_by_pair")]

    def __str__(self) -> str:
        return f"observation {self.observation_id}, coders {self.coder_a_id}–{self.coder_b_id}"


class CoderPair(models.Model):
    """Two coders (``coder_a < coder_b``) both coded one observation: how much they differ there."""

    observation = models.ForeignKey("studies.Observation", on_delete=models.CASCADE, related_name="+")
    #: Where the observation is (copied from it, kept in step): the page reads a study's rows and
    #: applies the consent rule to the collective's column (`Observation.objects.consent_q()`),
    #: without joining the observations.
    study = models.ForeignKey("studies.StudyPage", on_delete=models.CASCADE, related_name="+")
    collective = models.ForeignKey("participants.Collective", on_delete=models.CASCADE, related_name="+")
    coder_a = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    coder_b = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    length = models.PositiveIntegerField()
    #: (character, code) pairs covered by exactly one of the two.
    differing = models.PositiveIntegerField()
    #: ``differing / length`` as a float, for ordering only: IEEE division is correctly rounded, so
    #: two fractions with denominators below 10⁷ keep their exact order (ties included).
    share = models.FloatField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(coder_a__lt=F("coder_b")), name="pair_coders_in_order"),
            models.UniqueConstraint(fields=["observation", "coder_a", "coder_b"], name="one_pair_row"),
        ]
        indexes = [
            models.Index(
                F("study"),
                F("coder_a"),
                F("coder_b"),
                F("share").desc(),
                F("differing").desc(),
                F("observation"),
                name="pair_by_disagreement",
            )
        ]

    def __str__(self) -> str:
        return f"observation {self.observation_id}, coders {self.coder_a_id}–{self.coder_b_id}"
