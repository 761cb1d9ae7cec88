"""The codebook's counts as summaries (`CodeTally`), kept exact by the coding services.

Why: the codebook page and spreadsheet give, per code, the consented observations and excerpts
that carry it. Counted from the excerpts on each view, that scanned the whole study (10 s on
PostgreSQL at 100,000 observations, issue 15). A tally row holds one code's counts for one
consenting party, and `counted_codes` sums the rows of the parties whose consent is in force,
so consent still applies at read time (a withdrawal changes the figures at once) and the page
reads a few rows per code.

How the rows stay exact: whenever coding changes, the rows of the codes and parties it touched are
**recounted** from the material (never incremented), with the same definitions as the slow way
(`ObservationQuerySet.coded_with` for « the observations of a code »). The triggers are the
signals connected in `signal_handlers` (an excerpt's codes added, removed or cleared; an excerpt,
a whole-note coding or a source deleted; a source moved to another party) and explicit calls where
the services write in bulk (`codebook.merge_codes`, `bec_seed`, the REFI-QDA import, which
`deferred()` batches into one recount of the study). Recounting runs in the transaction that
changed the material, under a per-study lock (PostgreSQL advisory lock; SQLite serialises writers
anyway), so two concurrent changes cannot both write a stale count: the second waits, then recounts
with the first one's material committed.

`rebuild(study)` recounts everything (`manage.py rebuild_summaries`); `differences(study)` compares
the rows with a recount without writing (`manage.py check_summaries`, run in CI after the demo).
"""

from __future__ import annotations

import contextvars
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from participants.models import ConsentRecord, ConsentScope

from . import agreement_summaries
from .models import Code, CodeTally, Excerpt, Observation, StudyPage

__all__ = ["annotate_counts", "deferred", "differences", "rebuild", "refresh"]

#: (code id, "c" or "i", party id) -> (observations, excerpts)
Counts = dict[tuple[int, str, int], tuple[int, int]]

_deferred: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "tallies_deferred", default=frozenset()
)


def _lock(study_id: int) -> None:
    """Serialise the recounts of one study until the transaction ends (PostgreSQL only)."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(f"studies.tallies:{study_id}".encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _count(codes: list[Code], collectives: Iterable[int] | None, informants: Iterable[int] | None) -> Counts:
    """The exact counts of `codes` for the given parties (None: every party of the code's study).

    The excerpts are counted for every code at once (one grouped query per kind of source, on the
    codes' links: a link is one excerpt); the observations per code, through `coded_with`, the one
    definition of « the observations of a code ».
    """
    counts: Counts = {}
    collectives = None if collectives is None else list(collectives)
    informants = None if informants is None else list(informants)
    links = Excerpt.codes.through.objects.filter(code__in=[code.pk for code in codes]).order_by()
    if collectives is None or collectives:
        for code in codes:
            observations = Observation.objects.filter(study_id=code.study_id)
            if collectives is not None:
                observations = observations.filter(collective_id__in=collectives)
            per_collective = (
                observations.coded_with(code.pk).values_list("collective_id").annotate(n=Count("pk"))
            )
            for party, number in per_collective.order_by():
                counts[(code.pk, "c", party)] = (number, 0)
        by_obs = links.filter(excerpt__observation__study_id=F("code__study_id"))
        if collectives is not None:
            by_obs = by_obs.filter(excerpt__observation__collective_id__in=collectives)
        grouped = by_obs.values_list("code_id", "excerpt__observation__collective_id").annotate(n=Count("pk"))
        for code_id, party, number in grouped:
            counts[(code_id, "c", party)] = (counts.get((code_id, "c", party), (0, 0))[0], number)
    if informants is None or informants:
        by_int = links.filter(excerpt__interview__study_id=F("code__study_id"))
        if informants is not None:
            by_int = by_int.filter(excerpt__interview__informant_id__in=informants)
        grouped = by_int.values_list("code_id", "excerpt__interview__informant_id").annotate(n=Count("pk"))
        for code_id, party, number in grouped:
            counts[(code_id, "i", party)] = (0, number)
    return counts


def _stored(codes: list[Code], collectives, informants) -> QuerySet[CodeTally]:
    rows = CodeTally.objects.filter(code__in=codes)
    party = Q()
    party |= Q(collective__isnull=False) if collectives is None else Q(collective_id__in=list(collectives))
    party |= Q(informant__isnull=False) if informants is None else Q(informant_id__in=list(informants))
    return rows.filter(party)


def refresh(
    codes: Iterable[int | Code],
    *,
    collectives: Iterable[int] | None = None,
    informants: Iterable[int] | None = None,
) -> None:
    """Recount the rows of `codes` for the given parties: both None recounts every party of the
    codes' study; giving only collectives (or only informants) recounts only those.

    Called by the signal receivers and the bulk services; in a `deferred()` block for the study it
    does nothing (the block recounts the study at its end).
    """
    collectives = None if collectives is None else sorted(set(collectives))
    informants = None if informants is None else sorted(set(informants))
    if collectives is not None and informants is None:
        informants = []
    if informants is not None and collectives is None:
        collectives = []
    ids = sorted({code.pk if isinstance(code, Code) else code for code in codes})
    if not ids or (collectives == [] and informants == []):
        return
    found = list(Code.objects.filter(pk__in=ids).only("pk", "study_id"))
    waiting = _deferred.get() or {}
    for code in found:
        if code.study_id in waiting:
            waiting[code.study_id].add(code.pk)
    found = [code for code in found if code.study_id not in waiting]
    if not found:
        return
    with transaction.atomic():
        for study_id in sorted({code.study_id for code in found}):
            _lock(study_id)
        counts = _count(found, collectives, informants)
        _stored(found, collectives, informants).delete()
        CodeTally.objects.bulk_create(_rows(counts), batch_size=1000)


def _rows(counts: Counts) -> Iterator[CodeTally]:
    for (code_id, kind, party), (observations, excerpts) in sorted(counts.items()):
        if observations or excerpts:
            party_field = "collective_id" if kind == "c" else "informant_id"
            yield CodeTally(
                code_id=code_id, observations=observations, excerpts=excerpts, **{party_field: party}
            )


def rebuild(study) -> int:
    """Recount every row of `study` (``manage.py rebuild_summaries``); returns how many rows it holds."""
    codes = list(Code.objects.filter(study=study).only("pk", "study_id"))
    with transaction.atomic():
        _lock(study.pk)
        CodeTally.objects.filter(code__study=study).delete()
        rows = CodeTally.objects.bulk_create(_rows(_count(codes, None, None)), batch_size=1000)
    return len(rows)


def differences(study) -> list[str]:
    """How the stored rows differ from a recount (empty when exact), without writing anything."""
    codes = list(Code.objects.filter(study=study).only("pk", "study_id"))
    expected = {key: value for key, value in _count(codes, None, None).items() if any(value)}
    stored = {
        (row.code_id, "c" if row.collective_id else "i", row.collective_id or row.informant_id): (
            row.observations,
            row.excerpts,
        )
        for row in CodeTally.objects.filter(code__study=study)
    }
    problems = []
    for key in sorted(expected.keys() | stored.keys()):
        if expected.get(key) != stored.get(key):
            code_id, kind, party = key
            who = "collective" if kind == "c" else "informant"
            stored_value, recounted = stored.get(key, (0, 0)), expected.get(key, (0, 0))
            problems.append(f"code {code_id}, {who} {party}: stored {stored_value}, recounted {recounted}")
    return problems


@contextmanager
def deferred(study: StudyPage | int) -> Iterator[None]:
    """Within the block, the coding changes of `study` recount nothing yet: the codes they touched
    are recounted once, for every party, when the block ends without an error. For services that
    change many codings at once (a merge moves thousands of them; the REFI-QDA import creates them):
    one recount per code instead of one per coding."""
    study_id = study if isinstance(study, int) else study.pk
    waiting = dict(_deferred.get() or {})
    if study_id in waiting:  # already deferred by an enclosing block: it recounts
        yield
        return
    touched: set[int] = set()
    waiting[study_id] = touched
    token = _deferred.set(waiting)
    try:
        with agreement_summaries.deferred():  # the agreement's rows too, once per touched observation
            yield
    finally:
        _deferred.reset(token)
    if connection.in_atomic_block and connection.needs_rollback:
        return  # a dry run (or a failure caught inside): the transaction is rolled back, nothing to recount
    refresh(touched)


def annotate_counts(codes: QuerySet[Code]) -> QuerySet[Code]:
    """`codes` with ``observation_count`` and ``excerpt_count``: the rows of the parties whose
    consent is in force, summed (the one consent rule, `ConsentRecord.objects.given_for`)."""
    observation_consent = ConsentRecord.objects.given_for(ConsentScope.OBSERVATION, collective="collective")
    interview_consent = ConsentRecord.objects.given_for(ConsentScope.INTERVIEW, informant="informant")
    consented = CodeTally.objects.filter(code=OuterRef("pk")).filter(
        (Q(collective__isnull=False) & observation_consent) | (Q(informant__isnull=False) & interview_consent)
    )

    def total(field: str) -> Coalesce:
        summed = consented.order_by().values("code").annotate(total=Sum(field)).values("total")
        return Coalesce(Subquery(summed, output_field=IntegerField()), Value(0))

    return codes.annotate(observation_count=total("observations"), excerpt_count=total("excerpts"))
