"""Governance actions: open, vote, extend, withdraw, close — the only code that changes a vote's state.

Named `actions` as Wagtail names its own (`wagtail.actions`), and so as not to share a name with
`commons.models.governance`, which holds the data. Why a service module: views, management
commands, background tasks and the workflow task all need the same rules (deadlines by server
time, the electorate snapshot, one ballot per member, one decision per proposal). Each function
validates everything first, raises `GovernanceError` with a translated message and changes nothing
when input is bad, and takes row locks so concurrent votes and closes stay consistent on PostgreSQL
(SQLite serialises writers with IMMEDIATE transactions, see settings).

Layering: actions use the models, `voting` (arithmetic), `notifications` (emails after commit) and
announce what happened through `commons.signals`; they never import views, forms or
`commons.workflow` (which sits above them and listens to the signals).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log
from wagtail.models import Page

from participants.text import is_blank, visible

from . import notifications, voting
from .models import (
    Ballot,
    BallotChange,
    BureauPage,
    Decision,
    DecisionRule,
    Elector,
    KindRule,
    Membership,
    Proposal,
    ProposalOption,
)
from .models.governance import (
    BALLOT_REASON_MAX,
    CHAIN_FORMAT,
    GRADE_SCALE,
    OPTION_KINDS,
    PROPOSAL_TITLE_MAX,
    BallotChoice,
    Method,
    ProposalKind,
    Status,
)
from .signals import proposal_decided, proposal_withdrawn


class GovernanceError(Exception):
    """A refused action; the message is meant for the person who tried it."""


# --- Drafting and opening -----------------------------------------------------------------------


@transaction.atomic
def create_proposal(
    bureau: BureauPage,
    author,
    *,
    title: str,
    body: str,
    rule: DecisionRule | None = None,
    kind: str = "free",
    options: Sequence[str] = (),
    target=None,
    proposed_rules: Mapping[str, int] | None = None,
) -> Proposal:
    """Create a draft. Majority-judgment rules need at least two distinct options.

    Without `rule`, the bureau's table gives it from the kind (`rules.rule_for`): that is how every
    page and the workflow call it, so nobody pairs a kind with another rule. An explicit rule is for
    callers that build test or seed data. A « change of the decision rules » carries the table it
    proposes (`proposed_rules`, {kind: rule id}), applied by `close_proposal` if adopted.
    """
    title, rule, labels, table = _checked_draft(bureau, title, kind, rule, options, proposed_rules)
    proposal = Proposal(
        bureau=bureau, author=author, title=title, body=body, rule=rule, kind=kind, proposed_rules=table
    )
    if target is not None:
        proposal.target = target
    proposal.save()
    ProposalOption.objects.bulk_create(
        ProposalOption(proposal=proposal, label=label, position=i) for i, label in enumerate(labels)
    )
    return proposal


def _checked_draft(
    bureau: BureauPage,
    title: str,
    kind: str,
    rule: DecisionRule | None,
    options: Sequence[str],
    proposed_rules: Mapping[str, int] | None,
) -> tuple[str, DecisionRule, list[str], dict]:
    """What a draft may hold, checked the same way on creation and on edit: (title, rule, options, table)."""
    from .rules import rule_for

    if kind not in ProposalKind.values:
        raise GovernanceError(_("Unknown kind of proposal."))
    if rule is None:
        rule = rule_for(bureau, kind)
        if rule is None:
            raise GovernanceError(_("This bureau has no decision rule for this kind of proposal."))
    if rule.bureau_id != bureau.pk:
        raise GovernanceError(_("This decision rule belongs to another bureau."))
    table = _validate_proposed_rules(bureau, kind, proposed_rules)
    title = visible(title)
    if not title or len(title) > PROPOSAL_TITLE_MAX:
        raise GovernanceError(
            _("A proposal needs a title of at most %(max)s characters.") % {"max": PROPOSAL_TITLE_MAX}
        )
    labels = [visible(label) for label in options if not is_blank(label)]
    if rule.method == Method.MAJORITY_JUDGMENT:
        if len(labels) < 2:
            raise GovernanceError(_("A majority judgment needs at least two options."))
        if len(set(labels)) != len(labels):
            raise GovernanceError(_("Two options have the same label."))
    elif labels:
        raise GovernanceError(_("Options are only used with majority judgment."))
    return title, rule, labels, table


@transaction.atomic
def update_draft(
    proposal: Proposal,
    by,
    *,
    title: str,
    body: str,
    kind: str,
    options: Sequence[str] = (),
    proposed_rules: Mapping[str, int] | None = None,
) -> Proposal:
    """The author changes their draft before it opens; the rule follows the (possibly new) kind.

    Refused once the vote has opened (or the proposal was withdrawn), for anyone but the author, and
    for a draft the workflow opened (its text is the submitted page: edit the page instead).
    """
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    _check_own_draft(proposal, by)
    title, rule, labels, table = _checked_draft(proposal.bureau, title, kind, None, options, proposed_rules)
    proposal.title, proposal.body, proposal.kind, proposal.rule = title, body, kind, rule
    proposal.proposed_rules = table
    proposal.save()
    proposal.options.all().delete()
    ProposalOption.objects.bulk_create(
        ProposalOption(proposal=proposal, label=label, position=i) for i, label in enumerate(labels)
    )
    log(instance=proposal, action="bec.proposal.edit", user=by)
    return proposal


@transaction.atomic
def delete_draft(proposal: Proposal, by) -> None:
    """The author deletes their draft before it opens: nobody voted on it, nothing is recorded."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    _check_own_draft(proposal, by)
    proposal.delete()


def _check_own_draft(proposal: Proposal, by) -> None:
    if not proposal.is_editable_draft:
        raise GovernanceError(_("Only a draft that has not opened can be changed or deleted."))
    if by is None or proposal.author_id != by.pk:
        raise GovernanceError(_("Only the author of a draft changes or deletes it."))


def _validate_proposed_rules(bureau: BureauPage, kind: str, proposed: Mapping[str, int] | None) -> dict:
    """The table a « change of the decision rules » proposes, checked: {kind: rule id} of this bureau.

    A choice among options is graded (majority judgment) and every other kind is not; the new table
    must change at least one line. Other kinds carry no table.
    """
    from .rules import kind_table

    if kind != ProposalKind.RULES:
        if proposed:
            raise GovernanceError(_("Only a change of the decision rules proposes decision rules."))
        return {}
    proposed = {str(k): v for k, v in (proposed or {}).items()}
    if not proposed or set(proposed) - set(ProposalKind.values):
        raise GovernanceError(_("Say which rule each kind of proposal would follow."))
    rules = {rule.pk: rule for rule in DecisionRule.objects.filter(bureau=bureau)}
    table = {}
    for proposed_kind, rule_id in proposed.items():
        try:
            rule = rules[int(rule_id)]
        except (KeyError, TypeError, ValueError):
            raise GovernanceError(_("This decision rule belongs to another bureau.")) from None
        graded = rule.method == Method.MAJORITY_JUDGMENT
        if graded != (proposed_kind in OPTION_KINDS):
            raise GovernanceError(
                _("Only a choice among options is decided by majority judgment, and it always is.")
            )
        table[proposed_kind] = rule.pk
    current = {k: r.pk for k, r in kind_table(bureau).items()}
    if all(current.get(k) == v for k, v in table.items()):
        raise GovernanceError(_("This table is the one in force: the proposal would change nothing."))
    return table


def apply_rules_change(proposal: Proposal) -> None:
    """An adopted « change of the decision rules »: its table replaces the lines it names.

    Called by `close_proposal` inside its transaction, so the decision and the new table are one.
    A rule deleted meanwhile is skipped (its line keeps the rule in force).
    """
    rules = set(DecisionRule.objects.filter(bureau_id=proposal.bureau_id).values_list("pk", flat=True))
    for kind, rule_id in proposal.proposed_rules.items():
        if kind in ProposalKind.values and rule_id in rules:
            KindRule.objects.update_or_create(
                bureau_id=proposal.bureau_id, kind=kind, defaults={"rule_id": rule_id}
            )


@transaction.atomic
def open_proposal(proposal: Proposal, by, closes_at: datetime | None = None) -> Proposal:
    """Open the vote now and freeze the electorate: the bureau's voting members at this moment."""
    proposal = Proposal.objects.select_for_update(of=("self",)).select_related("rule").get(pk=proposal.pk)
    if proposal.status != Status.DRAFT:
        raise GovernanceError(_("Only a draft can be opened."))
    now = timezone.now()
    closes_at = closes_at or now + timedelta(days=proposal.rule.default_duration_days)
    if closes_at <= now:
        raise GovernanceError(_("The closing date must be in the future."))
    memberships = list(
        Membership.objects.voting().filter(bureau_id=proposal.bureau_id).select_related("college", "user")
    )
    if not memberships:
        raise GovernanceError(_("The bureau has no voting member."))
    if proposal.rule.use_colleges:
        missing = [m.user.email for m in memberships if m.college is None]
        if missing:
            raise GovernanceError(
                _("The rule weights colleges: give a college to %(people)s before opening.")
                % {"people": ", ".join(missing)}
            )
        proposal.college_weights = {m.college.name: m.college.weight for m in memberships}
    Elector.objects.bulk_create(
        Elector(proposal=proposal, user=m.user, college=m.college.name if m.college else "")
        for m in memberships
    )
    proposal.status, proposal.opens_at, proposal.closes_at = Status.OPEN, now, closes_at
    proposal.save(update_fields=["status", "opens_at", "closes_at", "college_weights"])
    log(instance=proposal, action="bec.proposal.open", user=by, data={"closes_at": closes_at.isoformat()})
    _after_commit("notify_opened", proposal.pk)
    return proposal


@transaction.atomic
def extend_proposal(proposal: Proposal, by, closes_at: datetime) -> Proposal:
    """Push the deadline back: only while the vote is still running, and only later."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not proposal.accepts_ballots:
        raise GovernanceError(_("Only a running vote can be extended."))
    if closes_at <= proposal.closes_at:
        raise GovernanceError(_("The new closing date must be later than the current one."))
    previous = proposal.closes_at
    proposal.closes_at = closes_at
    proposal.reminder_sent_at = None
    proposal.save(update_fields=["closes_at", "reminder_sent_at"])
    log(
        instance=proposal,
        action="bec.proposal.extend",
        user=by,
        data={"from": previous.isoformat(), "to": closes_at.isoformat()},
    )
    return proposal


@transaction.atomic
def withdraw_proposal(proposal: Proposal, by) -> Proposal:
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not proposal.can_be_withdrawn:
        raise GovernanceError(_("Only a draft or a running vote can be withdrawn."))
    proposal.status = Status.WITHDRAWN
    proposal.save(update_fields=["status"])
    log(instance=proposal, action="bec.proposal.withdraw", user=by)
    proposal_withdrawn.send(sender=Proposal, proposal=proposal, by=by)
    return proposal


# --- Voting -------------------------------------------------------------------------------------


def _validate_ballot(proposal: Proposal, choice: str, reason: str, grades: Mapping[str, str] | None) -> dict:
    if len(reason or "") > BALLOT_REASON_MAX:
        raise GovernanceError(
            _("The explanation is too long (at most %(max)s characters).") % {"max": BALLOT_REASON_MAX}
        )
    method = proposal.rule.method
    if method == Method.MAJORITY_JUDGMENT:
        option_ids = {str(pk) for pk in proposal.options.values_list("pk", flat=True)}
        grades = {str(k): v for k, v in (grades or {}).items()}
        if set(grades) - option_ids:
            raise GovernanceError(_("This ballot grades an option that is not part of the proposal."))
        if set(grades) != option_ids:
            raise GovernanceError(_("Grade every option."))
        if any(grade not in GRADE_SCALE for grade in grades.values()):
            raise GovernanceError(_("Unknown grade."))
        return {"choice": "", "reason": reason.strip(), "grades": grades}
    if choice not in BallotChoice.values:
        raise GovernanceError(_("Unknown choice."))
    if choice == BallotChoice.BLOCK:
        if not voting.allows_block(method):
            raise GovernanceError(_("This decision method has no block."))
        if is_blank(reason):  # zero-width or other invisible characters say nothing either
            raise GovernanceError(_("A block is an objection: say why."))
    return {"choice": choice, "reason": reason.strip(), "grades": {}}


def cast_ballot(
    proposal: Proposal, voter, *, choice: str = "", reason: str = "", grades: Mapping[str, str] | None = None
) -> Ballot:
    """Cast or change the voter's ballot. Refused after the deadline even if nothing has closed the vote."""
    for attempt in range(3):
        try:
            return _cast_ballot(proposal.pk, voter, choice, reason, grades)
        except IntegrityError:  # a concurrent first ballot of the same voter: retry as a change
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def _cast_ballot(proposal_id: int, voter, choice: str, reason: str, grades) -> Ballot:
    # Locking the proposal serialises ballots with closing: no ballot can land after a close.
    proposal = Proposal.objects.select_for_update(of=("self",)).select_related("rule").get(pk=proposal_id)
    if proposal.status == Status.WITHDRAWN:
        raise GovernanceError(_("This proposal has been withdrawn."))
    # One clock reading decides *and* dates the ballot: accepted before the deadline means recorded
    # before it, so no ballot of a decided vote carries a time at or after its close.
    now = timezone.now()
    if not proposal.accepts_ballots_at(now):
        raise GovernanceError(_("The vote is closed."))
    if not Elector.objects.filter(proposal=proposal, user=voter).exists():
        raise GovernanceError(
            _("You are not in the electorate of this vote (it was fixed when the vote opened).")
        )
    data = _validate_ballot(proposal, choice, reason, grades)
    ballot = Ballot.objects.select_for_update().filter(proposal=proposal, voter=voter).first()
    if ballot is None:
        with transaction.atomic():
            ballot = Ballot.objects.create(
                proposal=proposal, voter=voter, cast_at=now, updated_at=now, **data
            )
    else:
        for key, value in data.items():
            setattr(ballot, key, value)
        ballot.updated_at = now
        ballot.save(update_fields=[*data, "updated_at"])
    BallotChange.objects.create(proposal=proposal, voter=voter, at=now, **data)
    if Ballot.objects.filter(proposal=proposal).count() >= Elector.objects.filter(proposal=proposal).count():
        # The whole electorate has voted: the vote ends now, and is decided as at a deadline (the
        # vote page closes it at once; `close_due_proposals` otherwise).
        proposal.closes_at = proposal.closed_early_at = now
        proposal.save(update_fields=["closes_at", "closed_early_at"])
        log(instance=proposal, action="bec.proposal.everyone_voted", user=None)
    return ballot


#: The longest reason for an early close.
EARLY_CLOSE_REASON_MAX = 2000


def close_early(proposal: Proposal, by, reason: str) -> Decision:
    """A coordinator ends a running vote before its deadline, saying why; recorded in the register.

    Allowed only once the vote has been open the rule's `min_days_before_early_close` days, so that
    nobody closes a vote before the bureau could take part. The tally then applies as at a deadline.
    """
    reason = (reason or "").strip()
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update(of=("self",)).select_related("rule").get(pk=proposal.pk)
        now = timezone.now()
        if not proposal.accepts_ballots_at(now):
            raise GovernanceError(_("Only a running vote can be closed early."))
        if not reason:
            raise GovernanceError(_("Say why the vote closes early: the reason goes to the register."))
        if len(reason) > EARLY_CLOSE_REASON_MAX:
            raise GovernanceError(
                _("The reason is too long (at most %(max)s characters).") % {"max": EARLY_CLOSE_REASON_MAX}
            )
        earliest = proposal.opens_at + timedelta(days=proposal.rule.min_days_before_early_close)
        if now < earliest:
            raise GovernanceError(
                _("The rule lets a vote close early only after %(days)s days: not before %(date)s.")
                % {
                    "days": proposal.rule.min_days_before_early_close,
                    "date": timezone.localtime(earliest).strftime("%d/%m/%Y %H:%M"),
                }
            )
        proposal.closes_at = proposal.closed_early_at = now
        proposal.closed_early_by = by
        proposal.closed_early_reason = reason
        proposal.save(
            update_fields=["closes_at", "closed_early_at", "closed_early_by", "closed_early_reason"]
        )
        log(instance=proposal, action="bec.proposal.close_early", user=by, data={"reason": reason})
    return close_proposal(proposal.pk)


def _early_close_record(proposal: Proposal) -> dict:
    """How a vote ended before its planned deadline, as the register keeps it (empty if it did not)."""
    if proposal.closed_early_at is None:
        return {}
    at = proposal.closed_early_at.astimezone(UTC).isoformat(timespec="seconds")
    if proposal.closed_early_reason:
        # Who closed it stays on the proposal (`closed_early_by`), outside the hash: chain format 2.
        return {"how": "coordinator", "at": at, "reason": proposal.closed_early_reason}
    return {"how": "everyone_voted", "at": at}


def tally(proposal: Proposal) -> dict[str, int]:
    """Current counts per choice, in one query."""
    counts = dict.fromkeys(voting.CHOICES, 0)
    for row in proposal.ballots.exclude(choice="").values("choice").annotate(n=Count("pk")):
        counts[row["choice"]] = row["n"]
    return counts


# --- Closing and the register -------------------------------------------------------------------


def _ratio(value: str) -> Fraction:
    return Fraction(value.strip()) if value and value.strip() else Fraction(0)


def compute_result(proposal: Proposal) -> dict:
    """Apply the rule to the ballots: the fields of the decision, before hashing."""
    rule = proposal.rule
    electors = dict(proposal.electors.values_list("user_id", "college"))
    ballots = list(proposal.ballots.all())
    electorate_size = len(electors)
    result = {"electorate_size": electorate_size, "ballots_cast": len(ballots), "ranking": [], "score": ""}
    if rule.method == Method.MAJORITY_JUDGMENT:
        options = list(proposal.options.all())
        labels = {str(option.pk): option.label for option in options}
        grades = {option.label: [] for option in options}
        for ballot in ballots:
            for option_id, grade in ballot.grades.items():
                grades[labels[option_id]].append(grade)
        participation = Fraction(len(ballots), electorate_size) if electorate_size else Fraction(0)
        quorum_reached = participation >= _ratio(rule.quorum) and bool(ballots)
        result["ranking"] = voting.majority_judgment(grades, GRADE_SCALE) if quorum_reached else []
        distribution = {label: {g: values.count(g) for g in GRADE_SCALE} for label, values in grades.items()}
        result.update(
            counts=distribution, adopted=quorum_reached, reason="adopted" if quorum_reached else "no_quorum"
        )
        return result
    college_weights = proposal.college_weights if rule.use_colleges else None
    outcome = voting.decide(
        rule.method,
        [
            voting.Ballot(voter=str(b.voter_id), choice=b.choice, college=electors.get(b.voter_id) or None)
            for b in ballots
        ],
        electorate_size,
        quorum=_ratio(rule.quorum),
        threshold=_ratio(rule.threshold) if rule.threshold else None,
        college_weights=college_weights or None,
    )
    result.update(
        counts=dict(outcome.counts),
        adopted=outcome.adopted,
        reason=outcome.reason,
        score=str(outcome.share) if outcome.share is not None else "",
    )
    return result


def canonical_payload(decision: Decision) -> bytes:
    """The bytes that a decision's hash covers: every recorded field, sorted, in compact JSON.

    Chain format 2 (`CHAIN_FORMAT`, migration 0007): the payload says its format and holds no
    personal data the platform writes — ids, codes, counts, dates, the rule, the bureau's title of
    the question — so erasing a member never touches a hashed field. Format 1 also hashed the name
    of a coordinator who closed a vote early; 0007 verified the format-1 chains, then re-hashed them.
    """
    payload = {
        "format": CHAIN_FORMAT,
        "bureau": decision.bureau_id,
        "sequence": decision.sequence,
        "proposal": decision.proposal_id,
        "title": decision.title,
        "kind": decision.kind,
        "outcome": decision.outcome,
        "reason": decision.reason,
        "rule": decision.rule,
        "counts": decision.counts,
        "score": decision.score,
        "ranking": decision.ranking,
        "electorate_size": decision.electorate_size,
        "ballots_cast": decision.ballots_cast,
        "closed_at": decision.closed_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "previous_hash": decision.previous_hash,
    }
    if decision.early_close:  # absent from decisions recorded before early closes existed
        payload["early_close"] = decision.early_close
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def hash_decision(decision: Decision) -> str:
    return hashlib.sha256(canonical_payload(decision)).hexdigest()


def close_proposal(proposal_id: int) -> Decision | None:
    """Close a due proposal and record its decision, exactly once whatever the concurrency.

    Returns the decision (existing or new), or None when the proposal is not due / not open.
    """
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update(of=("self",)).select_related("rule").get(pk=proposal_id)
        if proposal.status in (Status.ADOPTED, Status.REJECTED):
            return Decision.objects.filter(proposal=proposal).first()
        if not proposal.is_due:
            return None
        # Serialise the bureau's chain: lock its page row, then read the last link.
        Page.objects.select_for_update().filter(pk=proposal.bureau_id).first()
        previous = Decision.objects.filter(bureau_id=proposal.bureau_id).order_by("-sequence").first()
        result = compute_result(proposal)
        decision = Decision(
            bureau_id=proposal.bureau_id,
            proposal=proposal,
            sequence=(previous.sequence + 1) if previous else 1,
            title=proposal.title,
            kind=proposal.kind,
            outcome="adopted" if result["adopted"] else "rejected",
            reason=result["reason"],
            rule=proposal.rule.summary() | {"college_weights": proposal.college_weights},
            counts=result["counts"],
            score=result["score"],
            ranking=result["ranking"],
            electorate_size=result["electorate_size"],
            ballots_cast=result["ballots_cast"],
            early_close=_early_close_record(proposal),
            # The vote ended at its deadline, whenever a job or a visitor happened to close it.
            closed_at=min(timezone.now(), proposal.closes_at),
            previous_hash=previous.hash if previous else "",
        )
        decision.hash = hash_decision(decision)
        decision.save(force_insert=True)
        proposal.status = Status.ADOPTED if result["adopted"] else Status.REJECTED
        proposal.save(update_fields=["status"])
        if decision.adopted and proposal.kind == ProposalKind.RULES:
            apply_rules_change(proposal)
        log(
            instance=proposal,
            action="bec.proposal.decide",
            user=None,
            data={"outcome": decision.outcome, "sequence": decision.sequence},
        )
        _after_commit("notify_decided", decision.pk)
    proposal_decided.send(sender=Proposal, proposal=proposal, decision=decision)
    return decision


def close_due_proposals() -> int:
    """Close every due proposal; returns how many decisions were recorded.

    What a decision then does to a workflow waiting on it is the caller's next step
    (`commons.tasks.close_due`): actions sit below `commons.workflow` and never call up into it.
    """
    closed = 0
    for proposal_id in Proposal.objects.due().order_by("closes_at", "pk").values_list("pk", flat=True):
        if close_proposal(proposal_id) is not None:
            closed += 1
    return closed


def close_if_due(proposal: Proposal) -> Proposal:
    """Lazy closing when a due proposal is viewed: nothing has to run on time for deadlines to hold."""
    if proposal.is_due:
        close_proposal(proposal.pk)
        proposal.refresh_from_db()
    return proposal


def verify_chain(decisions: Sequence[Decision]) -> Decision | None:
    """The first decision whose hash or link to its predecessor does not check out, or None.

    `decisions` are one bureau's, in sequence order.
    """
    previous_hash = ""
    expected_sequence = 1
    for decision in decisions:
        if (
            decision.sequence != expected_sequence
            or decision.previous_hash != previous_hash
            or hash_decision(decision) != decision.hash
        ):
            return decision
        previous_hash = decision.hash
        expected_sequence += 1
    return None


def _after_commit(function_name: str, pk: int) -> None:
    """Send notifications once the transaction has committed (never for a rolled-back change).

    `robust`: the change is already committed, so a mail failure is logged rather than raised; it must
    not turn an opened vote into an error page nor stop `close_due_proposals` half-way.
    """
    transaction.on_commit(lambda: getattr(notifications, function_name)(pk), robust=True)
