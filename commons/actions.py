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
from wagtail import hooks
from wagtail.log_actions import log
from wagtail.models import Page

from participants.models import display_name
from participants.text import is_blank, visible

from . import changes, notifications, voting
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
    Proxy,
)
from .models.governance import (
    BALLOT_REASON_MAX,
    CHAIN_FORMAT,
    GRADE_SCALE,
    OPTION_KINDS,
    PROPOSAL_TITLE_MAX,
    SWITCH_KINDS,
    TARGETED_KINDS,
    BallotChoice,
    Method,
    ProposalKind,
    Status,
)
from .models.proxies import effective_proxies
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
    if kind in TARGETED_KINDS and target is None:
        raise GovernanceError(_("This kind of proposal is made from the object it acts on."))
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
        if rule_id is None and proposed_kind in SWITCH_KINDS:
            table[proposed_kind] = None  # take the area out of governance: remove the line
            continue
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
    A rule deleted meanwhile is skipped (its line keeps the rule in force). A `None` for a kind of
    `SWITCH_KINDS` removes its line: that area (codebook, membership) is free again.
    """
    rules = set(DecisionRule.objects.filter(bureau_id=proposal.bureau_id).values_list("pk", flat=True))
    for kind, rule_id in proposal.proposed_rules.items():
        if rule_id is None and kind in SWITCH_KINDS:
            KindRule.objects.filter(bureau_id=proposal.bureau_id, kind=kind).delete()
        elif kind in ProposalKind.values and rule_id in rules:
            KindRule.objects.update_or_create(
                bureau_id=proposal.bureau_id, kind=kind, defaults={"rule_id": rule_id}
            )


# --- Changes carried by a proposal (codebook, membership: `commons.changes`) -------------------


@transaction.atomic
def propose_change(
    bureau: BureauPage, author, *, kind: str, payload: Mapping, title: str, body: str = "", target=None
) -> Proposal:
    """A governed change becomes a proposal carrying it exactly: checked now, applied on adoption.

    Refused when the bureau's table has no line for the kind (the area is not under governance: the
    caller applies the change directly), when no app registered the kind's applier, or when the
    applier's `check` refuses the change (its message is the refusal). The proposal opens at once
    when its author runs votes (a coordinator), otherwise it waits as a draft for a coordinator.
    """
    from .permissions import can_run_votes

    applier = changes.applier_for(kind)
    if kind not in SWITCH_KINDS or applier is None:
        raise GovernanceError(_("This kind of proposal carries no change."))
    if not changes.is_governed(bureau.pk, kind):
        raise GovernanceError(_("This bureau does not put this kind of change to the vote."))
    try:
        cleaned = applier.check(bureau, author, dict(payload))
    except changes.ChangeError as error:
        raise GovernanceError(str(error)) from error
    proposal = create_proposal(bureau, author, title=title, body=body or title, kind=kind, target=target)
    proposal.payload = cleaned
    proposal.save(update_fields=["payload"])
    log(instance=proposal, action="bec.proposal.change", user=author, data={"payload": cleaned})
    if can_run_votes(author, bureau):
        open_proposal(proposal, author)
        proposal.refresh_from_db()
    return proposal


def apply_carried_change(proposal: Proposal) -> None:
    """An adopted proposal's change, applied in the closing transaction (inside a savepoint).

    The decision is recorded whatever happens here: a change that no longer applies (its code was
    merged away meanwhile, the invited address joined…) is kept as « not applicable », with why,
    beside the decision; it never rolls the decision back nor raises.
    """
    applier = changes.applier_for(proposal.kind)
    if applier is None:
        result = {"status": "not_applicable", "message": _("No application knows how to apply this change.")}
    else:
        try:
            with transaction.atomic():
                result = {"status": "applied", "message": applier.apply(proposal)}
        except changes.ChangeError as error:
            result = {"status": "not_applicable", "message": str(error)}
    proposal.change_result = result
    proposal.save(update_fields=["change_result"])
    log(instance=proposal, action="bec.proposal.apply", user=None, data=result)


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
        Membership.objects.voting()
        .filter(bureau_id=proposal.bureau_id)
        .exclude(user_id=proposal.concerned_user_id)  # nobody votes on their own case
        .select_related("college", "user")
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
    if proposal.concerned_user_id is not None:
        _after_commit("notify_concerned", proposal.pk)
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
    proposal: Proposal,
    voter,
    *,
    choice: str = "",
    reason: str = "",
    grades: Mapping[str, str] | None = None,
    on_behalf_of=None,
) -> Ballot:
    """Cast or change the voter's ballot. Refused after the deadline even if nothing has closed the vote.

    With `on_behalf_of` (a member who gave `voter` a proxy), the ballot is that member's, cast by
    `voter` (`Ballot.cast_by`): it counts once, as the member's own. A member's own ballot always
    replaces a ballot cast for them, and once they have voted themselves nobody votes for them.
    """
    for attempt in range(3):
        try:
            return _cast_ballot(proposal.pk, voter, choice, reason, grades, on_behalf_of)
        except IntegrityError:  # a concurrent first ballot of the same voter: retry as a change
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def _cast_ballot(proposal_id: int, voter, choice: str, reason: str, grades, on_behalf_of=None) -> Ballot:
    # Locking the proposal serialises ballots with closing: no ballot can land after a close.
    proposal = Proposal.objects.select_for_update(of=("self",)).select_related("rule").get(pk=proposal_id)
    if proposal.status == Status.WITHDRAWN:
        raise GovernanceError(_("This proposal has been withdrawn."))
    # One clock reading decides *and* dates the ballot: accepted before the deadline means recorded
    # before it, so no ballot of a decided vote carries a time at or after its close.
    now = timezone.now()
    if not proposal.accepts_ballots_at(now):
        raise GovernanceError(_("The vote is closed."))
    if proposal.concerned_user_id is not None and proposal.concerned_user_id == voter.pk:
        raise GovernanceError(
            _("This proposal is about you: you may comment on it, but you do not vote on your own case.")
        )
    if not Elector.objects.filter(proposal=proposal, user=voter).exists():
        raise GovernanceError(
            _("You are not in the electorate of this vote (it was fixed when the vote opened).")
        )
    data = _validate_ballot(proposal, choice, reason, grades)
    cast_by = None
    if on_behalf_of is not None and on_behalf_of.pk != voter.pk:
        _check_proxy_use(proposal, voter, on_behalf_of)
        cast_by, voter = voter, on_behalf_of
    ballot = Ballot.objects.select_for_update().filter(proposal=proposal, voter=voter).first()
    if ballot is None:
        with transaction.atomic():
            ballot = Ballot.objects.create(
                proposal=proposal, voter=voter, cast_at=now, updated_at=now, cast_by=cast_by, **data
            )
    else:
        for key, value in data.items():
            setattr(ballot, key, value)
        ballot.updated_at, ballot.cast_by = now, cast_by
        ballot.save(update_fields=[*data, "updated_at", "cast_by"])
    BallotChange.objects.create(proposal=proposal, voter=voter, at=now, cast_by=cast_by, **data)
    if cast_by is not None:
        log(instance=proposal, action="bec.proxy.use", user=cast_by, data={"for": voter.pk})
    if Ballot.objects.filter(proposal=proposal).count() >= Elector.objects.filter(proposal=proposal).count():
        # The whole electorate has voted: the vote ends now, and is decided as at a deadline (the
        # vote page closes it at once; `close_due_proposals` otherwise).
        proposal.closes_at = proposal.closed_early_at = now
        proposal.save(update_fields=["closes_at", "closed_early_at"])
        log(instance=proposal, action="bec.proposal.everyone_voted", user=None)
    return ballot


def _check_proxy_use(proposal: Proposal, holder, member) -> None:
    """May `holder` vote for `member` on this (locked) proposal? Raises the reason if not.

    Runs under the proposal's row lock, so two ballots of one holder cannot both pass the limit.
    """
    colleges = dict(
        Elector.objects.filter(proposal=proposal, user_id__in=(holder.pk, member.pk)).values_list(
            "user_id", "college"
        )
    )
    proxy = effective_proxies(Proxy.objects.applying_to(proposal).filter(giver=member)).get(member.pk)
    if member.pk not in colleges or proxy is None or proxy.holder_id != holder.pk:
        raise GovernanceError(
            _("You hold no proxy from %(name)s for this vote.") % {"name": display_name(member)}
        )
    if colleges[member.pk] != colleges[holder.pk]:
        raise GovernanceError(_("A proxy is only used within one college."))
    existing = list(
        Ballot.objects.filter(proposal=proposal, voter=member).values_list("cast_by_id", flat=True)
    )
    if existing and existing[0] is None:
        raise GovernanceError(
            _("%(name)s has voted themselves: the proxy no longer applies to this vote.")
            % {"name": display_name(member)}
        )
    limit = proposal.rule.max_proxies_per_holder
    used = Ballot.objects.filter(proposal=proposal, cast_by=holder).exclude(voter=member).count()
    if used >= limit:
        raise GovernanceError(
            _("The rule lets one member carry at most %(limit)s proxies in a vote.") % {"limit": limit}
        )


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
    own = [
        voting.Ballot(voter=str(b.voter_id), choice=b.choice, college=electors.get(b.voter_id) or None)
        for b in ballots
        if b.cast_by_id is None
    ]
    by_proxy = [
        voting.ProxyBallot(
            voter=str(b.voter_id),
            holder=str(b.cast_by_id),
            choice=b.choice,
            college=electors.get(b.voter_id) or None,
            holder_college=electors.get(b.cast_by_id) or None,
        )
        for b in ballots
        if b.cast_by_id is not None
    ]
    outcome = voting.decide(
        rule.method,
        voting.resolve_proxies(own, by_proxy, rule.max_proxies_per_holder),
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

    Chain format 2 (`CHAIN_FORMAT`, migration 0010): the payload says its format and holds no
    personal data the platform writes — ids, codes, counts, dates, the rule, the bureau's title of
    the question — so erasing a member never touches a hashed field. Format 1 also hashed the name
    of a coordinator who closed a vote early; 0010 verified the format-1 chains, then re-hashed them.
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
    if decision.proxies:  # absent from decisions without proxies (and all those before them)
        payload["proxies"] = decision.proxies
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
            proxies=_proxy_record(proposal),
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
        if decision.adopted and proposal.payload:
            apply_carried_change(proposal)
        if decision.adopted:
            _apply_adopted(proposal, decision)
        log(
            instance=proposal,
            action="bec.proposal.decide",
            user=None,
            data={"outcome": decision.outcome, "sequence": decision.sequence},
        )
        _after_commit("notify_decided", decision.pk)
    proposal_decided.send(sender=Proposal, proposal=proposal, decision=decision)
    return decision


def _proxy_record(proposal: Proposal) -> dict:
    """Proxies on a closing vote, as the register keeps them: {"given": n, "used": n}, or {} if none.

    Given: the proxies that applied to the vote at its close, between two of its electors (a proxy
    whose member voted themselves was given, but not used). Used: ballots cast by a holder.
    """
    electors = set(proposal.electors.values_list("user_id", flat=True))
    applying = effective_proxies(Proxy.objects.applying_to(proposal).filter(given_at__lte=proposal.closes_at))
    given = sum(1 for p in applying.values() if p.giver_id in electors and p.holder_id in electors)
    used = proposal.ballots.filter(cast_by__isnull=False).count()
    if not given and not used:
        return {}
    return {"given": max(given, used), "used": used}


#: Hook name: `fn(proposal, decision)`, run inside the closing transaction (under its locks) when a
#: proposal is adopted: what adoption does in the apps above `commons` (`studies` registers a protocol
#: version on an adopted « registration »). An exception rolls the decision back with it.
ADOPTED_HOOK = "bec_apply_adopted"


def _apply_adopted(proposal: Proposal, decision: Decision) -> None:
    for apply in hooks.get_hooks(ADOPTED_HOOK):
        apply(proposal, decision)


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


# --- Proxies ------------------------------------------------------------------------------------


@transaction.atomic
def give_proxy(bureau: BureauPage, giver, holder, proposal: Proposal | None = None) -> Proxy:
    """`giver` lets `holder` vote for them: on `proposal`, or on every vote until revoked.

    Both must be voting members of the bureau and of the same college (a proxy never moves a vote
    between colleges), and the holder may carry no more proxies than the rule allows
    (`DecisionRule.max_proxies_per_holder`: the proposal's rule, or the bureau's default rule for a
    standing proxy). A new proxy replaces the member's previous one of the same scope. The
    holder's membership row is locked, so concurrent proxies to one holder cannot pass the limit.
    """
    if holder is None or giver.pk == holder.pk:
        raise GovernanceError(_("You cannot give a proxy to yourself."))
    memberships = {
        m.user_id: m
        for m in Membership.objects.voting()
        .filter(bureau=bureau, user_id__in=(giver.pk, holder.pk))
        .order_by("pk")
        .select_for_update()
    }
    if giver.pk not in memberships:
        raise GovernanceError(_("Only a voting member gives a proxy."))
    if holder.pk not in memberships:
        raise GovernanceError(
            _("%(name)s is not a voting member of the bureau: they cannot hold a proxy.")
            % {"name": display_name(holder)}
        )
    if memberships[giver.pk].college_id != memberships[holder.pk].college_id:
        raise GovernanceError(_("A proxy is given to a member of your own college."))
    if proposal is not None:
        proposal = Proposal.objects.select_for_update(of=("self",)).select_related("rule").get(pk=proposal.pk)
        _check_proxy_proposal(bureau, proposal, giver, holder)
        rule = proposal.rule
    else:
        rule = DecisionRule.objects.filter(bureau=bureau, is_default=True).first()
        if rule is None:
            raise GovernanceError(_("This bureau has no default decision rule."))
    limit = rule.max_proxies_per_holder
    if limit == 0:
        raise GovernanceError(_("The decision rule allows no proxy."))
    held = Proxy.objects.active().filter(bureau=bureau, holder=holder).exclude(giver=giver)
    held = held.filter(proposal__isnull=True) if proposal is None else held.applying_to(proposal)
    if len(effective_proxies(held)) >= limit:
        raise GovernanceError(
            _("%(name)s already carries %(limit)s proxies, the most the rule allows.")
            % {"name": display_name(holder), "limit": limit}
        )
    now = timezone.now()
    Proxy.objects.active().filter(bureau=bureau, giver=giver, proposal=proposal).update(revoked_at=now)
    proxy = Proxy.objects.create(bureau=bureau, giver=giver, holder=holder, proposal=proposal, given_at=now)
    log(
        instance=bureau,
        action="bec.proxy.give",
        user=giver,
        data={"holder": holder.pk, "proposal": proposal.pk if proposal else None},
    )
    return proxy


def _check_proxy_proposal(bureau: BureauPage, proposal: Proposal, giver, holder) -> None:
    """A proxy for one vote: a vote of this bureau still to come or running, with both electors."""
    if proposal.bureau_id != bureau.pk:
        raise GovernanceError(_("This proposal belongs to another bureau."))
    if proposal.status == Status.DRAFT:
        return  # the electorate is fixed at the opening; the proxy applies if both are in it
    if not proposal.accepts_ballots:
        raise GovernanceError(_("The vote is closed."))
    electors = set(
        Elector.objects.filter(proposal=proposal, user_id__in=(giver.pk, holder.pk)).values_list(
            "user_id", flat=True
        )
    )
    if giver.pk not in electors:
        raise GovernanceError(
            _("You are not in the electorate of this vote (it was fixed when the vote opened).")
        )
    if holder.pk not in electors:
        raise GovernanceError(
            _("%(name)s is not in the electorate of this vote.") % {"name": display_name(holder)}
        )
    if Ballot.objects.filter(proposal=proposal, voter=giver, cast_by__isnull=True).exists():
        raise GovernanceError(_("You have voted yourself on this proposal: a proxy would not apply."))


@transaction.atomic
def revoke_proxy(proxy: Proxy, by) -> Proxy:
    """The member who gave a proxy takes it back; the holder can no longer vote for them.

    A ballot the holder already cast stays as cast (as a paper proxy used at an assembly); the
    member replaces it by voting themselves while the vote runs.
    """
    proxy = Proxy.objects.select_for_update().get(pk=proxy.pk)
    if by is None or proxy.giver_id != by.pk:
        raise GovernanceError(_("Only the member who gave a proxy revokes it."))
    if proxy.revoked_at is not None:
        raise GovernanceError(_("This proxy is already revoked."))
    proxy.revoked_at = timezone.now()
    proxy.save(update_fields=["revoked_at"])
    log(instance=proxy.bureau, action="bec.proxy.revoke", user=by, data={"proxy": proxy.pk})
    return proxy
