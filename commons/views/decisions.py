"""The public decision register of a bureau: the list, the integrity check of its hash chain, a CSV export.

Public by design (`@public_register`, i.e. `permissions.can_view_register`): a commons accounts for
its decisions to everyone. Each decision records the rule as it was applied, so the register reads from the
decisions alone (one query per page), never from rules or proposals that may have changed since.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from fractions import Fraction

from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.models import Site

from participants.models import display_name

from .. import actions, page_cache, permissions, voting
from ..models import BureauPage, ChainFormatChange, Decision
from ..models.governance import GRADE_LABELS, GRADE_SCALE, BallotChoice, Method, ProposalKind
from ..permissions import public_register
from ..publications import decision_links
from ..spreadsheets import csv_response

PER_PAGE = 50
SHORT_HASH = 12
LATE_RECORD = timedelta(hours=1)
CSV_COLUMNS = [
    "sequence", "closed_at", "title", "kind", "outcome", "reason", "method", "quorum", "threshold",
    "for", "against", "abstain", "block", "ranking", "electorate_size", "ballots_cast",
    "previous_hash", "hash",
]  # fmt: skip


def register_url(bureau: BureauPage) -> str:
    return bureau.url + bureau.reverse_subpage("decision_register")


def decision_url(bureau: BureauPage, sequence: int, newest: int | None = None) -> str:
    """The URL of one decision: its card in the register, on the page of the register that lists it.

    The register runs newest first, `PER_PAGE` a page, and sequences run 1..N without gaps, so the
    page follows from the newest sequence (`newest`: the bureau's number of decisions; counted
    when not given — pass it when linking several decisions).
    """
    if newest is None:
        newest = Decision.objects.filter(bureau=bureau).count()
    page = max(newest - sequence, 0) // PER_PAGE + 1
    query = f"?page={page}" if page > 1 else ""
    return f"{register_url(bureau)}{query}#decision-{sequence}"


def reason_label(reason: str) -> str:
    return {
        voting.REASON_ADOPTED: _("adopted"),
        voting.REASON_NO_QUORUM: _("quorum not reached"),
        voting.REASON_NO_EXPRESSED: _("no ballot for or against"),
        voting.REASON_SHARE_TOO_LOW: _("share of « for » too low"),
        voting.REASON_BLOCKED: _("blocked by an objection"),
        voting.REASON_OPPOSED: _("someone is against"),
    }.get(reason, reason)


def method_label(method: str) -> str:
    return Method(method).label if method in Method.values else method


def ratio_label(value: str | None) -> str:
    """A stored ratio ("1/2", "0.5", "0") as people read it: a percentage, exact fractions kept."""
    if not value:
        return ""
    try:
        ratio = Fraction(value)
    except (ValueError, ZeroDivisionError):
        return value
    if ratio == 0:
        return _("none")
    if (ratio * 100).denominator == 1:
        return percent_label(ratio)
    return f"{value} ({percent_label(ratio)})"


def percent_label(ratio: Fraction | str | None) -> str:
    """A share as a percentage in the reader's locale: "55 %", "66,7 %"."""
    if ratio in (None, ""):
        return ""
    try:
        percent = Fraction(ratio) * 100
    except (ValueError, ZeroDivisionError):
        return str(ratio)
    if percent.denominator == 1:
        return f"{percent.numerator} %"
    return f"{number_format(round(float(percent), 1), decimal_pos=1)} %"


def _prepare(decision: Decision, page_of_sequence) -> Decision:
    """Attach what the register template shows, from the decision's own frozen fields."""
    rule = decision.rule or {}
    decision.kind_label = (
        ProposalKind(decision.kind).label if decision.kind in ProposalKind.values else decision.kind
    )
    decision.reason_label = reason_label(decision.reason)
    decision.method_label = method_label(rule.get("method", ""))
    decision.rule_name = rule.get("name", "")
    decision.quorum_label = ratio_label(rule.get("quorum"))
    decision.threshold_label = ratio_label(rule.get("threshold"))
    decision.college_weights = (
        sorted((rule.get("college_weights") or {}).items()) if rule.get("use_colleges") else []
    )
    decision.is_mj = rule.get("method") == Method.MAJORITY_JUDGMENT
    if decision.is_mj:
        decision.ranking_rows = [
            (position, label, grade_label(voting.majority_grade(decision.counts.get(label, {}), GRADE_SCALE)))
            for position, label in enumerate(decision.ranking or [], start=1)
        ]
    else:
        decision.tally_rows = [
            (choice.value, choice.label, (decision.counts or {}).get(choice.value, 0))
            for choice in BallotChoice
            if choice != BallotChoice.BLOCK or voting.allows_block(rule.get("method", ""))
        ]
    decision.share_label = percent_label(decision.score) if decision.score else ""
    decision.weighted = bool(decision.college_weights)
    # A vote closed lazily (when someone opened its page) is recorded after its deadline: say both.
    deadline = getattr(decision, "vote_deadline", None)
    late = deadline is not None and decision.closed_at - deadline > LATE_RECORD
    decision.vote_deadline_shown = deadline if late else None
    decision.short_hash = decision.hash[:SHORT_HASH]
    decision.short_previous = decision.previous_hash[:SHORT_HASH]
    decision.previous_page = page_of_sequence(decision.sequence - 1) if decision.sequence > 1 else None
    return decision


def grade_label(grade: str | None) -> str:
    """A majority-judgment grade as people read it (translated); "" for none (an ungraded option)."""
    return str(GRADE_LABELS[grade]) if grade in GRADE_LABELS else ""


@public_register
@page_cache.cacheable(quotes=False)
def register(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    decisions = (
        Decision.objects.filter(bureau=bureau)
        .annotate(vote_deadline=F("proposal__closes_at"))
        .select_related("proposal__closed_early_by__bec_profile")
        .order_by("-sequence")
    )
    paginator = Paginator(decisions, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    newest = paginator.count  # sequences run 1..N without gaps (verify/ checks it)

    def page_of_sequence(sequence: int) -> int:
        return (newest - sequence) // PER_PAGE + 1

    rows = [_prepare(decision, page_of_sequence) for decision in page.object_list]
    # What each decision published (a report or protocol version), from the apps that publish.
    links = decision_links(bureau, rows)
    for decision in rows:
        decision.published_links = links.get(decision.pk, [])
        # Who closed a vote early is not hashed (chain format 2): read from the proposal, so that a
        # coordinator who has since left shows as « membre parti·e n° N ».
        closer = decision.proposal.closed_early_by
        decision.early_close_by = display_name(closer) if closer else _("a coordinator")
    membership = permissions.membership_for(request.user, bureau)
    context = {
        "page": bureau,
        "self": bureau,
        "decisions": rows,
        "page_obj": page,
        "can_view_proposals": permissions.can_view_proposals(request.user, bureau, membership),
        "chain_changes": list(ChainFormatChange.objects.filter(bureau=bureau)),
    }
    return render(request, "commons/decisions/register.html", context)


@public_register
def verify(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    decisions = list(Decision.objects.filter(bureau=bureau).order_by("sequence"))
    broken = actions.verify_chain(decisions)
    context = {
        "page": bureau,
        "self": bureau,
        "checked": len(decisions),
        "broken": broken,
        "intact": broken is None,
        "chain_changes": list(ChainFormatChange.objects.filter(bureau=bureau)),
    }
    return render(request, "commons/decisions/verify.html", context)


@public_register
def export_csv(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    filename = f"decisions-{slugify(bureau.slug) or bureau.pk}.csv"
    return csv_response(filename, itertools.chain([CSV_COLUMNS], _csv_rows(bureau)))


def _csv_rows(bureau: BureauPage):
    """The register's rows, oldest first, streamed from the database in chunks."""
    for decision in Decision.objects.filter(bureau=bureau).order_by("sequence").iterator(chunk_size=500):
        rule = decision.rule or {}
        counts = decision.counts or {}
        is_mj = rule.get("method") == Method.MAJORITY_JUDGMENT
        yield [
            decision.sequence,
            decision.closed_at.isoformat(),
            decision.title,
            decision.kind,
            decision.outcome,
            decision.reason,
            rule.get("method", ""),
            rule.get("quorum", ""),
            rule.get("threshold") or "",
            *(("", "", "", "") if is_mj else (counts.get(choice, 0) for choice in voting.CHOICES)),
            " > ".join(decision.ranking or []),
            decision.electorate_size,
            decision.ballots_cast,
            decision.previous_hash,
            decision.hash,
        ]


def export_csv_by_path(request: HttpRequest, bureau_path: str) -> HttpResponse:
    """`<bureau>/decisions.csv`: find the live bureau at that path in the request's site, then export."""
    site = Site.find_for_request(request)
    if site is None:
        raise Http404
    url_path = f"{site.root_page.url_path}{bureau_path.strip('/')}/"
    bureau = BureauPage.objects.live().public().filter(url_path=url_path).first()
    if bureau is None:
        raise Http404
    return export_csv(request, bureau)
