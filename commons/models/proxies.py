"""Proxies (« procurations »): a voting member lets another member of the same college vote for them.

A proxy is given for one proposal, or for every vote until it is revoked (as French associations'
statutes allow « pouvoirs »). Giving, revoking and using one are actions (`commons.actions`); this
module holds the row, its integrity constraints and which proxy applies to a vote.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProxyQuerySet(models.QuerySet):
    def active(self) -> ProxyQuerySet:
        """Proxies not revoked."""
        return self.filter(revoked_at__isnull=True)

    def applying_to(self, proposal) -> ProxyQuerySet:
        """Active proxies that may apply to `proposal`: given for it, or standing (until revoked)."""
        return (
            self.active()
            .filter(bureau_id=proposal.bureau_id)
            .filter(Q(proposal__isnull=True) | Q(proposal_id=proposal.pk))
        )


class Proxy(models.Model):
    """One member (`giver`) lets another (`holder`) vote for them, on one proposal or until revoked."""

    bureau = models.ForeignKey("commons.BureauPage", on_delete=models.CASCADE, related_name="proxies")
    giver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("given by"), on_delete=models.CASCADE, related_name="+"
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("holder"), on_delete=models.CASCADE, related_name="+"
    )
    #: The one proposal it is for; empty: every vote until revoked.
    proposal = models.ForeignKey(
        "commons.Proposal", null=True, blank=True, on_delete=models.CASCADE, related_name="proxies"
    )
    given_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ProxyQuerySet.as_manager()

    class Meta:
        verbose_name = _("proxy")
        verbose_name_plural = _("proxies")
        ordering = ["-given_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(giver=F("holder")), name="proxy_not_to_oneself"),
            models.UniqueConstraint(
                fields=["bureau", "giver"],
                condition=Q(revoked_at__isnull=True, proposal__isnull=True),
                name="one_standing_proxy_per_member",
            ),
            models.UniqueConstraint(
                fields=["giver", "proposal"],
                condition=Q(revoked_at__isnull=True, proposal__isnull=False),
                name="one_proxy_per_member_and_proposal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.giver} → {self.holder}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


def effective_proxies(proxies: Iterable[Proxy]) -> dict[int, Proxy]:
    """{giver id: the proxy that applies}, from the active proxies applying to one proposal.

    A proxy given for the proposal itself wins over a standing one: the member chose for this vote.
    """
    found: dict[int, Proxy] = {}
    for proxy in proxies:
        current = found.get(proxy.giver_id)
        if current is None or (current.proposal_id is None and proxy.proposal_id is not None):
            found[proxy.giver_id] = proxy
    return found
