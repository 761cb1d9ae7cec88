"""Per-code tallies kept up to date by the coding services: the codebook's counts without a scan.

Why: counting, for each code, the consented observations and excerpts that carry it scans every
excerpt of the study — 10 s on PostgreSQL and 24 s on SQLite at 100,000 observations (issue 15).
A tally row holds one code's counts for one consenting party (a collective for observations, an
informant for interviews), so the consent rule still applies at read time, row by row: a
withdrawal changes the figures at once, even one made by a bare ``update()``, and a study with 50
collectives reads at most 50 rows per code. `studies.tallies` keeps the rows exact.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class CodeTally(models.Model):
    """How much one party's material carries one code (exactly one of `collective`, `informant`)."""

    code = models.ForeignKey("studies.Code", on_delete=models.CASCADE, related_name="tallies")
    collective = models.ForeignKey(
        "participants.Collective", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    informant = models.ForeignKey(
        "participants.Informant", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    #: Observations of the collective coded with the code, whole or through an excerpt
    #: (`ObservationQuerySet.coded_with`); 0 on an informant's row.
    observations = models.PositiveIntegerField(default=0)
    #: Excerpts carrying the code: of the collective's observations, or of the informant's interviews.
    excerpts = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(collective__isnull=False, informant__isnull=True)
                | Q(collective__isnull=True, informant__isnull=False),
                name="tally_of_one_party",
            ),
            models.UniqueConstraint(
                fields=["code", "collective"],
                condition=Q(informant__isnull=True),
                name="one_tally_per_collective",
            ),
            models.UniqueConstraint(
                fields=["code", "informant"],
                condition=Q(collective__isnull=True),
                name="one_tally_per_informant",
            ),
        ]

    def __str__(self) -> str:
        party = f"collective {self.collective_id}" if self.collective_id else f"informant {self.informant_id}"
        return f"code {self.code_id} × {party}: {self.observations} obs., {self.excerpts} excerpts"
