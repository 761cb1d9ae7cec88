"""The agreement's summaries (`studies.models.agreement_summaries`), kept exact by the coding services.

Why: the agreement page (kappa for two coders, alpha for two or all) read every coded observation's
excerpts on each view (issue 15). Its measures only need, per observation, how many characters each
coder covered with each code and how many each pair of coders covered together: the page now sums
those rows in SQL (`studies.views.agreement`), through the consent query at read time.

How the rows stay exact: whenever an observation's coding changes, *all* its rows are recomputed
from its excerpts (never incremented), in the transaction of the change and under the tallies'
per-study lock (so two concurrent codings of one observation cannot write from stale snapshots),
with the interval arithmetic of `studies.agreement` — the
one home of the formulas. Triggers, next to those of the codebook's tallies (`signal_handlers`):
an excerpt saved or deleted, an excerpt's codes changed (either side), an observation's text
changed (its length; re-anchoring calls `refresh` after its bulk update), a code merged
(`codebook.merge_codes`), a code deleted (its coverage rows cascade; the observations it was used
in are recomputed for the pairs' disagreement), a coder's account deleted (the observations they
coded: the others' raters). An observation deleted takes its rows with it (cascades), which is what
a recomputation would give. Bulk writers batch: `deferred()` (entered by
`tallies.deferred`) recomputes the touched observations once at the end; `bec_seed` rebuilds.

`rebuild(study)` recomputes everything (``manage.py rebuild_summaries``); `differences(study)`
compares the rows with a recomputation without writing (``manage.py check_summaries``).
"""

from __future__ import annotations

import contextvars
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import combinations

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Length

from .agreement import Span, covered, intersection_length, merge_spans
from .models import CoderCoverage, CoderOverlap, CoderPair, Excerpt, Observation, ObservationCoder

__all__ = ["deferred", "differences", "rebuild", "refresh"]

MODELS = (ObservationCoder, CoderCoverage, CoderOverlap, CoderPair)
_BATCH = 500

_deferred: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar(
    "agreement_deferred", default=None
)


@dataclass
class Rows:
    """The summary rows of some observations, as plain tuples keyed for comparison."""

    #: obs -> (study, collective, raters): what every row of the observation repeats.
    places: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    #: (obs, coder) -> (length, excerpts, flagged)
    coders: dict[tuple[int, int], tuple[int, int, int]] = field(default_factory=dict)
    #: (obs, coder, code) -> characters
    coverage: dict[tuple[int, int, int], int] = field(default_factory=dict)
    #: (obs, a, b, code) -> characters
    overlap: dict[tuple[int, int, int, int], int] = field(default_factory=dict)
    #: (obs, a, b) -> (length, differing)
    pairs: dict[tuple[int, int, int], tuple[int, int]] = field(default_factory=dict)

    def keyed(self) -> dict[str, dict]:
        """Every row with its place, for comparing stored rows with recomputed ones."""
        return {
            name: {key: (self.places.get(key[0]), value) for key, value in getattr(self, name).items()}
            for name in ("coders", "coverage", "overlap", "pairs")
        }

    def objects(self, classes: dict[str, type] | None = None) -> Iterator[tuple[type, list]]:
        """The rows as unsaved model instances, model by model (`classes`: historical models, by name)."""
        classes = classes or {model.__name__: model for model in MODELS}
        names = ("ObservationCoder", "CoderCoverage", "CoderOverlap", "CoderPair")
        coder_model, coverage_model, overlap_model, pair_model = (classes[name] for name in names)

        def place(obs: int, raters: bool = True) -> dict:
            study, collective, count = self.places[obs]
            where = {"observation_id": obs, "study_id": study, "collective_id": collective}
            return {**where, "raters": count} if raters else where

        yield (
            coder_model,
            [
                coder_model(**place(o), coder_id=c, length=length, excerpts=n, flagged=f)
                for (o, c), (length, n, f) in sorted(self.coders.items())
            ],
        )
        yield (
            coverage_model,
            [
                coverage_model(**place(o), coder_id=c, code_id=k, characters=n)
                for (o, c, k), n in sorted(self.coverage.items())
            ],
        )
        yield (
            overlap_model,
            [
                overlap_model(**place(o), coder_a_id=a, coder_b_id=b, code_id=k, characters=n)
                for (o, a, b, k), n in sorted(self.overlap.items())
            ],
        )
        yield (
            pair_model,
            [
                pair_model(
                    **place(o, raters=False),
                    coder_a_id=a,
                    coder_b_id=b,
                    length=length,
                    differing=d,
                    share=d / length if length else 0.0,
                )
                for (o, a, b), (length, d) in sorted(self.pairs.items())
            ],
        )


def compute(observations, excerpt_model: type | None = None) -> Rows:
    """The exact rows of `observations` (a queryset of observations), from their excerpts: three queries.

    The same reading as the slow way (`analysis.reliability.coded_observations`): usable excerpts
    are those not flagged for review, only codes of the observation's own study count, a coder
    « coded » an observation when they have a usable excerpt in it.
    """
    rows = Rows()
    found = {
        pk: (max(length or 0, 0), study, collective)
        for pk, length, study, collective in observations.annotate(length=Length("plain_text"))
        .order_by()
        .values_list("pk", "length", "study_id", "collective_id")
    }
    if not found:
        return rows
    excerpt_model = excerpt_model or Excerpt
    excerpts = excerpt_model.objects.filter(
        observation__in=observations.order_by().values("pk"), coder__isnull=False
    ).order_by()
    codes_of: dict[int, list[int]] = defaultdict(list)
    links = excerpt_model.codes.through.objects.filter(
        excerpt__in=excerpts.filter(needs_review=False).values("pk"),
        code__study_id=F("excerpt__observation__study_id"),
    )
    for excerpt_id, code_id in links.values_list("excerpt_id", "code_id"):
        codes_of[excerpt_id].append(code_id)
    spans: dict[int, dict[int, dict[int, list[Span]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    usable: dict[int, set[int]] = defaultdict(set)
    for pk, obs, coder, start, end, flagged in excerpts.values_list(
        "pk", "observation_id", "coder_id", "start", "end", "needs_review"
    ):
        length = found[obs][0]
        _length, count, flags = rows.coders.get((obs, coder), (length, 0, 0))
        rows.coders[obs, coder] = (length, count + 1, flags + flagged)
        if not flagged:
            usable[obs].add(coder)
            for code in codes_of.get(pk, ()):
                spans[obs][coder][code].append((start, end))
    for obs in {obs for obs, _coder in rows.coders}:
        length, study, collective = found[obs]
        rows.places[obs] = (study, collective, len(usable.get(obs, ())))
    for obs, coders in usable.items():
        length = found[obs][0]
        merged = {
            coder: {code: merge_spans(parts, length) for code, parts in spans[obs][coder].items()}
            for coder in coders
        }
        for coder, by_code in merged.items():
            for code, parts in by_code.items():
                rows.coverage[obs, coder, code] = covered(parts)
        for a, b in combinations(sorted(coders), 2):
            differing = 0
            for code in merged[a].keys() | merged[b].keys():
                both = intersection_length(merged[a].get(code, ()), merged[b].get(code, ()))
                if both:
                    rows.overlap[obs, a, b, code] = both
                differing += (
                    rows.coverage.get((obs, a, code), 0) + rows.coverage.get((obs, b, code), 0) - 2 * both
                )
            rows.pairs[obs, a, b] = (length, differing)
    return rows


def _lock(ids: list[int]) -> None:
    """Serialise with every other recount of the same studies until the transaction ends.

    Two coders coding one observation at once would otherwise each recompute its rows from a
    snapshot without the other's excerpt, and the second insert would collide with the first. The
    lock is the tallies' per-study lock (`tallies._lock`): one lock for both summaries, so no two
    transactions can take them in opposite orders. Statements after it see what was committed
    before (READ COMMITTED). PostgreSQL only: SQLite serialises writers anyway.
    """
    if connection.vendor != "postgresql":
        return
    from .tallies import _lock as lock_study

    studies = Observation.objects.filter(pk__in=ids).order_by().values_list("study_id", flat=True)
    for study_id in sorted(set(studies)):
        lock_study(study_id)


def _write(ids: list[int], *, locked: bool = False) -> None:
    if not locked:
        _lock(ids)
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        rows = compute(Observation.objects.filter(pk__in=batch))
        for model, objects in rows.objects():
            model.objects.filter(observation_id__in=batch).delete()
            model.objects.bulk_create(objects, batch_size=1000)


def fill(apps, schema_editor=None) -> None:
    """Compute every observation's rows with the historical models (the migration that creates them)."""
    observation_model = apps.get_model("studies", "Observation")
    excerpt_model = apps.get_model("studies", "Excerpt")
    classes = {model.__name__: apps.get_model("studies", model.__name__) for model in MODELS}
    ids = sorted(
        set(excerpt_model.objects.exclude(observation=None).values_list("observation_id", flat=True))
    )
    for start in range(0, len(ids), _BATCH):
        rows = compute(observation_model.objects.filter(pk__in=ids[start : start + _BATCH]), excerpt_model)
        for model, objects in rows.objects(classes):
            model.objects.bulk_create(objects, batch_size=1000)


def refresh(observations: Iterable[int | Observation]) -> None:
    """Recompute the rows of `observations` (ids or instances); in a `deferred()` block, only note them."""
    ids = sorted({item.pk if isinstance(item, Observation) else item for item in observations} - {None})
    if not ids:
        return
    waiting = _deferred.get()
    if waiting is not None:
        waiting.update(ids)
        return
    with transaction.atomic():
        _write(ids)


@contextmanager
def deferred() -> Iterator[None]:
    """Within the block, coding changes only note their observations; they are recomputed once, when
    the block ends without an error (for services that change many codings at once)."""
    if _deferred.get() is not None:  # an enclosing block recomputes
        yield
        return
    touched: set[int] = set()
    token = _deferred.set(touched)
    try:
        yield
    finally:
        _deferred.reset(token)
    if connection.in_atomic_block and connection.needs_rollback:
        return
    refresh(touched)


def rebuild(study) -> int:
    """Recompute every row of `study` (``manage.py rebuild_summaries``); returns how many observations
    have rows (a coder's excerpts)."""
    ids = list(
        Excerpt.objects.filter(observation__study=study)
        .order_by()
        .values_list("observation_id", flat=True)
        .distinct()
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            from .tallies import _lock as lock_study

            lock_study(study.pk)
        for model in MODELS:
            model.objects.filter(observation__study=study).delete()
        _write(sorted(ids), locked=True)
    return len(ids)


def stored(observations) -> Rows:
    """The rows stored for `observations` (a queryset), in the shape of `compute`'s."""
    rows = Rows()
    ids = observations.values("pk")
    where = ("observation_id", "study_id", "collective_id")
    for o, study, collective, raters, c, length, n, f in ObservationCoder.objects.filter(
        observation__in=ids
    ).values_list(*where, "raters", "coder_id", "length", "excerpts", "flagged"):
        rows.coders[o, c] = (length, n, f)
        rows.places[o] = (study, collective, raters)
    keep = {}  # a row whose place differs from its observation's coder rows shows as a difference

    def placed(o, study, collective, raters=None) -> None:
        if raters is not None and rows.places.get(o) != (study, collective, raters):
            keep[o] = True
        elif raters is None and (rows.places.get(o) or (None, None))[:2] != (study, collective):
            keep[o] = True

    for o, study, collective, raters, c, k, n in CoderCoverage.objects.filter(
        observation__in=ids
    ).values_list(*where, "raters", "coder_id", "code_id", "characters"):
        placed(o, study, collective, raters)
        rows.coverage[o, c, k] = n
    for o, study, collective, raters, a, b, k, n in CoderOverlap.objects.filter(
        observation__in=ids
    ).values_list(*where, "raters", "coder_a_id", "coder_b_id", "code_id", "characters"):
        placed(o, study, collective, raters)
        rows.overlap[o, a, b, k] = n
    for o, study, collective, a, b, length, d, share in CoderPair.objects.filter(
        observation__in=ids
    ).values_list(*where, "coder_a_id", "coder_b_id", "length", "differing", "share"):
        placed(o, study, collective)
        rows.pairs[o, a, b] = (length, d)
        if share != (d / length if length else 0.0):
            rows.pairs[o, a, b] = (length, d, share)  # a share out of step shows as a difference
    for o in keep:
        rows.places[o] = (None, None, None)
    return rows


def differences(study) -> list[str]:
    """How the stored rows of `study` differ from a recomputation (empty when exact), writing nothing."""
    observations = Observation.objects.filter(study=study)
    expected, found = compute(observations).keyed(), stored(observations).keyed()
    problems = []
    for name in ("coders", "coverage", "overlap", "pairs"):
        want, have = expected[name], found[name]
        for key in sorted(want.keys() | have.keys()):
            if want.get(key) != have.get(key):
                problems.append(f"agreement {name} {key}: stored {have.get(key)}, recomputed {want.get(key)}")
    return problems
