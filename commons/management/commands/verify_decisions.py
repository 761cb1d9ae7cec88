"""Re-check every bureau's decision register; exit non-zero naming the first broken link."""

from itertools import groupby

from django.core.management.base import BaseCommand, CommandError

from commons.governance import verify_chain
from commons.models import Decision


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
        self.stdout.write(self.style.SUCCESS(f"{checked} decision(s) verified: every chain is intact."))
