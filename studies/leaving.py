"""The studies' part of « leave and be forgotten » (`participants.leaving`).

A departed member's observations, interviews, coded excerpts and memos are the study's material:
they stay, moved with every other row to the stand-in account, so that pages, analyses and exports
show « membre parti·e n° N » where the name was. This step only says how many (the confirmation
page and `manage.py erase` list them); the move itself is the generic one.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from participants.leaving import Step, register_step


def _plan(user) -> dict[str, int]:
    from .models import Excerpt, Interview, Memo, Observation

    return {
        _("observations kept under the departed label"): Observation.objects.filter(observer=user).count(),
        _("interviews kept under the departed label"): Interview.objects.filter(interviewer=user).count(),
        _("coded excerpts kept under the departed label"): Excerpt.objects.filter(coder=user).count(),
        _("memos kept under the departed label"): Memo.objects.filter(author=user).count(),
    }


def register() -> None:
    """Called from `StudiesConfig.ready`."""
    register_step(Step("studies", plan=_plan))
