from django.core.management.base import BaseCommand

from commons import governance, notifications


class Command(BaseCommand):
    help = "Close every proposal whose voting period is over (idempotent), then send due vote reminders."

    def handle(self, *args, **options) -> None:
        closed = governance.close_due_proposals()
        reminded = notifications.send_vote_reminders()
        self.stdout.write(f"{closed} decision(s) recorded, {reminded} reminder(s) sent.")
