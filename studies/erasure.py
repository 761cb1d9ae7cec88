"""Erase an informant or a collective everywhere, and keep a record of it without personal data.

Withdrawal hides a party's material (`consented()`); erasure deletes it, for good, wherever it
lives — which is more places than its rows:

- **rows**: observations (of a collective), interviews (of an informant, or of every informant of a
  collective), their excerpts, memos and codings (cascades), the recordings (Wagtail documents), the
  consent records, the informants, the collective itself;
- **report revisions**: a report's quote block holds the excerpt it quotes, and Wagtail keeps every
  revision of the page; each quote of the erased material is replaced, in every stored revision and
  in the live page, by an empty quote (shown as « citation effacée »);
- **the search index**: deleted rows leave it through Wagtail's signals; rewritten reports are
  indexed again;
- **files**: the recordings, after commit (so a failure leaves them in place); the « Mes données »
  archives built before (`commons.data_export.export_folder`: they may quote the material, and they
  are temporary copies, so all go and members ask again);
- **the analysis cache**: the tables of the studies concerned are dropped, not only left unreachable.

Everything in the database happens in one transaction: a failure rolls back and raises
`ErasureError` saying why, and no file is touched. Published figures keep their numbers (frozen
aggregates, no personal data); the erasure record lists the reports concerned, which then say
« chiffres antérieurs à un retrait ». The audit log receives one entry with the counts only, and
earlier entries naming the erased objects lose their label.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log
from wagtail.models import Page, Revision

from participants.models import Collective, ConsentRecord, Informant

from .models import (
    Assessment,
    ErasureReason,
    ErasureRecord,
    Evidence,
    Excerpt,
    Interview,
    Memo,
    Observation,
    PartyKind,
    StudyPage,
    StudyReportPage,
)

logger = logging.getLogger(__name__)

ERASE_ACTION = "bec.erasure"

#: What an erasure counts, in the order the pages list it.
COUNT_LABELS = {
    "observations": gettext_lazy("observations"),
    "interviews": gettext_lazy("interviews"),
    "recordings": gettext_lazy("recordings"),
    "excerpts": gettext_lazy("coded excerpts"),
    "memos": gettext_lazy("memos"),
    "quotes": gettext_lazy("quotes in reports"),
    "revisions": gettext_lazy("report revisions rewritten"),
    "informants": gettext_lazy("interviewed people"),
    "consents": gettext_lazy("consent records"),
    "assessments": gettext_lazy("assessments"),
    "evidence": gettext_lazy("pieces of evidence"),
}

#: What a quote of erased material becomes in every revision: no excerpt, no comment.
ERASED_QUOTE = {"excerpt": None, "comment": ""}


class ErasureError(Exception):
    """The erasure could not be done; nothing was changed. The message says why."""


Party = Collective | Informant


@dataclass
class Plan:
    """What erasing a party takes away: ids read once, counts for the confirmation page and the record."""

    kind: str
    party: Party
    bureau_id: int
    observation_ids: list[int] = field(default_factory=list)
    interview_ids: list[int] = field(default_factory=list)
    recording_ids: list[int] = field(default_factory=list)
    #: The files of the collective's assessment evidence (its rows go with the collective).
    evidence_document_ids: list[int] = field(default_factory=list)
    #: How many assessments and pieces of evidence (files or links) go with the collective.
    assessment_count: int = 0
    evidence_count: int = 0
    excerpt_ids: set[int] = field(default_factory=set)
    memo_count: int = 0
    informant_ids: list[int] = field(default_factory=list)
    consent_ids: list[int] = field(default_factory=list)
    study_ids: set[int] = field(default_factory=set)
    #: {revision id: new content} of every revision that quotes the material.
    revisions: dict[int, dict] = field(default_factory=dict)
    #: {report page id: new body (list)} of the live pages that quote the material.
    live_bodies: dict[int, list] = field(default_factory=dict)
    quotes: int = 0
    report_ids: set[int] = field(default_factory=set)

    def counts(self) -> dict[str, int]:
        return {
            "observations": len(self.observation_ids),
            "interviews": len(self.interview_ids),
            "recordings": len(self.recording_ids),
            "excerpts": len(self.excerpt_ids),
            "memos": self.memo_count,
            "quotes": self.quotes,
            "revisions": len(self.revisions),
            "informants": len(self.informant_ids) if self.kind == PartyKind.COLLECTIVE else 0,
            "consents": len(self.consent_ids),
            "assessments": self.assessment_count,
            "evidence": self.evidence_count,
        }


def labelled(counts: dict[str, int]) -> list[tuple[str, int]]:
    """[(French label, count)] in the pages' order, every kind listed (zeros included)."""
    return [(str(label), int(counts.get(key, 0))) for key, label in COUNT_LABELS.items()]


def party_label(party: Party) -> str:
    """How the team names the party on the confirmation page: code or pseudonym, never a real name."""
    if isinstance(party, Collective):
        return _("collective %(code)s") % {"code": party.code}
    return _("%(pseudonym)s (collective %(code)s)") % {
        "pseudonym": party.pseudonym,
        "code": party.collective.code,
    }


def find_party(kind: str, pk: int, bureau_ids=None) -> Party | None:
    """The collective or informant `pk` (of `bureau_ids` when given), or None."""
    if kind == PartyKind.COLLECTIVE:
        found = Collective.objects.filter(pk=pk)
        if bureau_ids is not None:
            found = found.filter(bureau_id__in=bureau_ids)
    elif kind == PartyKind.INFORMANT:
        found = Informant.objects.select_related("collective").filter(pk=pk)
        if bureau_ids is not None:
            found = found.filter(collective__bureau_id__in=bureau_ids)
    else:
        return None
    return found.first()


def plan(party: Party) -> Plan:
    """Read what erasing `party` would take (a fixed number of queries, changing nothing)."""
    if isinstance(party, Collective):
        kind, bureau_id = PartyKind.COLLECTIVE, party.bureau_id
        informant_ids = list(Informant.objects.filter(collective=party).values_list("pk", flat=True))
        observations = Observation.objects.filter(collective=party)
        consents = ConsentRecord.objects.filter(Q(collective=party) | Q(informant__in=informant_ids))
    else:
        kind, bureau_id = PartyKind.INFORMANT, party.collective.bureau_id
        informant_ids = [party.pk]
        observations = Observation.objects.none()
        consents = ConsentRecord.objects.filter(informant=party)
    result = Plan(kind=kind, party=party, bureau_id=bureau_id, informant_ids=informant_ids)
    for pk, study in observations.values_list("pk", "study_id"):
        result.observation_ids.append(pk)
        result.study_ids.add(study)
    for pk, study, recording in Interview.objects.filter(informant__in=informant_ids).values_list(
        "pk", "study_id", "recording_id"
    ):
        result.interview_ids.append(pk)
        result.study_ids.add(study)
        if recording is not None:
            result.recording_ids.append(recording)
    if kind == PartyKind.COLLECTIVE:  # assessment evidence: the rows go with the collective, the files too
        pieces = list(Evidence.objects.filter(collective=party).values_list("document_id", "study_id"))
        result.evidence_count = len(pieces)
        result.evidence_document_ids = [document for document, _study in pieces if document is not None]
        assessed = list(Assessment.objects.filter(collective=party).values_list("study_id", flat=True))
        result.assessment_count = len(assessed)
        result.study_ids.update(assessed, (study for _document, study in pieces))
    sources = Q(observation__in=result.observation_ids) | Q(interview__in=result.interview_ids)
    result.excerpt_ids = set(Excerpt.objects.filter(sources).values_list("pk", flat=True))
    result.memo_count = Memo.objects.filter(sources).count()
    result.consent_ids = list(consents.values_list("pk", flat=True))
    _plan_reports(result)
    return result


def _rewrite_body(body, excerpt_ids: set[int]) -> tuple[list, int]:
    """The body (list of blocks) with every quote of `excerpt_ids` emptied, and how many were."""
    changed = 0
    out = []
    for block in body or []:
        value = block.get("value") if isinstance(block, dict) else None
        if block.get("type") == "quote" and isinstance(value, dict):
            try:
                quoted = int(value.get("excerpt") or 0)
            except (TypeError, ValueError):
                quoted = 0
            if quoted in excerpt_ids:
                block = {**block, "value": dict(ERASED_QUOTE)}
                changed += 1
        out.append(block)
    return out, changed


def _plan_reports(result: Plan) -> None:
    """Every revision and live report of the bureau quoting the material; and the reports whose
    published figures may have counted it (the live reports of the studies concerned)."""
    bureau = Page.objects.filter(pk=result.bureau_id).only("path").first()
    if bureau is None:
        return
    reports = list(
        StudyReportPage.objects.filter(path__startswith=bureau.path).only(
            "pk", "body", "live", "path", "latest_revision_id"
        )
    )
    if not reports:
        return
    by_id = {str(report.pk): report for report in reports}
    study_paths = set(StudyPage.objects.filter(pk__in=result.study_ids).values_list("path", flat=True))
    for report in reports:
        if report.live and any(report.path.startswith(path) for path in study_paths):
            result.report_ids.add(report.pk)
    if not result.excerpt_ids:
        return
    # « Quotes in reports »: per report, the quotes of its newest state (its latest revision, or the
    # live page if it has none); older revisions quoting the same passages are counted as revisions.
    quotes: dict[int, tuple[int, int]] = {}  # report id -> (revision id, quotes in it)
    for report in reports:
        body, changed = _rewrite_body(report.body.get_prep_value(), result.excerpt_ids)
        if changed:
            result.live_bodies[report.pk] = body
            result.report_ids.add(report.pk)
            quotes[report.pk] = (0, changed)
    page_type = ContentType.objects.get_for_model(Page)
    revisions = Revision.objects.filter(base_content_type=page_type, object_id__in=list(by_id))
    for revision in revisions.only("pk", "content", "object_id").order_by("pk"):
        content = revision.content or {}
        raw = content.get("body")
        body = json.loads(raw) if isinstance(raw, str) else raw
        new_body, changed = _rewrite_body(body, result.excerpt_ids)
        report_id = int(revision.object_id)
        if by_id[revision.object_id].latest_revision_id == revision.pk or report_id not in quotes:
            quotes[report_id] = (revision.pk, changed)
        if not changed:
            continue
        new_content = dict(content)
        new_content["body"] = json.dumps(new_body) if isinstance(raw, str) else new_body
        result.revisions[revision.pk] = new_content
        result.report_ids.add(report_id)
    result.quotes = sum(count for _revision, count in quotes.values())


def erase(party: Party, *, by=None, reason: str = ErasureReason.REQUEST) -> ErasureRecord:
    """Erase `party` and its material everywhere; return the erasure record.

    One transaction for the database: the party is re-read under a lock, the plan made inside the
    transaction, and any failure rolls everything back and raises `ErasureError`. Files, archives and
    cached tables go after commit only.
    """
    kind = PartyKind.COLLECTIVE if isinstance(party, Collective) else PartyKind.INFORMANT
    model = Collective if kind == PartyKind.COLLECTIVE else Informant
    try:
        with transaction.atomic():
            locked = model.objects.select_for_update().filter(pk=party.pk).first()
            if locked is None:
                raise ErasureError(_("This party has already been erased."))
            if isinstance(locked, Informant):
                locked = Informant.objects.select_related("collective").get(pk=locked.pk)
            found = plan(locked)
            record = _apply(found, by=by, reason=reason)
    except ErasureError:
        raise
    except Exception as error:  # the transaction rolled back: nothing was erased
        logger.exception("Erasure of %s %s failed", kind, party.pk)
        raise ErasureError(
            _("The erasure failed and nothing was erased: %(error)s") % {"error": error.__class__.__name__}
        ) from error
    return record


def _apply(found: Plan, *, by, reason: str) -> ErasureRecord:
    from wagtail.documents import get_document_model
    from wagtail.models import ReferenceIndex
    from wagtail.search import index

    Recording = get_document_model()  # noqa: N806 (a model class)
    files = [
        name
        for name in Recording.objects.filter(
            pk__in=[*found.recording_ids, *found.evidence_document_ids]
        ).values_list("file", flat=True)
        if name
    ]
    for pk, content in found.revisions.items():
        Revision.objects.filter(pk=pk).update(content=content)
    for pk, body in found.live_bodies.items():
        StudyReportPage.objects.filter(pk=pk).update(body=body)
    Observation.objects.filter(pk__in=found.observation_ids).delete()
    Interview.objects.filter(pk__in=found.interview_ids).delete()
    # The evidence files of its assessments too (their rows, like the assessments, go with the collective).
    Recording.objects.filter(pk__in=[*found.recording_ids, *found.evidence_document_ids]).delete()
    ConsentRecord.objects.filter(pk__in=found.consent_ids).delete()
    _forget_log_labels(found)
    Informant.objects.filter(pk__in=found.informant_ids).delete()
    if found.kind == PartyKind.COLLECTIVE:
        Collective.objects.filter(pk=found.party.pk).delete()
    for report in StudyReportPage.objects.filter(pk__in=found.live_bodies):
        ReferenceIndex.create_or_update_for_object(report)  # the quoted excerpts are no longer referenced
        if report.live:
            index.insert_or_update_object(report)
    purge_search_index()
    counts = found.counts()
    record = ErasureRecord.objects.create(
        bureau_id=found.bureau_id, party_kind=found.kind, reason=reason, erased_by=by, counts=counts
    )
    record.studies.set(found.study_ids)
    record.reports.set(found.report_ids)
    log(
        instance=record,
        action=ERASE_ACTION,
        user=by,
        data={"party_kind": found.kind, "reason": reason, "counts": counts},
    )
    study_ids = set(found.study_ids)
    transaction.on_commit(lambda: after_commit(files, study_ids))
    return record


def purge_search_index() -> None:
    """Make the search backend forget deleted words, not only stop finding them.

    On SQLite, Wagtail's database backend keeps an FTS5 table; deleting an entry there only adds a
    delete marker, and the erased words stay in its segments (`…_fts_data`) until they are merged.
    Its ``optimize`` command merges them now. PostgreSQL's backend keeps the words in the entry rows
    themselves, which the deletions removed.
    """
    from django.db import connection
    from wagtail.search.models import IndexEntry

    if connection.vendor != "sqlite":
        return
    table = connection.ops.quote_name(f"{IndexEntry._meta.db_table}_fts")
    if f"{IndexEntry._meta.db_table}_fts" not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")  # noqa: S608 (our table name)


def _forget_log_labels(found: Plan) -> None:
    """Earlier audit-log entries about the erased objects keep their action and date, not their label
    (« Camille (C-07) ») nor their data."""
    from wagtail.documents import get_document_model
    from wagtail.models import ModelLogEntry

    targets = [
        (Informant, found.informant_ids),
        (ConsentRecord, found.consent_ids),
        (Observation, found.observation_ids),
        (Interview, found.interview_ids),
        (get_document_model(), found.recording_ids),
    ]
    if found.kind == PartyKind.COLLECTIVE:
        targets.append((Collective, [found.party.pk]))
    for model, ids in targets:
        if ids:
            ModelLogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(model), object_id__in=[str(pk) for pk in ids]
            ).update(label=_("[erased]"), data={})


def after_commit(files: list[str], study_ids: set[int]) -> None:
    """Remove what lives outside the database: recording files, earlier archives, cached tables.

    Each step is on its own: a file that is already gone, or a folder that cannot be read, is logged
    and the rest goes on (the database part is done and cannot be undone).
    """
    from django.core.files.storage import default_storage

    from commons.data_export import export_folder

    from .analysis import cache

    for name in files:
        try:
            default_storage.delete(name)
        except OSError:
            logger.exception("Could not delete the recording file %s", name)
    folder = export_folder()
    if folder.is_dir():
        for path in folder.glob("*.zip"):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                logger.exception("Could not delete the archive %s", path.name)
    for study_id in study_ids:
        cache.forget_study(study_id)
    cache.new_generation()


# --- Retention ------------------------------------------------------------------------------------


@dataclass
class Due:
    """A party whose material is past the retention period its consent form states."""

    kind: str
    party: Party
    bureau_id: int
    due_on: date
    months: int
    ended_on: date

    @property
    def label(self) -> str:
        return party_label(self.party)


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months (the 31st becomes the month's last day)."""
    import calendar

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _ends(rows) -> dict[int, date | None]:
    """{party id: the latest end of the studies holding its material, or None if one has no end}."""
    out: dict[int, date | None] = {}
    for party, latest, open_ended in rows:
        out[party] = None if open_ended else latest
    return out


def retention_due(bureau_ids=None, today: date | None = None) -> list[Due]:
    """Parties past their retention date: every study holding their material has ended, and the
    longest period their consent forms state has run since the last end. Four queries.

    A party none of whose forms states a period, or with material in a study without an end date, is
    never due: the platform does not guess how long material may be kept.
    """
    today = today or timezone.localdate()
    open_ended = Count("pk", filter=Q(study__ends_on__isnull=True))
    observations = Observation.objects.all()
    interviews = Interview.objects.all()
    consents = ConsentRecord.objects.filter(form__retention_months__isnull=False)
    if bureau_ids is not None:
        observations = observations.filter(collective__bureau_id__in=bureau_ids)
        interviews = interviews.filter(informant__collective__bureau_id__in=bureau_ids)
        consents = consents.filter(form__bureau_id__in=bureau_ids)
    collective_ends = _ends(
        observations.values("collective_id")
        .annotate(latest=Max("study__ends_on"), open=open_ended)
        .values_list("collective_id", "latest", "open")
    )
    informant_rows = list(
        interviews.values("informant_id", "informant__collective_id")
        .annotate(latest=Max("study__ends_on"), open=open_ended)
        .values_list("informant_id", "informant__collective_id", "latest", "open")
    )
    informant_ends = _ends((pk, latest, is_open) for pk, _c, latest, is_open in informant_rows)
    for _i, collective, latest, is_open in informant_rows:  # a collective's informants' interviews
        if collective in collective_ends and collective_ends[collective] is None:
            continue
        if is_open:
            collective_ends[collective] = None
        else:
            known = collective_ends.get(collective, latest)
            collective_ends[collective] = max(known, latest) if known and latest else (known or latest)
    months: dict[tuple[str, int], int] = {}
    for collective, informant, period in consents.values_list(
        "collective_id", "informant_id", "form__retention_months"
    ):
        key = ("c", collective) if collective else ("i", informant)
        months[key] = max(months.get(key, 0), period)
    due: list[Due] = []
    due_collectives: set[int] = set()
    for collective, ended in collective_ends.items():
        period = months.get(("c", collective))
        if ended is None or period is None or add_months(ended, period) > today:
            continue
        due_collectives.add(collective)
        due.append(Due(PartyKind.COLLECTIVE, None, 0, add_months(ended, period), period, ended))
        due[-1].party = collective  # resolved below, in one query
    for informant, collective, _latest, _open in informant_rows:
        ended = informant_ends.get(informant)
        period = months.get(("i", informant))
        if collective in due_collectives or ended is None or period is None:
            continue
        if add_months(ended, period) <= today:
            due.append(Due(PartyKind.INFORMANT, informant, 0, add_months(ended, period), period, ended))
    collectives = Collective.objects.in_bulk([d.party for d in due if d.kind == PartyKind.COLLECTIVE])
    informants = Informant.objects.select_related("collective").in_bulk(
        [d.party for d in due if d.kind == PartyKind.INFORMANT]
    )
    for item in due:
        if item.kind == PartyKind.COLLECTIVE:
            item.party = collectives[item.party]
            item.bureau_id = item.party.bureau_id
        else:
            item.party = informants[item.party]
            item.bureau_id = item.party.collective.bureau_id
    due.sort(key=lambda d: (d.due_on, d.kind, d.party.pk))
    return due
