"""Proposals of a bureau: the list, drafting, the proposal page with its discussion and ballot, vote actions.

Every state change goes through `commons.actions`; a refusal there (`GovernanceError`) is shown
to the person with the page re-rendered (status 400) and nothing changed. Each view states its access
with one guard of `commons.permissions` (`member_required`, `voter_required`, `proposal_required`):
anonymous visitors are sent to the login page, signed-in outsiders get a 403, a proposal the visitor
may not see is a 404.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from fractions import Fraction

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from wagtail import hooks

from participants.models import display_name

from .. import actions, permissions, voting
from ..forms import (
    CommentForm,
    ExtendForm,
    OpenForm,
    ProposalForm,
    ballot_choices,
    ballot_from_post,
    grade_choices,
)
from ..models import Ballot, BallotChange, BureauPage, Comment, Decision, Elector, Proposal, Proxy
from ..models.governance import (
    BALLOT_REASON_MAX,
    CLOSED_STATUSES,
    GRADE_LABELS,
    GRADE_SCALE,
    SWITCH_KINDS,
    BallotChoice,
    ProposalKind,
    Status,
)
from ..models.proxies import effective_proxies
from ..permissions import member_required, proposal_required, voter_required
from .confirm import confirm_page
from .decisions import grade_label, ratio_label

PER_PAGE = 50
TABS = ("open", "waiting", "closed", "drafts")
FINISHED_STATUSES = (*CLOSED_STATUSES, Status.WITHDRAWN)


def proposals_url(bureau: BureauPage) -> str:
    return bureau.url + bureau.reverse_subpage("proposal_list")


def detail_url(bureau: BureauPage, proposal: Proposal) -> str:
    return bureau.url + bureau.reverse_subpage("proposal_detail", args=[proposal.pk])


# --- The list -----------------------------------------------------------------------------------


def _count_of(model, **filters) -> Coalesce:
    """A correlated COUNT subquery: one per row without joins that multiply each other."""
    rows = model.objects.filter(proposal=OuterRef("pk"), **filters).order_by().values("proposal")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), Value(0))


@member_required
def proposal_list(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    membership = permissions.membership_for(request.user, bureau)
    user = request.user
    now = timezone.now()
    can_run = permissions.can_run_votes(user, bureau, membership)
    drafts = Q(status=Status.DRAFT) if can_run else Q(status=Status.DRAFT, author=user)
    filters = {
        "open": Q(status=Status.OPEN),
        "waiting": Q(status=Status.OPEN, closes_at__gt=now, is_elector=True, has_ballot=False),
        "closed": Q(status__in=FINISHED_STATUSES),
        "drafts": drafts,
    }
    base = Proposal.objects.filter(bureau=bureau).annotate(
        is_elector=Exists(Elector.objects.filter(proposal=OuterRef("pk"), user=user)),
        has_ballot=Exists(Ballot.objects.filter(proposal=OuterRef("pk"), voter=user)),
    )
    counts = base.aggregate(**{tab: Count("pk", filter=condition) for tab, condition in filters.items()})
    tab = request.GET.get("tab")
    if tab not in TABS:
        tab = "waiting" if counts["waiting"] else "open"
    order = {
        "open": ("closes_at", "pk"),
        "waiting": ("closes_at", "pk"),
        "closed": ("-closes_at", "-pk"),
        "drafts": ("-created_at", "-pk"),
    }[tab]
    rows = (
        base.filter(filters[tab])
        .select_related("rule")
        .defer("body", "body_html")
        .annotate(ballot_count=_count_of(Ballot), elector_count=_count_of(Elector))
        .order_by(*order)
    )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    for proposal in page.object_list:
        proposal.display_status = _display_status(proposal, now)
        proposal.my_ballot = _my_ballot_status(proposal, now)
    context = {
        "page": bureau,
        "self": bureau,
        "membership": membership,
        "tab": tab,
        "tabs": [(key, _tab_label(key), counts[key]) for key in TABS],
        "proposals": page,
        "can_propose": permissions.can_propose(user, bureau, membership),
        "can_run_votes": can_run,
        "now": now,
    }
    return render(request, "commons/proposals/list.html", context)


def _tab_label(tab: str) -> str:
    return {
        "open": _("Open"),
        "waiting": _("Awaiting my vote"),
        "closed": _("Closed"),
        "drafts": _("Drafts"),
    }[tab]


def _display_status(proposal: Proposal, now) -> tuple[str, str]:
    """(css key, label). A due vote not closed yet reads « closing »: its page closes it when viewed."""
    if proposal.status == Status.OPEN and proposal.closes_at <= now:
        return "closing", _("closing in progress")
    return proposal.status, proposal.get_status_display()


def _my_ballot_status(proposal: Proposal, now) -> tuple[str, str]:
    if proposal.has_ballot:
        return "voted", _("voted")
    if not proposal.is_elector:
        return "none", "—" if proposal.status == Status.DRAFT else _("not in the electorate")
    if proposal.status == Status.OPEN and proposal.closes_at > now:
        return "todo", _("to vote")
    return "missed", _("did not vote")


# --- Drafting -----------------------------------------------------------------------------------


@voter_required()
def proposal_new(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    form = ProposalForm(request.POST or None, bureau=bureau)

    def save(data: dict) -> Proposal:
        return actions.create_proposal(bureau, request.user, rule=data["rule"], **_draft_fields(data))

    saved = _("Draft saved. A coordinator opens the vote when the proposal is ready.")
    return _draft_page(request, bureau, form, save=save, saved=saved)


def _draft_fields(data: dict) -> dict:
    """What a draft is made of, from a valid `ProposalForm` (for creating and for editing it)."""
    return {key: data[key] for key in ("title", "body", "kind", "options", "proposed_rules")}


def _draft_page(request: HttpRequest, bureau: BureauPage, form: ProposalForm, *, save, saved: str,
                proposal: Proposal | None = None) -> HttpResponse:
    """The draft form (new or edit): on a valid POST `save(cleaned_data)` returns the proposal, whose
    page the author lands on; a refusal of the action is a form error (400), nothing changed."""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                proposal = save(form.cleaned_data)
            except actions.GovernanceError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, saved)
                return redirect(detail_url(bureau, proposal))
        status = 400
    context = {
        "page": bureau, "self": bureau, "membership": permissions.membership_for(request.user, bureau),
        "form": form, "proposal": proposal,
    }
    return render(request, "commons/proposals/new.html", context, status=status)


def _own_draft_or_refuse(request, bureau, proposal):
    """The author's draft that can still change, else the reason as a 403 (a 404 came earlier for
    drafts the visitor may not see)."""
    if not proposal.is_editable_draft:
        raise PermissionDenied(_("Only a draft that has not opened can be changed or deleted."))
    if proposal.author_id != request.user.pk:
        raise PermissionDenied(_("Only the author of a draft changes or deletes it."))


@require_http_methods(["GET", "POST"])
@proposal_required(permissions.can_propose, message=permissions.VOTERS_ONLY)
def proposal_edit(request: HttpRequest, bureau: BureauPage, proposal: Proposal) -> HttpResponse:
    """The author edits their draft before it opens (the kind, and so the rule, may change)."""
    _own_draft_or_refuse(request, bureau, proposal)
    initial = {
        "title": proposal.title,
        "body": proposal.body,
        "kind": proposal.kind,
        "options": "\n".join(proposal.options.values_list("label", flat=True)),
        **{f"rule-{kind}": rule_id for kind, rule_id in proposal.proposed_rules.items()},
    }
    form = ProposalForm(request.POST or None, bureau=bureau, initial=initial)

    def save(data: dict) -> Proposal:
        actions.update_draft(proposal, request.user, **_draft_fields(data))
        return proposal

    return _draft_page(request, bureau, form, save=save, saved=_("Draft saved."), proposal=proposal)


@require_http_methods(["GET", "POST"])
@proposal_required(permissions.can_propose, message=permissions.VOTERS_ONLY)
def proposal_delete(request: HttpRequest, bureau: BureauPage, proposal: Proposal) -> HttpResponse:
    """The author deletes their draft before it opens: GET asks first, POST deletes."""
    _own_draft_or_refuse(request, bureau, proposal)
    if request.method == "GET":
        return confirm_page(
            request,
            bureau,
            title=_("Delete the draft « %(title)s »") % {"title": proposal.title},
            consequence=_(
                "The draft and its discussion are deleted; nothing was put to the vote. "
                "This cannot be undone."
            ),
            confirm_label=_("Yes, delete the draft"),
            cancel_url=detail_url(bureau, proposal),
        )
    try:
        actions.delete_draft(proposal, request.user)
    except actions.GovernanceError as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, _("The draft is deleted."))
    return redirect(proposals_url(bureau) + "?tab=drafts")


# --- The proposal page --------------------------------------------------------------------------


@proposal_required(permissions.can_view_proposals)
def proposal_detail(request: HttpRequest, bureau: BureauPage, proposal: Proposal) -> HttpResponse:
    membership = permissions.membership_for(request.user, bureau)
    proposal = _close_lazily(proposal, bureau)
    return _render_detail(request, bureau, proposal, membership)


def _close_lazily(proposal: Proposal, bureau: BureauPage) -> Proposal:
    if proposal.is_due:
        proposal = actions.close_if_due(proposal)
        proposal.bureau = bureau
    return proposal


def _render_detail(
    request: HttpRequest,
    bureau: BureauPage,
    proposal: Proposal,
    membership,
    *,
    ballot_error: str = "",
    ballot_data: dict | None = None,
    comment_form: CommentForm | None = None,
    open_form: OpenForm | None = None,
    extend_form: ExtendForm | None = None,
    proxy_error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    options = list(proposal.options.all())
    comments = list(proposal.comments.select_related("author", "author__bec_profile"))
    for comment in comments:
        comment.author_name = display_name(comment.author) if comment.author else _("former member")
    is_elector = Elector.objects.filter(proposal=proposal, user=user).exists()
    my_ballot = Ballot.objects.filter(proposal=proposal, voter=user).first()
    history = list(BallotChange.objects.filter(proposal=proposal, voter=user).order_by("-at", "-pk"))
    for change in history:
        change.summary = _ballot_summary(change, options)
    can_run = permissions.can_run_votes(user, bureau, membership)
    may_vote = permissions.can_vote(user, bureau, membership) and is_elector
    is_concerned = proposal.concerned_user_id is not None and proposal.concerned_user_id == user.pk
    ballot_count = proposal.ballots.count() if proposal.status != Status.DRAFT else 0
    elector_count = proposal.electors.count() if proposal.status != Status.DRAFT else 0

    current = ballot_data or {}
    if not current and my_ballot is not None:
        current = {"choice": my_ballot.choice, "reason": my_ballot.reason, "grades": my_ballot.grades}
    current_grades = current.get("grades") or {}
    for option in options:
        option.current_grade = current_grades.get(str(option.pk), "")

    context = {
        "page": bureau,
        "self": bureau,
        "membership": membership,
        "proposal": proposal,
        "options": options,
        "comments": comments,
        "is_elector": is_elector,
        "my_ballot": my_ballot,
        "my_ballot_summary": _ballot_summary(my_ballot, options) if my_ballot else "",
        "my_ballot_lines": _ballot_lines(my_ballot, options) if my_ballot and my_ballot.grades else [],
        "history": history,
        "ballot_count": ballot_count,
        "elector_count": elector_count,
        "show_ballot_form": may_vote and proposal.accepts_ballots and not is_concerned,
        "is_concerned": is_concerned,
        "ballot_choices": ballot_choices(proposal.rule.method),
        "grade_choices": grade_choices(),
        "current": current,
        "ballot_error": ballot_error,
        "can_comment": permissions.can_comment(user, bureau, membership) and _discussion_open(proposal),
        "comment_form": comment_form or CommentForm(),
        "can_run_votes": can_run,
        "can_open": can_run and proposal.status == Status.DRAFT,
        "can_extend": can_run and proposal.accepts_ballots,
        "can_close_early": can_run and proposal.accepts_ballots,
        "can_edit_draft": proposal.is_editable_draft and proposal.author_id == user.pk,
        "early_close_from": proposal.opens_at + timedelta(days=proposal.rule.min_days_before_early_close)
        if proposal.opens_at
        else None,
        "can_withdraw": permissions.can_withdraw(user, bureau, proposal, membership),
        "open_form": open_form or OpenForm(),
        "extend_form": extend_form or ExtendForm(initial={"closes_at": _local(proposal.closes_at)}),
        "results_visible": permissions.results_visible(proposal, user),
        "rule": proposal.rule,
        "quorum_label": ratio_label(proposal.rule.quorum),
        "threshold_label": ratio_label(proposal.rule.threshold),
        "method_has_block": voting.allows_block(proposal.rule.method),
        "reason_max": BALLOT_REASON_MAX,
        "now": timezone.now(),
        "author_name": display_name(proposal.author) if proposal.author else _("former member"),
        "kind_label": ProposalKind(proposal.kind).label
        if proposal.kind in ProposalKind.values
        else proposal.kind,
    }
    if context["results_visible"]:
        context.update(_results(proposal, options))
    context.update(_proxy_context(bureau, proposal, user, membership, is_elector, proxy_error))
    context["proposed_changes"] = proposed_changes(request, proposal)
    context["proposed_table"] = _proposed_table(bureau, proposal)
    return render(request, "commons/proposals/detail.html", context, status=status)


def _proxy_context(bureau, proposal, user, membership, is_elector: bool, proxy_error: str) -> dict:
    """Proxies on this vote as the visitor sees them: the ballots they cast for others (and may
    cast), the proxy they gave, and to whom they may give one. A constant number of queries."""
    if (
        proposal.status not in (Status.DRAFT, Status.OPEN)
        and not proposal.ballots.filter(cast_by__isnull=False).exists()
    ):
        return {"proxy_error": proxy_error}
    applying = effective_proxies(
        Proxy.objects.applying_to(proposal).select_related(
            "giver", "giver__bec_profile", "holder", "holder__bec_profile"
        )
    )
    electors = set(proposal.electors.values_list("user_id", flat=True))
    running = proposal.status == Status.DRAFT or proposal.accepts_ballots
    ballots = {
        b.voter_id: b
        for b in proposal.ballots.filter(
            Q(cast_by=user)
            | Q(voter_id__in=[p.giver_id for p in applying.values() if p.holder_id == user.pk])
        ).select_related("voter", "voter__bec_profile")
    }
    options = list(proposal.options.all())
    held = []
    for proxy in applying.values():
        if proxy.holder_id != user.pk or (proposal.status != Status.DRAFT and proxy.giver_id not in electors):
            continue
        ballot = ballots.get(proxy.giver_id)
        if not running and (ballot is None or ballot.cast_by_id != user.pk):
            continue  # a decided vote: only the ballots this visitor did cast for others
        held.append(
            {
                "member_id": proxy.giver_id,
                "name": display_name(proxy.giver),
                "standing": proxy.proposal_id is None,
                "ballot": ballot,
                "summary": _ballot_summary(ballot, options) if ballot else "",
                "voted_themselves": ballot is not None and ballot.cast_by_id is None,
            }
        )
    # Ballots this visitor cast for members whose proxy has since been revoked stay listed too.
    listed = {row["member_id"] for row in held}
    for ballot in ballots.values():
        if ballot.cast_by_id == user.pk and ballot.voter_id not in listed:
            held.append(
                {
                    "member_id": ballot.voter_id,
                    "name": display_name(ballot.voter),
                    "standing": False,
                    "ballot": ballot,
                    "summary": _ballot_summary(ballot, options),
                    "revoked": True,
                    "voted_themselves": False,
                }
            )
    mine = applying.get(user.pk) if running else None
    can_give = (
        permissions.can_vote(user, bureau, membership)
        and (proposal.status == Status.DRAFT or (is_elector and proposal.accepts_ballots))
        and not Ballot.objects.filter(proposal=proposal, voter=user, cast_by__isnull=True).exists()
    )
    from .proxies import proxy_candidates

    cast_for_me = (
        Ballot.objects.filter(proposal=proposal, voter=user, cast_by__isnull=False)
        .select_related("cast_by", "cast_by__bec_profile")
        .first()
    )
    return {
        "my_ballot_cast_by": display_name(cast_for_me.cast_by) if cast_for_me and cast_for_me.cast_by else "",
        "held_proxies": sorted(held, key=lambda row: row["name"].casefold()),
        "my_proxy": mine,
        "my_proxy_holder": display_name(mine.holder) if mine else "",
        "proxy_candidates": proxy_candidates(bureau, user, membership) if can_give and mine is None else [],
        "proxy_limit": proposal.rule.max_proxies_per_holder,
        "proxy_ballot_count": proposal.ballots.filter(cast_by__isnull=False).count(),
        "proxy_error": proxy_error,
        "may_vote_by_proxy": proposal.accepts_ballots and is_elector,
    }


#: Hook name: `fn(request, proposal) -> SafeString | None`, the HTML of what the proposal changes.
PROPOSAL_CHANGES_HOOK = "bec_proposal_changes"


def proposed_changes(request: HttpRequest, proposal: Proposal):
    """What the proposal changes, shown under it: the first answer of a `bec_proposal_changes` hook.

    The apps whose objects are voted on register the hook (e.g. `studies` shows a protocol's word
    diff), so that `commons` needs to know nothing of them. None when no hook answers.
    """
    for hook in hooks.get_hooks(PROPOSAL_CHANGES_HOOK):
        html = hook(request, proposal)
        if html is not None:
            return html
    return None


def _proposed_table(bureau: BureauPage, proposal: Proposal) -> list[tuple[str, str, str]]:
    """A « change of the decision rules »: (kind, rule in force, rule proposed) for each line it names."""
    if not proposal.proposed_rules:
        return []
    from ..models import DecisionRule
    from ..rules import kind_table

    rules = {rule.pk: rule.label() for rule in DecisionRule.objects.filter(bureau=bureau)}
    current = kind_table(bureau)
    free = _("freely, without a vote")
    return [
        (
            str(ProposalKind(kind).label),
            current[kind].label() if kind in current else (free if kind in SWITCH_KINDS else "—"),
            free if rule_id is None else rules.get(rule_id, "—"),
        )
        for kind, rule_id in proposal.proposed_rules.items()
        if kind in ProposalKind.values
    ]


def _local(value):
    return timezone.localtime(value) if value else None


def _discussion_open(proposal: Proposal) -> bool:
    """The thread runs while the proposal is drafted and voted on; a decided one is archived as it was."""
    return proposal.status in (Status.DRAFT, Status.OPEN)


def _ballot_lines(ballot, options) -> list[tuple[str, str]]:
    """A majority-judgment ballot as (option, grade) pairs in the options' order."""
    return [
        (option.label, str(GRADE_LABELS.get(ballot.grades.get(str(option.pk)), "—")))
        for option in options
        if str(option.pk) in ballot.grades
    ]


def _ballot_summary(ballot, options) -> str:
    if ballot.grades:
        return " · ".join(f"{label} : {grade}" for label, grade in _ballot_lines(ballot, options))
    return str(BallotChoice(ballot.choice).label) if ballot.choice in BallotChoice.values else ballot.choice


def _results(proposal: Proposal, options) -> dict:
    """Counts (or the merit profile of each option) and the decision once there is one."""
    decision = (
        Decision.objects.filter(proposal=proposal).first() if proposal.status in CLOSED_STATUSES else None
    )
    if proposal.uses_options:
        if decision is not None:
            distribution = decision.counts
        else:
            distribution = {option.label: Counter() for option in options}
            ids = {str(option.pk): option.label for option in options}
            for grades in proposal.ballots.values_list("grades", flat=True):
                for option_id, grade in grades.items():
                    if option_id in ids:
                        distribution[ids[option_id]][grade] += 1
        order = decision.ranking if decision and decision.ranking else [option.label for option in options]
        profiles = []
        for label in order:
            row = distribution.get(label, {})
            total = sum(row.values()) or 1
            profiles.append(
                {
                    "label": label,
                    "majority_grade": grade_label(voting.majority_grade(row, GRADE_SCALE)),
                    "grades": [
                        (
                            GRADE_LABELS[grade],
                            grade,
                            row.get(grade, 0),
                            round(100 * row.get(grade, 0) / total),
                        )
                        for grade in GRADE_SCALE
                    ],
                }
            )
        return {"decision": decision, "profiles": profiles, "ranked": bool(decision and decision.ranking)}
    counts = decision.counts if decision is not None else actions.tally(proposal)
    total = sum(counts.values()) or 1
    rows = [
        (
            choice.value,
            choice.label,
            counts.get(choice.value, 0),
            round(100 * counts.get(choice.value, 0) / total),
        )
        for choice in BallotChoice
        if choice != BallotChoice.BLOCK or voting.allows_block(proposal.rule.method)
    ]
    return {"decision": decision, "tally_rows": rows, **_college_explanation(proposal, decision, counts)}


def _college_explanation(proposal: Proposal, decision, counts: dict) -> dict:
    """Per-college shares of « for » once decided under a college-weighted rule, and whether the
    outcome goes against the headcount (e.g. adopted by the weights with 2 for and 3 against): the
    proposal page says so itself, rather than leaving it to the register."""
    weights = (decision.rule.get("college_weights") if decision is not None else None) or {}
    if decision is None or not decision.rule.get("use_colleges") or not weights:
        return {}
    colleges = {name: Counter() for name in weights}
    electors = dict(proposal.electors.values_list("user_id", "college"))
    for voter_id, choice in proposal.ballots.values_list("voter_id", "choice"):
        colleges.setdefault(electors.get(voter_id) or "", Counter())[choice] += 1
    rows = []
    for name, weight in weights.items():
        tally = colleges.get(name, Counter())
        expressed = tally["for"] + tally["against"]
        rows.append(
            {
                "name": name,
                "weight": weight,
                "for": tally["for"],
                "against": tally["against"],
                "abstain": tally["abstain"] + tally["block"],
                "share": round(100 * tally["for"] / expressed) if expressed else None,
            }
        )
    ahead, behind = counts.get("for", 0), counts.get("against", 0)
    against_headcount = (decision.adopted and ahead < behind) or (
        not decision.adopted and decision.reason != "no_quorum" and ahead > behind
    )
    weighted = round(100 * Fraction(decision.score)) if decision.score else None
    return {"college_rows": rows, "against_headcount": against_headcount, "weighted_share": weighted}


# --- Actions ------------------------------------------------------------------------------------


def _refused(request, bureau, proposal, membership, message: str, **forms) -> HttpResponse:
    messages.error(request, message)
    return _render_detail(request, bureau, proposal, membership, status=400, **forms)


@require_POST
@proposal_required(permissions.can_vote, message=permissions.VOTERS_ONLY)
def vote(request: HttpRequest, bureau: BureauPage, proposal: Proposal) -> HttpResponse:
    membership = permissions.membership_for(request.user, bureau)
    option_ids = [option.pk for option in proposal.options.all()] if proposal.uses_options else []
    data = ballot_from_post(request.POST, option_ids)
    if proposal.status == Status.DRAFT:  # the service would answer « the vote is closed »: not yet, rather
        message = _("The vote has not opened yet.")
        return _refused(
            request, bureau, proposal, membership, message, ballot_error=message, ballot_data=data
        )
    represented = None
    if request.POST.get("on_behalf_of"):
        member_id = _member_id(request.POST["on_behalf_of"])
        represented = get_user_model().objects.filter(pk=member_id).first() if member_id else None
        if represented is None:
            message = _("Unknown member.")
            return _refused(
                request, bureau, proposal, membership, message, ballot_error=message, ballot_data=data
            )
    try:
        # The voter is the signed-in person, never a field of the form; `on_behalf_of` is a member
        # whose proxy they hold, checked by the action.
        actions.cast_ballot(proposal, request.user, on_behalf_of=represented, **data)
    except actions.GovernanceError as error:
        proposal = _close_lazily(proposal, bureau)
        return _refused(
            request, bureau, proposal, membership, str(error), ballot_error=str(error), ballot_data=data
        )
    proposal.refresh_from_db(fields=["closes_at", "status"])
    if represented is not None and not proposal.is_due:
        messages.success(
            request,
            _("The ballot of %(name)s, cast by you with their proxy, is recorded.")
            % {"name": display_name(represented)},
        )
        return redirect(detail_url(bureau, proposal) + "#proxy")
    if proposal.is_due:  # the whole electorate has voted: the vote ends now
        actions.close_if_due(proposal)
        messages.success(request, _("Your ballot is recorded. Everyone has voted: the vote is closed."))
        return redirect(detail_url(bureau, proposal))
    messages.success(request, _("Your ballot is recorded. You can change it until the vote closes."))
    return redirect(detail_url(bureau, proposal) + "#ballot")


def _member_id(value: str) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 10**18 else None


@require_POST
@proposal_required(permissions.can_comment)
def comment(request: HttpRequest, bureau: BureauPage, proposal: Proposal) -> HttpResponse:
    membership = permissions.membership_for(request.user, bureau)
    form = CommentForm(request.POST)
    if not _discussion_open(proposal):
        return _refused(
            request, bureau, proposal, membership, _("The discussion of this proposal is closed.")
        )
    if not form.is_valid():
        return _refused(
            request,
            bureau,
            proposal,
            membership,
            _("Your comment was not posted: see below."),
            comment_form=form,
        )
    posted = Comment.objects.create(proposal=proposal, author=request.user, body=form.cleaned_data["body"])
    messages.success(request, _("Comment posted."))
    return redirect(detail_url(bureau, proposal) + f"#comment-{posted.pk}")


@require_POST
@proposal_required(permissions.can_run_votes, message=permissions.COORDINATORS_ONLY)
def open_vote(request: HttpRequest, bureau: BureauPage, proposal: Proposal) -> HttpResponse:
    membership = permissions.membership_for(request.user, bureau)
    form = OpenForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, bureau, proposal, membership, _("Give a valid closing date."), open_form=form
        )
    try:
        actions.open_proposal(proposal, request.user, form.cleaned_data["closes_at"])
    except actions.GovernanceError as error:
        return _refused(request, bureau, proposal, membership, str(error), open_form=form)
    messages.success(
        request, _("The vote is open. The electorate is fixed: the bureau's voting members now.")
    )
    return redirect(detail_url(bureau, proposal))


@require_POST
@proposal_required(permissions.can_run_votes, message=permissions.COORDINATORS_ONLY)
def extend_vote(request: HttpRequest, bureau: BureauPage, proposal: Proposal) -> HttpResponse:
    membership = permissions.membership_for(request.user, bureau)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        proposal = _close_lazily(proposal, bureau)
        return _refused(
            request, bureau, proposal, membership, _("Give a valid closing date."), extend_form=form
        )
    try:
        actions.extend_proposal(proposal, request.user, form.cleaned_data["closes_at"])
    except actions.GovernanceError as error:
        proposal = _close_lazily(proposal, bureau)
        return _refused(request, bureau, proposal, membership, str(error), extend_form=form)
    messages.success(request, _("The vote now closes later."))
    return redirect(detail_url(bureau, proposal))


@require_POST
@proposal_required(permissions.can_run_votes, message=permissions.COORDINATORS_ONLY)
def close_early(request: HttpRequest, bureau: BureauPage, proposal: Proposal) -> HttpResponse:
    """A coordinator ends the vote before its deadline, with a reason the register keeps."""
    membership = permissions.membership_for(request.user, bureau)
    try:
        actions.close_early(proposal, request.user, request.POST.get("reason", ""))
    except actions.GovernanceError as error:
        proposal = _close_lazily(proposal, bureau)
        return _refused(request, bureau, proposal, membership, str(error))
    messages.success(request, _("The vote is closed early; the reason is in the register."))
    return redirect(detail_url(bureau, proposal))


@require_http_methods(["GET", "POST"])
@proposal_required(permissions.can_run_votes, message=permissions.COORDINATORS_ONLY)
def withdraw(request: HttpRequest, bureau: BureauPage, proposal: Proposal) -> HttpResponse:
    """GET asks first (what withdrawing does); POST withdraws."""
    membership = permissions.membership_for(request.user, bureau)
    if request.method == "GET":
        if not proposal.can_be_withdrawn:
            return _refused(
                request, bureau, proposal, membership, _("This proposal can no longer be withdrawn.")
            )
        consequence = (
            _("The vote stops: the ballots already cast are not counted and no decision is recorded.")
            if proposal.status == Status.OPEN
            else _("The draft will never be put to the vote.")
        )
        return confirm_page(
            request,
            bureau,
            title=_("Withdraw « %(title)s »") % {"title": proposal.title},
            consequence=consequence + " " + _("This cannot be undone."),
            confirm_label=_("Yes, withdraw the proposal"),
            cancel_url=detail_url(bureau, proposal),
        )
    try:
        actions.withdraw_proposal(proposal, request.user)
    except actions.GovernanceError as error:
        proposal = _close_lazily(proposal, bureau)
        return _refused(request, bureau, proposal, membership, str(error))
    messages.success(request, _("The proposal is withdrawn."))
    return redirect(detail_url(bureau, proposal))
