"""Analysis tables computed once per state of the material, then read from the cache.

At 100,000 observations a table is an aggregate over some 200,000 excerpts: a few hundred
milliseconds to seconds of database time, for figures that change only when someone codes, edits
a source or a consent changes. `cached(scope, name, params, compute)` keeps the result of
`compute()` in the configured cache (Redis in production) under a key made of everything the
figures depend on, so a key can only ever name one set of figures:

- the study, the table, its own parameters (sort, unit, limit…) and the cleaned filters;
- **consent, read from the database on every request** (`consent_state`): the consent records in
  force now, with their parties and scopes. A withdrawal — recorded through a form, the
  admin or a bare ``update()``, or a withdrawal date that has just passed — changes the key at once,
  so withdrawn material never comes out of the cache;
- the code tree (ids, parents, names, colours), which every page loads anyway;
- a generation token (`GENERATION_KEY`), replaced whenever an excerpt, its codes, a source, its AI
  tools, a code, a collective or an informant is saved or deleted (`connect_signals`).

Writes that send no signal (``bulk_create``, ``QuerySet.update`` on sources or excerpts: the seeding
command, a data migration) are caught up within `TIMEOUT` seconds. Nothing about consent relies on
the signals or the timeout.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save

from .filters import Scope

T = TypeVar("T")

GENERATION_KEY = "studies:analysis:generation"
#: Seconds a table is kept: the bound on how late a write that sent no signal shows.
TIMEOUT = 300


def generation() -> str:
    """The current generation token (created on first use)."""
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        token = cache.get(GENERATION_KEY) or ""
    return token


def new_generation(*args: Any, **kwargs: Any) -> None:
    """Every cached table is out of date (a signal receiver: any arguments)."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def consent_state(scope: Scope) -> list[tuple]:
    """Every consent record in force now, with its party and scopes (one query on a small table).

    Read on every request, never cached: it is what makes a withdrawal leave the figures at once.
    All of them rather than the bureau's: nothing in the database stops a source from naming a
    collective of another bureau, and a withdrawal must change the key whoever the party is.
    """
    from participants.models import ConsentRecord

    if not hasattr(scope, "_consent_state"):
        scope._consent_state = list(
            ConsentRecord.objects.current()
            .order_by("pk")
            .values_list("pk", "collective_id", "informant_id", "scopes")
        )
    return scope._consent_state


def key_for(scope: Scope, name: str, params: tuple) -> str:
    tree = tuple((code.pk, code.parent_id, code.name, code.colour) for code in scope.codes.values())
    filters = tuple(sorted((key, repr(value)) for key, value in scope.filters.items()))
    parts = (scope.study.pk, name, params, filters, tree, consent_state(scope), generation())
    return "studies:analysis:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def cached(scope: Scope, name: str, params: tuple, compute: Callable[[], T]) -> T:
    """`compute()`, or its result for the same table, filters, consents and material."""
    key = key_for(scope, name, params)
    found = cache.get(key)
    if found is not None:
        return found
    value = compute()
    cache.set(key, value, TIMEOUT)
    _remember(scope.study.pk, key)
    return value


#: At most this many keys are remembered per study (the oldest are forgotten: they expire anyway).
MAX_REMEMBERED = 2000


def _keys_key(study_id: int) -> str:
    return f"studies:analysis:keys:{study_id}"


def _remember(study_id: int, key: str) -> None:
    """Note `key` under its study, so that an erasure can drop the study's tables (`forget_study`)."""
    keys = cache.get(_keys_key(study_id)) or []
    keys.append(key)
    cache.set(_keys_key(study_id), keys[-MAX_REMEMBERED:], TIMEOUT)


def forget_study(study_id: int) -> None:
    """Delete the study's cached tables, not only make them unreachable: after an erasure, a table
    that counted or quoted the erased material must not stay in the cache until it expires."""
    keys = cache.get(_keys_key(study_id)) or []
    cache.delete_many([*keys, _keys_key(study_id)])


def connect_signals() -> None:
    """Replace the generation whenever the material of a table is saved or deleted."""
    from participants.models import Collective, ConsentRecord, Informant

    from ..models import Code, CodedObservation, Excerpt, Interview, Observation

    # CodedObservation: a whole-note code (the observation list's count by code) added or removed.
    models = (Excerpt, Observation, CodedObservation, Interview, Code, Collective, Informant, ConsentRecord)
    for model in models:
        uid = f"studies.analysis.cache.{model._meta.label_lower}"
        post_save.connect(new_generation, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(new_generation, sender=model, dispatch_uid=f"{uid}.delete")
    for through in (Excerpt.codes.through, Observation.ai_tools.through):
        m2m_changed.connect(
            new_generation, sender=through, dispatch_uid=f"studies.analysis.cache.{through._meta.label_lower}"
        )
