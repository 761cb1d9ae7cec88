"""Membership of a person in a bureau: role, college, joined and left."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("coordinator")
    MEMBER = "member", _("member")
    OBSERVER = "observer", _("observer")


#: Roles whose holders vote and edit the bureau's pages.
VOTING_ROLES = (Role.COORDINATOR, Role.MEMBER)


def role_votes(role: str | None) -> bool:
    """Whether a holder of `role` votes (and edits the bureau's pages): forms ask this of a role
    chosen in a form, before any membership holds it."""
    return role in VOTING_ROLES


def role_coordinates(role: str | None) -> bool:
    """Whether a holder of `role` coordinates the bureau (manages members, runs votes)."""
    return role == Role.COORDINATOR


class MembershipQuerySet(models.QuerySet):
    def active(self) -> MembershipQuerySet:
        """Memberships that have not ended."""
        return self.filter(left_at__isnull=True)

    def voting(self) -> MembershipQuerySet:
        """Active memberships whose holders vote: the electorate of a vote opened now."""
        return self.active().filter(role__in=VOTING_ROLES)

    def coordinating(self) -> MembershipQuerySet:
        """Active memberships of the bureaus' coordinators."""
        return self.active().filter(role=Role.COORDINATOR)


class Membership(models.Model):
    """One person's place in one bureau. Leaving keeps the row (history) and sets `left_at`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    bureau = models.ForeignKey("commons.BureauPage", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    college = models.ForeignKey(
        "commons.College",
        verbose_name=_("college"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["bureau", "role", "joined_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "bureau"],
                condition=Q(left_at__isnull=True),
                name="one_active_membership_per_bureau",
            ),
        ]
        indexes = [models.Index(fields=["bureau", "left_at"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.bureau} ({self.get_role_display()})"

    @property
    def is_active(self) -> bool:
        return self.left_at is None

    @property
    def is_coordinator(self) -> bool:
        return self.is_active and role_coordinates(self.role)

    @property
    def votes(self) -> bool:
        return self.is_active and role_votes(self.role)

    def is_last_coordinator(self) -> bool:
        """True when ending or demoting this membership would leave the bureau without a coordinator."""
        if not self.is_coordinator:
            return False
        others = Membership.objects.coordinating().filter(bureau_id=self.bureau_id).exclude(pk=self.pk)
        return not others.exists()
