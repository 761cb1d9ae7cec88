"""Background tasks (django-tasks): close due proposals and send vote reminders.

Run them periodically from a scheduler (cron or systemd timer) with the management commands
`close_due_proposals` — deadlines never depend on it: a ballot after the close is refused by
server time, and a due proposal is closed when someone views it.
"""

from django_tasks import task

from . import actions, data_export, notifications, workflow


def close_due() -> int:
    """Close every due proposal, then apply decided votes to the workflow tasks still waiting on them.

    The closing pass of the task and of `manage.py close_due_proposals`. Settling is this caller's
    step, not the action's: `commons.actions` sits below `commons.workflow`. Settling also catches
    up on a decision whose workflow could not be moved when it was recorded (see
    `workflow.follow_the_vote`). Returns how many decisions were recorded.
    """
    closed = actions.close_due_proposals()
    workflow.settle_decided_submissions()
    return closed


@task()
def close_due_proposals_task() -> int:
    return close_due()


@task()
def send_vote_reminders_task() -> int:
    return notifications.send_vote_reminders()


@task()
def member_data_task(user_id: int) -> str:
    """« Mes données » of a large account: build the archive, email the member a link."""
    return data_export.build_and_send_link(user_id)
