"""Re-check every bureau's decision register; exit non-zero naming the first broken link."""

from itertools import groupby

from django.core.management.base import BaseCommand, CommandError

from commons.actions import verify_chain
from commons.models import Decision, Proposal
from commons.models.governance import CLOSED_STATUSES


class Command(BaseCommand):
    help = "Verify the SHA-256 chain of every bureau's decision register."

    def handle(self, *args, **options) -> None:
        decisions = Decision.objects.order_by("bureau_id", "sequence")
        checked = 0
        for bureau_id, chain in groupby(decisions.iterator(), key=lambda d: d.bureau_id):
            chain = list(chain)
            broken = verify_chain(chain)
            if broken is not None:
                raise CommandError(
                    f"Bureau {bureau_id}: decision #{broken.sequence} (id {broken.pk}, « {broken.title} ») "
                    "does not match its hash or its link to the previous decision."
                )
            checked += len(chain)
        # The chain cannot show that its newest links were cut off; a decided proposal without
        # its decision can (only `close_proposal` decides, and it records both in one transaction).
        undecided = Proposal.objects.filter(status__in=CLOSED_STATUSES, decision__isnull=True)
        orphan = undecided.order_by("pk").first()
        if orphan is not None:
            raise CommandError(
                f"Bureau {orphan.bureau_id}: proposal {orphan.pk} (« {orphan.title} ») is {orphan.status} "
                "but its decision is missing from the register."
            )
        self.stdout.write(self.style.SUCCESS(f"{checked} decision(s) verified: every chain is intact."))
