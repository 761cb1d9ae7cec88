"""The studies' part of « Mes données »: observations, interviews, excerpts and memos a member wrote.

Registered with `participants.data_export` from `StudiesConfig.ready`. The consent rule holds here
as in every other list: only material whose party still consents (`consented()`) is exported — a
withdrawal hides it from its own author's archive too. Collectives appear by their code and
informants by their pseudonym, never by a real name. One query per section (two for excerpts, whose
codes are prefetched).
"""

from __future__ import annotations

from django.db.models import Q

from participants.data_export import Section, count_of, register_section


def _observations(user, limit: int) -> list[dict]:
    from .models import Observation

    rows = (
        Observation.objects.consented()
        .filter(observer=user)
        .select_related("study", "collective")
        .order_by("observed_on", "pk")
    )
    return [
        {
            "study": o.study.title,
            "title": o.title,
            "observed_on": o.observed_on,
            "collective": o.collective.code,
            "setting": o.get_setting_display(),
            "purposes": o.purposes,
            "grid_answers": o.grid_answers,
            "body": o.body,
            "visibility": o.get_visibility_display(),
        }
        for o in rows[:limit]
    ]


def _interviews(user, limit: int) -> list[dict]:
    from .models import Interview

    rows = (
        Interview.objects.consented()
        .filter(interviewer=user)
        .select_related("study", "informant__collective")
        .order_by("conducted_on", "pk")
    )
    return [
        {
            "study": i.study.title,
            "title": i.title,
            "conducted_on": i.conducted_on,
            "informant": i.informant.pseudonym,
            "collective": i.informant.collective.code,
            "mode": i.get_mode_display(),
            "duration_minutes": i.duration_minutes,
            "transcript": i.transcript,
        }
        for i in rows[:limit]
    ]


def _consented_sources() -> Q:
    """Excerpts and memos on material still consented to (documents carry no party's consent)."""
    from .models import Interview, Observation

    return (
        Q(observation__isnull=False, observation__in=Observation.objects.consented().values("pk"))
        | Q(interview__isnull=False, interview__in=Interview.objects.consented().values("pk"))
        | Q(document__isnull=False)
        | Q(reading__isnull=False)
    )


def _source(row) -> tuple[str, str]:
    """The kind of source and its study, with what names it without naming anyone."""
    if row.observation_id:
        return "observation", row.observation.study.title
    if row.interview_id:
        return "interview", row.interview.study.title
    if row.document_id:
        return "document", row.document.study.title
    return "reading", row.reading.study.title


def _excerpts(user, limit: int) -> list[dict]:
    from .models import Excerpt

    rows = (
        Excerpt.objects.filter(coder=user)
        .filter(_consented_sources())
        .select_related("observation__study", "interview__study", "document__study", "reading__study")
        .prefetch_related("codes")
        .order_by("created_at", "pk")
    )
    result = []
    for e in rows[:limit]:
        kind, study = _source(e)
        result.append(
            {
                "study": study,
                "source": kind,
                "start": e.start,
                "end": e.end,
                "text": e.text,
                "codes": sorted(code.name for code in e.codes.all()),
                "memo": e.memo,
                "created_at": e.created_at,
            }
        )
    return result


def _memos(user, limit: int) -> list[dict]:
    from .models import Memo

    rows = (
        Memo.objects.filter(author=user)
        .filter(_consented_sources() | Q(code__isnull=False))
        .select_related("study", "code")
        .order_by("created_at", "pk")
    )
    result = []
    for m in rows[:limit]:
        if m.code_id:
            about = f"code: {m.code.name}"
        elif m.observation_id:
            about = "observation"
        elif m.interview_id:
            about = "interview"
        elif m.reading_id:
            about = "reading"
        else:
            about = "document"
        result.append({"study": m.study.title, "about": about, "body": m.body, "created_at": m.created_at})
    return result


def _documents(user, limit: int) -> list[dict]:
    from .models import Document

    rows = Document.objects.filter(imported_by=user).select_related("study").order_by("pk")
    return [{"study": d.study.title, "title": d.title, "origin": d.origin} for d in rows[:limit]]


def _versions(user, limit: int) -> list[dict]:
    """Protocol and report versions the member published (their summary, not the page's text)."""
    from .models import ProtocolVersion, ReportVersion

    result = []
    for kind, model, page in (("protocol", ProtocolVersion, "protocol"), ("report", ReportVersion, "report")):
        rows = model.objects.filter(published_by=user).select_related(page).order_by("published_at", "pk")
        result += [
            {
                "kind": kind,
                "page": getattr(v, page).title,
                "number": v.number,
                "published_at": v.published_at,
                "summary": v.summary,
            }
            for v in rows[:limit]
        ]
    return result[:limit]


def _erasures(user, limit: int) -> list[dict]:
    """Erasures the member carried out (issue 16): what the record holds, which is no one's data."""
    from .models import ErasureRecord

    rows = ErasureRecord.objects.filter(erased_by=user).order_by("erased_at", "pk")
    return [
        {"erased_at": r.erased_at, "party_kind": r.party_kind, "reason": r.reason, "counts": r.counts}
        for r in rows[:limit]
    ]


def register() -> None:
    """Called from `StudiesConfig.ready`."""
    register_section(
        Section(
            "observations",
            (
                "study",
                "title",
                "observed_on",
                "collective",
                "setting",
                "purposes",
                "grid_answers",
                "body",
                "visibility",
            ),
            _observations,
            count=count_of("studies.Observation", "observer"),
        )
    )
    register_section(
        Section(
            "entretiens",
            (
                "study",
                "title",
                "conducted_on",
                "informant",
                "collective",
                "mode",
                "duration_minutes",
                "transcript",
            ),
            _interviews,
            count=count_of("studies.Interview", "interviewer"),
        )
    )
    register_section(
        Section(
            "extraits_codes",
            ("study", "source", "start", "end", "text", "codes", "memo", "created_at"),
            _excerpts,
            count=count_of("studies.Excerpt", "coder"),
        )
    )
    register_section(
        Section(
            "memos",
            ("study", "about", "body", "created_at"),
            _memos,
            count=count_of("studies.Memo", "author"),
        )
    )
    register_section(
        Section(
            "documents_importes",
            ("study", "title", "origin"),
            _documents,
            count=count_of("studies.Document", "imported_by"),
        )
    )
    register_section(
        Section("versions_publiees", ("kind", "page", "number", "published_at", "summary"), _versions)
    )
    register_section(
        Section("effacements_realises", ("erased_at", "party_kind", "reason", "counts"), _erasures)
    )
