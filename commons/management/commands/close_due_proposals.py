from django.core.management.base import BaseCommand

from commons import notifications, tasks


class Command(BaseCommand):
    help = "Close every proposal whose voting period is over (idempotent), then send due vote reminders."

    def handle(self, *args, **options) -> None:
        closed = tasks.close_due()
        reminded = notifications.send_vote_reminders()
        self.stdout.write(f"{closed} decision(s) recorded, {reminded} reminder(s) sent.")
