"""The purpose rows (`ObservationPurpose`) compared with, and rebuilt from, the JSON lists.

The rows are a summary of `Observation.purposes` kept for the index the purpose filter reads
(`studies.analysis.filters.purpose_q`): `Observation.save` and the bulk writers keep them in step,
but a bare ``update(purposes=…)`` or a manual edit in the database does not. `manage.py
check_summaries` reports such a difference and `manage.py rebuild_summaries` repairs it, like the
codebook's tallies.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import transaction
from django.utils.translation import gettext as _

from .models import Observation, ObservationPurpose, StudyPage
from .models.observations import purpose_set

#: Observations read per query (keyset on the primary key: bounded memory at any size).
CHUNK = 2000


def _compared(study: StudyPage) -> Iterator[tuple[int, frozenset[str], frozenset[str]]]:
    """(observation id, purposes of its list, purposes of its rows) for every observation of `study`."""
    last = 0
    while True:
        chunk = list(
            Observation.objects.filter(study=study, pk__gt=last)
            .order_by("pk")
            .values_list("pk", "purposes")[:CHUNK]
        )
        if not chunk:
            return
        stored: dict[int, set[str]] = {}
        rows = ObservationPurpose.objects.filter(
            observation_id__gte=chunk[0][0], observation_id__lte=chunk[-1][0]
        )
        for observation_id, purpose in rows.values_list("observation_id", "purpose"):
            stored.setdefault(observation_id, set()).add(purpose)
        for pk, purposes in chunk:
            yield pk, purpose_set(purposes), frozenset(stored.get(pk, ()))
        last = chunk[-1][0]


def differences(study: StudyPage) -> list[str]:
    """One line per observation of `study` whose purpose rows differ from its list. Writes nothing."""
    return [
        _("observation %(id)s: purposes %(list)s, purpose rows %(rows)s")
        % {"id": pk, "list": sorted(wanted), "rows": sorted(stored)}
        for pk, wanted, stored in _compared(study)
        if wanted != stored
    ]


def rebuild(study: StudyPage) -> int:
    """Rewrite the purpose rows of the observations of `study` whose rows differ from their list;
    returns how many observations were repaired."""
    repaired = [(pk, wanted) for pk, wanted, stored in _compared(study) if wanted != stored]
    with transaction.atomic():
        for start in range(0, len(repaired), CHUNK):
            part = repaired[start : start + CHUNK]
            ObservationPurpose.objects.filter(observation_id__in=[pk for pk, _wanted in part]).delete()
            ObservationPurpose.objects.bulk_create(
                [
                    ObservationPurpose(observation_id=pk, purpose=p)
                    for pk, wanted in part
                    for p in sorted(wanted)
                ],
                batch_size=CHUNK,
            )
    return len(repaired)
