"""Changes carried by proposals: the registry of « appliers », one per governed kind.

Why a registry: a proposal of kind « codebook change » carries a change to a study's codebook, but
`commons` never imports `studies`. So each app registers, from its `AppConfig.ready`, the two
functions of its kind: `check(bureau, author, payload)` validates a change when it is proposed and
returns it cleaned (the exact data the proposal carries), and `apply(proposal)` re-validates and
applies it when the proposal is adopted (`actions.close_proposal`). Both raise `ChangeError` with a
message for people: at proposal time the proposal is refused; at adoption the decision stands and
the change is recorded as not applicable (the code was deleted meanwhile, the address joined…).

Whether a kind is governed at all is the bureau's table: a line for the kind (`is_governed`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .models import KindRule, Proposal


class ChangeError(Exception):
    """A change that cannot be proposed or applied; the message is meant for people."""


@dataclass(frozen=True)
class Applier:
    kind: str
    check: Callable[..., dict]
    apply: Callable[[Proposal], str]


_APPLIERS: dict[str, Applier] = {}


def register(kind: str, *, check: Callable[..., dict], apply: Callable[[Proposal], str]) -> None:
    """Register the applier of a kind (idempotent: `ready()` may run twice in tests)."""
    _APPLIERS[kind] = Applier(kind=kind, check=check, apply=apply)


def applier_for(kind: str) -> Applier | None:
    return _APPLIERS.get(kind)


def is_governed(bureau_id: int, kind: str) -> bool:
    """Whether changes of this kind go to a vote in this bureau: its table has a line for the kind.

    Read without side effects (unlike `rules.rule_for`, which fills a missing table): a bureau with
    no table has nothing under governance.
    """
    return KindRule.objects.filter(bureau_id=bureau_id, kind=kind).exists()
