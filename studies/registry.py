"""The public registry of AI systems: what each tool is, and what the study observed of it.

Public, so it shows only what is published or consented, and is computed in a fixed number of
queries whatever the data (grouped counts in SQL):

- counts of the study's observations mentioning a tool, **consented ones only**
  (`Observation.objects.consented()`: a collective that withdraws its consent leaves them at once),
  by purpose (the indexed `ObservationPurpose` rows) and by kind of collective (its legal form);
  the codebase has no minimum-cell rule (DESIGN.md sets none), so every cell is shown: counts of
  observations, never collectives' names or codes;
- quotes **already published**: the quote blocks of the study's live reports (a report is live only
  once adopted by the bureau's vote), whose excerpt is quotable now (`quotes.quotable_excerpts`:
  the `observation` and `quotation` consents) and comes from an observation mentioning the tool.
  Team material (observations, unpublished drafts of reports) never appears.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from participants.models.collectives import LegalForm

from .models import AITool, Hosting, Observation, ObservationPurpose, StudyPage, StudyReportPage
from .models.observations import Purpose
from .quotes import attribution, quotable_excerpts

#: The filters of the registry page and of its downloads: {name: allowed values}.
OPENNESS = ("open", "closed")


@dataclass(frozen=True)
class Filters:
    hosting: str = ""
    openness: str = ""
    purpose: str = ""

    @classmethod
    def from_query(cls, query) -> tuple[Filters, list[str]]:
        """The valid filters of a query string, and a message per invalid one (left out)."""
        values, errors = {}, []
        checks = {
            "hosting": (Hosting.values, _("Unknown hosting.")),
            "openness": (OPENNESS, _("Unknown openness.")),
            "purpose": (Purpose.values, _("Unknown purpose.")),
        }
        for name, (allowed, message) in checks.items():
            value = (query.get(name) or "").strip()
            if not value:
                continue
            if value in allowed:
                values[name] = value
            else:
                errors.append(str(message))
        return cls(**values), errors

    def __bool__(self) -> bool:
        return bool(self.hosting or self.openness or self.purpose)

    def query(self) -> str:
        from urllib.parse import urlencode

        pairs = [(k, v) for k, v in (("hosting", self.hosting), ("openness", self.openness),
                                     ("purpose", self.purpose)) if v]  # fmt: skip
        return f"?{urlencode(pairs)}" if pairs else ""


def consented_observations(study: StudyPage, purpose: str = "") -> QuerySet:
    """The study's observations whose collective consents now (of `purpose`, if given)."""
    found = Observation.objects.consented().filter(study=study)
    if purpose:
        found = found.filter(purpose_rows__purpose=purpose)
    return found


def tools(study: StudyPage, filters: Filters = Filters()) -> list[AITool]:
    """The registry's tools passing `filters`, each with `mentions`: the study's consented
    observations mentioning it (of the purpose filtered on, if any). One query."""
    consented = consented_observations(study, filters.purpose).values("pk")
    found = AITool.objects.annotate(
        mentions=Count("observations", filter=Q(observations__in=consented), distinct=True)
    )
    if filters.hosting:
        found = found.filter(hosting=filters.hosting)
    if filters.openness:
        found = found.filter(open_weights=filters.openness == "open")
    if filters.purpose:
        found = found.filter(mentions__gt=0)
    return list(found.order_by("name"))


def _label(choices, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def by_purpose(study: StudyPage, tool_ids) -> dict[int, list[tuple[str, str, int]]]:
    """{tool id: [(purpose, label, observations)]}, most frequent first (one grouped query)."""
    rows = (
        ObservationPurpose.objects.filter(
            observation__in=consented_observations(study).values("pk"), observation__ai_tools__in=tool_ids
        )
        .values("observation__ai_tools", "purpose")
        .annotate(n=Count("observation", distinct=True))
    )
    found: dict[int, list] = defaultdict(list)
    for row in rows:
        found[row["observation__ai_tools"]].append(
            (row["purpose"], _label(Purpose, row["purpose"]), row["n"])
        )
    return {pk: sorted(items, key=lambda item: (-item[2], item[1])) for pk, items in found.items()}


def by_collective_kind(study: StudyPage, tool_ids) -> dict[int, list[tuple[str, str, int]]]:
    """{tool id: [(legal form, label, observations)]}, most frequent first (one grouped query)."""
    rows = (
        consented_observations(study)
        .filter(ai_tools__in=tool_ids)
        .values("ai_tools", "collective__legal_form")
        .annotate(n=Count("pk", distinct=True))
    )
    found: dict[int, list] = defaultdict(list)
    for row in rows:
        form = row["collective__legal_form"] or ""
        found[row["ai_tools"]].append((form, _label(LegalForm, form), row["n"]))
    return {pk: sorted(items, key=lambda item: (-item[2], item[1])) for pk, items in found.items()}


@dataclass(frozen=True)
class PublishedQuote:
    text: str
    attribution: str
    report_title: str
    report_url: str


def _quoted_in_live_reports(study: StudyPage, request=None) -> dict[int, list[tuple[str, str]]]:
    """{excerpt id: [(report title, url)]} of the quote blocks of the study's live reports (one query;
    the StreamField's raw data, so no block is resolved)."""
    quoted: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for report in StudyReportPage.objects.child_of(study).live().public().order_by("path"):
        for block in report.body.raw_data:
            value = block.get("value") if block.get("type") == "quote" else None
            excerpt = value.get("excerpt") if isinstance(value, dict) else None
            if isinstance(excerpt, int):
                quoted[excerpt].append((report.title, report.get_url(request)))
    return quoted


def published_quotes(study: StudyPage, tool: AITool, request=None) -> list[PublishedQuote]:
    """The quotes of the study's adopted (live) reports whose source mentions `tool`, quotable now."""
    quoted = _quoted_in_live_reports(study, request)
    if not quoted:
        return []
    excerpts = (
        quotable_excerpts([study.pk])
        .filter(pk__in=list(quoted), observation__ai_tools=tool)
        .distinct()
        .order_by("pk")
    )
    return [
        PublishedQuote(excerpt.text, attribution(excerpt), title, url)
        for excerpt in excerpts
        for title, url in quoted[excerpt.pk][:1]
    ]


# --- Downloads -----------------------------------------------------------------------------------


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def records(study: StudyPage, filters: Filters = Filters()) -> list[dict]:
    """The registry as data (the JSON download; the CSV flattens it): three queries in all."""
    found = tools(study, filters)
    ids = [tool.pk for tool in found]
    purposes = by_purpose(study, ids)
    kinds = by_collective_kind(study, ids)
    return [
        {
            "name": tool.name,
            "vendor": tool.vendor,
            "model_family": tool.model_family,
            "hosting": tool.hosting,
            "open_weights": tool.open_weights,
            "licence": tool.licence,
            "data_policy": tool.data_policy,
            "observations": tool.mentions,
            "observations_by_purpose": {key: n for key, _label_, n in purposes.get(tool.pk, [])},
            "observations_by_collective_kind": {key: n for key, _label_, n in kinds.get(tool.pk, [])},
        }
        for tool in found
    ]


def csv_rows(study: StudyPage, filters: Filters = Filters()):
    """Header, then one row per tool: its facts, its count, and one column per purpose."""
    yield [
        _("Tool"), _("Vendor"), _("Model family"), _("Hosting"), _("Open weights"), _("Licence"),
        _("Data-use policy"), _("Observations"),
        *(_("Observations: %(purpose)s") % {"purpose": label} for _value, label in Purpose.choices),
    ]  # fmt: skip
    for record in records(study, filters):
        yield [
            record["name"], record["vendor"], record["model_family"], _label(Hosting, record["hosting"]),
            yes_no(record["open_weights"]), record["licence"], record["data_policy"], record["observations"],
            *(record["observations_by_purpose"].get(value, 0) for value, _label_ in Purpose.choices),
        ]  # fmt: skip
