"""Consent: versioned forms, and who consented to what, when — and when they withdrew.

Withdrawal takes effect at once: every list, count and page asks `ConsentRecord.objects.given_for()`
(given, not withdrawn, covering the scope; for an informant, their collective's consent too), so a
withdrawn party's material disappears everywhere on the next request without anything being deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Cast, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .collectives import Collective, Informant


class ConsentScope(models.TextChoices):
    OBSERVATION = "observation", _("observation")
    INTERVIEW = "interview", _("interview")
    RECORDING = "recording", _("recording")
    QUOTATION = "quotation", _("quotation")
    AI_PROCESSING = "ai_processing", _("processing by AI tools")
    ASSESSMENT = "assessment", _("self-assessment against a referential")


class ConsentForm(models.Model):
    """The text people consent to, in versions: a record points at the version that was signed."""

    bureau = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="consent_forms")
    title = models.CharField(_("title"), max_length=200)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    text = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    #: How long the material of the people who signed this form is kept once the study has ended
    #: (`StudyPage.ends_on`); empty: the form says nothing, so nothing is ever due for erasure.
    retention_months = models.PositiveSmallIntegerField(
        _("retention after the study ends (months)"),
        null=True,
        blank=True,
        help_text=_(
            "How long the material of the people who sign this form is kept once the study has ended; "
            "past that date it is listed for erasure. Leave empty if the form states no period."
        ),
    )

    class Meta:
        verbose_name = _("consent form")
        verbose_name_plural = _("consent forms")
        ordering = ["bureau", "title", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "title", "version"], name="unique_form_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def retention_label(self) -> str:
        """« 24 mois après la fin de l'étude », or « non précisée »: the period as the pages state it."""
        from django.utils.translation import ngettext

        if self.retention_months is None:
            return str(_("not stated"))
        return ngettext(
            "%(n)s month after the end of the study",
            "%(n)s months after the end of the study",
            self.retention_months,
        ) % {"n": self.retention_months}


class ConsentRecordQuerySet(models.QuerySet):
    def current(self, at=None) -> ConsentRecordQuerySet:
        """Consents in force: given (at or before `at`) and not withdrawn."""
        at = at or timezone.now()
        return self.filter(given_at__lte=at).filter(Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gt=at))

    def covering(self, scope: str) -> ConsentRecordQuerySet:
        """Consents whose scopes include `scope`.

        `scopes` is a JSON list of plain words, so matching the quoted word works the same on
        SQLite (which has no JSON containment lookup) and PostgreSQL.
        """
        return self.filter(scopes__icontains=f'"{scope}"')

    def in_force(self, scope: str, at=None, **party) -> ConsentRecordQuerySet:
        """The rule in one call: consents current at `at` (default now), covering `scope`, given by
        `party` (``collective=…`` or ``informant=…``, an instance or an ``OuterRef``)."""
        return self.current(at).covering(scope).filter(**party)

    def given_for(
        self, scope: str, at=None, *, collective: str | None = None, informant: str | None = None
    ) -> Q:
        """A filter keeping the rows whose party consents to `scope` (at `at`, default now).

        `collective` or `informant` is the lookup path from the filtered model to the party
        (``"collective"`` on an observation, ``"informant"`` on an interview, ``"pk"`` on the party's
        own table). The rule of the DESIGN lives here: material about an informant needs both the
        informant's consent and their collective's — a withdrawal by either hides it at once.
        """
        if (collective is None) == (informant is None):
            raise TypeError("given_for() takes a collective or an informant path (one of the two).")
        if collective is not None:
            return Q(Exists(self.in_force(scope, at, collective=OuterRef(collective))))
        their_collective = "collective" if informant == "pk" else f"{informant}__collective"
        return Q(Exists(self.in_force(scope, at, informant=OuterRef(informant)))) & Q(
            Exists(self.in_force(scope, at, collective=OuterRef(their_collective)))
        )


class ConsentRecord(models.Model):
    """One consent, given by a collective or by an informant (exactly one of the two)."""

    form = models.ForeignKey(
        ConsentForm, verbose_name=_("form version"), on_delete=models.PROTECT, related_name="records"
    )
    collective = models.ForeignKey(
        Collective, null=True, blank=True, on_delete=models.CASCADE, related_name="consents"
    )
    informant = models.ForeignKey(
        Informant, null=True, blank=True, on_delete=models.CASCADE, related_name="consents"
    )
    scopes = models.JSONField(_("scopes"), default=list)
    given_at = models.DateTimeField(_("given at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    #: The member who entered the record (in the admin): part of their « Mes données », moved to
    #: the departed label if they leave the platform.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-given_at"]
        indexes = [
            # Read for its statistics more than for lookups: `covering()` filters on this expression
            # (`scopes__icontains`), and PostgreSQL keeps statistics on an indexed expression. Without
            # them it guesses that one consent in two hundred covers a scope, plans every consented()
            # query for a handful of parties, and walks 100,000 observations by index one by one.
            models.Index(Upper(Cast("scopes", models.TextField())), name="consent_scopes_upper_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(collective__isnull=False, informant__isnull=True)
                    | Q(collective__isnull=True, informant__isnull=False)
                ),
                name="consent_of_collective_or_informant",
            ),
        ]

    def __str__(self) -> str:
        who = self.collective or self.informant
        return f"{who} — {', '.join(self.scopes)}"

    def clean(self) -> None:
        unknown = set(self.scopes) - set(ConsentScope.values)
        if unknown:
            raise ValidationError(
                {"scopes": _("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(sorted(unknown))}}
            )
        if (self.collective_id is None) == (self.informant_id is None):
            raise ValidationError(
                _("A consent is given by a collective or by an informant (one of the two).")
            )
        if self.withdrawn_at and self.given_at and self.withdrawn_at < self.given_at:
            raise ValidationError({"withdrawn_at": _("A consent cannot be withdrawn before it was given.")})

    @property
    def is_current(self) -> bool:
        now = timezone.now()
        return self.given_at <= now and (self.withdrawn_at is None or self.withdrawn_at > now)


def has_consent(
    *, scope: str, collective: Collective | None = None, informant: Informant | None = None
) -> bool:
    """Is there a consent in force for `scope`? For an informant, their collective's is needed too
    (`ConsentRecordQuerySet.given_for`, the same rule as the querysets)."""
    if collective is not None:
        return ConsentRecord.objects.in_force(scope, collective=collective).exists()
    return (
        Informant.objects.filter(pk=informant.pk)
        .filter(ConsentRecord.objects.given_for(scope, informant="pk"))
        .exists()
    )
