"""Background tasks (django-tasks): close due proposals and send vote reminders.

Run them periodically from a scheduler (cron or systemd timer) with the management commands
`close_due_proposals` — deadlines never depend on it: a ballot after the close is refused by
server time, and a due proposal is closed when someone views it.
"""

from django_tasks import task

from . import governance, notifications


@task()
def close_due_proposals_task() -> int:
    return governance.close_due_proposals()


@task()
def send_vote_reminders_task() -> int:
    return notifications.send_vote_reminders()
