"""Observed collectives of the social and solidarity economy, and the informants within them.

A collective belongs to one bureau (its `bureau` is the bureau's Wagtail page: `participants`
must not depend on `commons`, so the link is to `wagtailcore.Page`). Outside the study team it
is only ever named by its pseudonym code (`C-07`), assigned automatically and unique within the
bureau; its real name and an informant's identifying details are for the team only.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

CODE_PATTERN = re.compile(r"^C-(\d+)$")


class LegalForm(models.TextChoices):
    ASSOCIATION = "association", _("association loi 1901")
    SCOP = "scop", _("SCOP")
    SCIC = "scic", _("SCIC")
    COOPERATIVE = "cooperative", _("cooperative")
    MUTUAL = "mutual", _("mutual")
    FOUNDATION = "foundation", _("foundation")
    TIERS_LIEU = "tiers_lieu", _("tiers-lieu")
    INFORMAL = "informal", _("informal collective")


class SizeBand(models.TextChoices):
    MICRO = "1-9", _("1 to 9 people")
    SMALL = "10-49", _("10 to 49 people")
    MEDIUM = "50-249", _("50 to 249 people")
    LARGE = "250+", _("250 people or more")


class Collective(models.Model):
    bureau = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="collectives")
    code = models.CharField(_("pseudonym code"), max_length=12, editable=False)
    name = models.CharField(_("name"), max_length=200, help_text=_("Visible to the study team only."))
    legal_form = models.CharField(_("legal form"), max_length=20, choices=LegalForm.choices)
    sector = models.CharField(_("sector"), max_length=120, blank=True)
    size_band = models.CharField(_("size"), max_length=10, choices=SizeBand.choices, blank=True)
    territory = models.CharField(_("territory"), max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("collective")
        verbose_name_plural = _("collectives")
        ordering = ["bureau", "code"]
        constraints = [models.UniqueConstraint(fields=["bureau", "code"], name="unique_collective_code")]

    def __str__(self) -> str:
        return self.code or self.name

    def save(self, *args, **kwargs) -> None:
        """Assign the next free `C-NN` code of the bureau; retry if another save took it meanwhile."""
        if self.code:
            return super().save(*args, **kwargs)
        for _attempt in range(5):
            self.code = self._next_code()
            try:
                with transaction.atomic():
                    return super().save(*args, **kwargs)
            except IntegrityError:
                self.code = ""
                self.pk = None
        raise IntegrityError("Could not assign a pseudonym code.")

    def _next_code(self) -> str:
        numbers = [
            int(match.group(1))
            for code in Collective.objects.filter(bureau_id=self.bureau_id).values_list("code", flat=True)
            if (match := CODE_PATTERN.match(code))
        ]
        return f"C-{max(numbers, default=0) + 1:02d}"


class Informant(models.Model):
    """A person interviewed or observed, known by pseudonym; identifying details are team-only."""

    collective = models.ForeignKey(
        Collective, verbose_name=_("collective"), on_delete=models.CASCADE, related_name="informants"
    )
    pseudonym = models.CharField(_("pseudonym"), max_length=80)
    role = models.CharField(_("role in the collective"), max_length=120, blank=True)
    identifying_details = models.TextField(
        _("identifying details"), blank=True, help_text=_("Name, contact… Visible to the study team only.")
    )

    class Meta:
        verbose_name = _("informant")
        verbose_name_plural = _("informants")
        ordering = ["collective", "pseudonym"]
        constraints = [models.UniqueConstraint(fields=["collective", "pseudonym"], name="unique_pseudonym")]

    def __str__(self) -> str:
        return f"{self.pseudonym} ({self.collective.code})"
