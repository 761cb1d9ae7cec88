"""Wagtail's finish-workflow action, set in the settings (`WAGTAIL_FINISH_WORKFLOW_ACTION`).

Wagtail imports this while its own models load, so it imports nothing at module level; the work
is in `commons.workflow.publish_voted_revision`.
"""


def publish_voted_revision(workflow_state, user=None) -> None:
    from .workflow import publish_voted_revision as publish

    publish(workflow_state, user=user)
