"""Leave and be forgotten: erase a member's account while the bureau keeps its history.

Interface shared by the leaving flow (profile page, coordinator confirmation) and the
``manage.py erase --member`` command. The bodies are written by the leaving work (issue 16, item 2).
"""

from __future__ import annotations


def member_erasure_plan(user) -> dict[str, int]:
    """What erasing ``user`` would remove or relabel, as {French label: count}, changing nothing."""
    raise NotImplementedError


def erase_member(user, *, by=None) -> dict[str, int]:
    """Erase ``user`` in one transaction and return what went, as {French label: count}."""
    raise NotImplementedError
