"""Demo data for issue 16: retention periods, the study's planned end, and one erasure.

The demo consent forms state how long material is kept after the study ends (24 months), and the
study has a planned end, so the « Effacements » page can say when material will be due. A seventh
collective, the Repair Café des Pentes, was observed once, withdrew its consent and asked to be
erased: it is erased here through the real service (`studies.erasure.erase`), by the coordinator
Camille Martin, so the team's erasure record shows one line — counts and a date, no name.

Idempotent: the periods and the end date are set only where missing; the erasure runs only while
the bureau has no erasure record.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from participants.models import Collective, ConsentForm, ConsentRecord

from . import erasure
from .models import ErasureReason, ErasureRecord, Observation, StudyPage

#: What the demo consent forms state: material kept two years after the study ends.
RETENTION_MONTHS = 24
#: The study's planned end (fieldwork, then analysis and the final report).
STUDY_ENDS_ON = date(2027, 6, 30)
COORDINATOR = "camille.martin@bec-demo.fr"
WITHDRAWN = {
    "name": "Repair Café des Pentes",
    "legal_form": "informal",
    "sector": "réemploi",
    "size_band": "1-9",
    "territory": "Lyon 1er",
}
NOTE = (
    "Les bénévoles rédigent les fiches de réparation avec un assistant conversationnel, puis les relisent "
    "ensemble le samedi."
)


def build(study: StudyPage) -> ErasureRecord | None:
    """Periods, end date and the demo erasure; returns the bureau's latest erasure record."""
    bureau = study.get_parent()
    ConsentForm.objects.filter(bureau=bureau, retention_months__isnull=True).update(
        retention_months=RETENTION_MONTHS
    )
    if study.ends_on is None:
        page = study.get_latest_revision_as_object()
        page.ends_on = STUDY_ENDS_ON
        page.save_revision().publish()
    existing = ErasureRecord.objects.filter(bureau_id=bureau.pk).first()
    if existing is not None:
        return existing
    coordinator = get_user_model().objects.filter(email=COORDINATOR).first()
    now = timezone.now()
    form = ConsentForm.objects.filter(bureau=bureau).order_by("pk").first()
    collective = Collective.objects.create(bureau=bureau, **WITHDRAWN)
    ConsentRecord.objects.create(
        form=form,
        collective=collective,
        scopes=["observation"],
        given_at=now - timedelta(days=90),
        withdrawn_at=now - timedelta(days=20),
    )
    Observation.objects.create(
        study=study,
        collective=collective,
        observer=coordinator,
        setting="daily_work",
        title="Atelier du samedi",
        body=NOTE,
        observed_on=(now - timedelta(days=60)).date(),
    )
    record = erasure.erase(collective, by=coordinator, reason=ErasureReason.REQUEST)
    ErasureRecord.objects.filter(pk=record.pk).update(erased_at=now - timedelta(days=12))
    return record
