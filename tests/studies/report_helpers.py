"""Shared helpers of the report tests: a study with coded, consented material, and a report on it."""

from __future__ import annotations

from datetime import date

from participants.models import ConsentRecord, ConsentScope
from studies.models import Code, Excerpt, Observation, StudyReportPage

NO_QUOTATION = tuple(scope for scope in ConsentScope.values if scope != "quotation")


def coded_note(
    study, collective, observer, code, text: str = "On traduit nos affiches avec un outil d'IA.", **fields
) -> Excerpt:
    """An observation of `collective` with one excerpt (its first 20 characters) coded with `code`."""
    note = Observation.objects.create(
        study=study,
        collective=collective,
        observer=observer,
        setting="online",
        title="Atelier",
        body=text,
        observed_on=fields.pop("observed_on", date(2026, 3, 12)),
        **fields,
    )
    excerpt = Excerpt.objects.create(
        observation=note, coder=observer, start=0, end=len(note.plain_text), text=note.plain_text
    )
    excerpt.codes.add(code)
    return excerpt


def withdraw(collective) -> None:
    from django.utils import timezone

    ConsentRecord.objects.filter(collective=collective).update(withdrawn_at=timezone.now())


def figure(
    title: str = "Extraits par code", table: str = "codes", filters: str = "", chart: str = "bar"
) -> dict:
    return {
        "type": "figure",
        "value": {"title": title, "table": table, "filters": filters, "chart": chart, "caption": ""},
    }


def quote(excerpt: Excerpt, comment: str = "") -> dict:
    return {"type": "quote", "value": {"excerpt": excerpt.pk, "comment": comment}}


def make_report(
    study,
    body: list[dict],
    *,
    user=None,
    title: str = "Premiers constats",
    summary: str = "Ce que nous avons appris.",
    slug: str = "premiers-constats",
) -> StudyReportPage:
    page = StudyReportPage(
        title=title,
        slug=slug,
        summary=summary,
        body=body,
        change_summary="Première version.",
        live=False,
    )
    study.add_child(instance=page)
    page.save_revision(user=user)
    return StudyReportPage.objects.get(pk=page.pk)


def submit(page: StudyReportPage, user, *, summary: str | None = None):
    """Save a revision (figures frozen now) and submit it to the bureau's vote; the proposal opened."""
    from commons.models import Proposal

    page = StudyReportPage.objects.get(pk=page.pk).get_latest_revision_as_object()
    if summary is not None:
        page.change_summary = summary
    page.save_revision(user=user)
    state = page.get_workflow().start(page, user)
    return Proposal.objects.get(task_state__workflow_state=state)


def code(study, name: str = "traduction") -> Code:
    return Code.objects.create(study=study, name=name, slug=name)
