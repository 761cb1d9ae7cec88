"""Governance emails: a vote opens, a vote closes soon and you have not voted, a vote is decided.

Sent through Django's mail (the console in the demo), to members who have not opted out
(`MemberProfile.email_notifications`). One message per person, so addresses are never shared.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.mail import get_connection, send_mass_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import override

from .emails import render_email, site_url
from .models import Decision, Membership, Proposal
from .models.governance import Status

REMINDER_BEFORE = timedelta(hours=24)


def _recipients(memberships) -> list[str]:
    """Emails of active members who accept notifications (members without a profile accept by default)."""
    return [
        m.user.email
        for m in memberships.select_related("user", "user__bec_profile")
        if m.user.email and getattr(getattr(m.user, "bec_profile", None), "email_notifications", True)
    ]


def _send(template: str, context: dict, emails: list[str]) -> int:
    if not emails:
        return 0
    with override("fr"):
        subject, body = render_email(f"commons/email/{template}", context)
    messages = [(subject, body, None, [email]) for email in emails]
    return send_mass_mail(messages, fail_silently=False, connection=get_connection())


def _link(proposal: Proposal) -> str:
    return site_url(proposal.bureau.url + f"proposals/{proposal.pk}/")


def notify_opened(proposal_id: int) -> int:
    proposal = Proposal.objects.select_related("bureau", "rule").get(pk=proposal_id)
    members = Membership.objects.active().filter(bureau_id=proposal.bureau_id)
    if proposal.concerned_user_id is not None:  # told by `notify_concerned`, not asked to vote
        members = members.exclude(user_id=proposal.concerned_user_id)
    emails = _recipients(members)
    return _send("proposal_opened", {"proposal": proposal, "link": _link(proposal)}, emails)


def notify_concerned(proposal_id: int) -> int:
    """The person a membership proposal is about is told it is open, whatever their email settings:
    they may comment (they do not vote on their own case)."""
    proposal = Proposal.objects.select_related("bureau").get(pk=proposal_id)
    user = get_user_model().objects.filter(pk=proposal.concerned_user_id).first()
    if user is None or not user.email:
        return 0
    return _send("proposal_concerns_you", {"proposal": proposal, "link": _link(proposal)}, [user.email])


def notify_decided(decision_id: int) -> int:
    decision = Decision.objects.select_related("proposal", "proposal__bureau").get(pk=decision_id)
    proposal = decision.proposal
    emails = _recipients(Membership.objects.active().filter(bureau_id=proposal.bureau_id))
    return _send(
        "proposal_decided", {"proposal": proposal, "decision": decision, "link": _link(proposal)}, emails
    )


def send_vote_reminders() -> int:
    """Remind electors who have not voted, once per proposal, when less than 24 hours remain."""
    now = timezone.now()
    sent = 0
    due_soon = Proposal.objects.filter(
        status=Status.OPEN,
        reminder_sent_at__isnull=True,
        closes_at__gt=now,
        closes_at__lte=now + REMINDER_BEFORE,
    )
    for proposal_id in due_soon.values_list("pk", flat=True):
        with transaction.atomic():
            proposal = (
                Proposal.objects.select_for_update()
                .select_related("bureau")
                .filter(pk=proposal_id, reminder_sent_at__isnull=True)
                .first()
            )
            if proposal is None:
                continue
            voted = proposal.ballots.values("voter_id")
            pending = Membership.objects.active().filter(
                bureau_id=proposal.bureau_id,
                user__in=proposal.electors.exclude(user__in=voted).values("user"),
            )
            sent += _send(
                "vote_reminder", {"proposal": proposal, "link": _link(proposal)}, _recipients(pending)
            )
            proposal.reminder_sent_at = now
            proposal.save(update_fields=["reminder_sent_at"])
    return sent

