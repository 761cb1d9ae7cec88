"""Governance emails: a vote opens, a vote closes soon and you have not voted, a vote is decided.

Mail goes to `django.core.mail.outbox` (locmem backend in the test settings). Opening and deciding
send after the commit: `django_capture_on_commit_callbacks(execute=True)` runs the callbacks that a
real commit would run, and none of those registered in a block that was rolled back.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import timedelta
from smtplib import SMTPException
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, override

from commons import actions
from commons.models import DecisionRule, Membership, Proposal, Role
from commons.notifications import send_vote_reminders
from participants.models import MemberProfile

_names = itertools.count(1)


@contextmanager
def at(moment):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def open_vote(bureau, author, *, hours=72, title=None) -> Proposal:
    rule = DecisionRule.objects.create(bureau=bureau, name=f"Règle {next(_names)}", method="majority")
    proposal = actions.create_proposal(
        bureau, author, title=title or f"Proposition {next(_names)}", body="Texte.", rule=rule
    )
    return actions.open_proposal(proposal, author, closes_at=timezone.now() + timedelta(hours=hours))


def french(msgid: str, **values) -> str:
    """What the French catalogue makes of `msgid` (the msgid itself while catalogues are not compiled)."""
    with override("fr"):
        return gettext(msgid) % values


def link_to(proposal: Proposal) -> str:
    return f"http://testserver{proposal.bureau.url}proposals/{proposal.pk}/"


def recipients() -> list[str]:
    for message in mail.outbox:
        assert len(message.to) == 1 and not message.cc and not message.bcc, "one person per message"
    return sorted(message.to[0] for message in mail.outbox)


@pytest.fixture
def crowd(bureau, other_bureau, make_person) -> dict:
    """Everyone whose inbox matters: who gets mail and who must not."""
    opted_out = make_person(bureau, Role.MEMBER)
    MemberProfile.objects.filter(user=opted_out).update(email_notifications=False)
    no_profile = get_user_model().objects.create_user(username="sans-profil", email="sans-profil@example.org")
    Membership.objects.create(user=no_profile, bureau=bureau, role=Role.MEMBER, college=bureau.colleges.first())
    former = make_person(bureau, Role.MEMBER)
    Membership.objects.filter(user=former).update(left_at=timezone.now())
    return {
        "coordinator": make_person(bureau, Role.COORDINATOR),
        "member": make_person(bureau, Role.MEMBER),
        "observer": make_person(bureau, Role.OBSERVER),
        "no_profile": no_profile,
        "opted_out": opted_out,
        "former": former,
        "elsewhere": make_person(other_bureau, Role.MEMBER),
    }


def emails(crowd: dict, *keys: str) -> list[str]:
    return sorted(crowd[key].email for key in keys)


def test_opening_emails_every_active_member_once_after_the_commit(bureau, crowd,
                                                                   django_capture_on_commit_callbacks):
    with override("en"), django_capture_on_commit_callbacks(execute=True) as callbacks:
        proposal = open_vote(bureau, crowd["coordinator"], title="Adopter le protocole v2")
        assert mail.outbox == []  # nothing leaves before the commit

    # One notification after the commit (the caches renew their tokens after the commit too).
    caches = ("commons.page_cache", "participants.permission_cache")
    assert len([callback for callback in callbacks if callback.__module__ not in caches]) == 1
    assert recipients() == emails(crowd, "coordinator", "member", "observer", "no_profile")
    for message in mail.outbox:
        # Rendered in French whatever the language of the person who opened the vote.
        assert message.subject == french("Vote open: %(title)s", title="Adopter le protocole v2")
        assert link_to(proposal) in message.body
        assert "Adopter le protocole v2" in message.body


def test_no_email_when_the_opening_is_rolled_back(bureau, crowd, django_capture_on_commit_callbacks):
    proposal = actions.create_proposal(
        bureau, crowd["coordinator"], title="Annulée", body="Texte.",
        rule=DecisionRule.objects.create(bureau=bureau, name="Majorité", method="majority"),
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            actions.open_proposal(proposal, crowd["coordinator"])
            raise RuntimeError("something later in the same request failed")
    assert callbacks == []
    assert mail.outbox == []
    proposal.refresh_from_db()
    assert proposal.status == "draft"


def test_reminders_go_once_to_electors_who_have_not_voted_in_the_last_24_hours(bureau, crowd, make_person):
    proposal = open_vote(bureau, crowd["coordinator"], hours=72, title="Publier le rapport")
    actions.cast_ballot(proposal, crowd["member"], choice="for")
    make_person(bureau, Role.MEMBER)  # joined after opening: not an elector
    Membership.objects.filter(user=crowd["no_profile"]).update(left_at=timezone.now())  # elector who left
    closes_at = proposal.closes_at

    assert send_vote_reminders() == 0  # three days left
    with at(closes_at - timedelta(hours=25)):
        assert send_vote_reminders() == 0
    assert mail.outbox == []

    with at(closes_at - timedelta(hours=23)):
        assert send_vote_reminders() == 1
        assert send_vote_reminders() == 0  # only once
    # Not the voter, the observer, the opted-out elector, the late joiner nor the elector who left.
    assert recipients() == emails(crowd, "coordinator")
    (message,) = mail.outbox
    assert message.subject == french("Less than 24 hours to vote: %(title)s", title="Publier le rapport")
    assert link_to(proposal) in message.body
    proposal.refresh_from_db()
    assert proposal.reminder_sent_at == closes_at - timedelta(hours=23)

    with at(closes_at + timedelta(seconds=1)):  # due: no reminder for a vote that is over
        Proposal.objects.filter(pk=proposal.pk).update(reminder_sent_at=None)
        assert send_vote_reminders() == 0


def test_extending_a_vote_rearms_its_reminder(bureau, crowd):
    proposal = open_vote(bureau, crowd["coordinator"], hours=20)
    assert send_vote_reminders() == 3  # coordinator, member, member without profile
    new_closes_at = proposal.closes_at + timedelta(days=2)
    actions.extend_proposal(proposal, crowd["coordinator"], new_closes_at)
    actions.cast_ballot(proposal, crowd["coordinator"], choice="for")
    mail.outbox.clear()

    assert send_vote_reminders() == 0  # the new deadline is more than 24 hours away
    with at(new_closes_at - timedelta(hours=1)):
        assert send_vote_reminders() == 2
    assert recipients() == emails(crowd, "member", "no_profile")


@pytest.mark.parametrize("choice, outcome, subject_msgid, body_msgid", [
    ("for", "adopted", "Adopted: %(title)s", "The proposal is adopted."),
    ("against", "rejected", "Rejected: %(title)s", "The proposal is rejected."),
])
def test_the_decision_is_emailed_with_its_outcome(bureau, crowd, django_capture_on_commit_callbacks,
                                                  choice, outcome, subject_msgid, body_msgid):
    proposal = open_vote(bureau, crowd["coordinator"], title="Changer le livre de codes")
    actions.cast_ballot(proposal, crowd["member"], choice=choice)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with at(proposal.closes_at + timedelta(minutes=1)):
            decision = actions.close_proposal(proposal.pk)
        assert mail.outbox == []
    assert decision.outcome == outcome
    caches = ("commons.page_cache", "participants.permission_cache")
    assert len([callback for callback in callbacks if callback.__module__ not in caches]) == 1

    assert recipients() == emails(crowd, "coordinator", "member", "observer", "no_profile")
    for message in mail.outbox:
        assert message.subject == french(subject_msgid, title="Changer le livre de codes")
        assert french(body_msgid) in message.body
        assert link_to(proposal) in message.body

    # Closing again records nothing and mails nobody.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with at(proposal.closes_at + timedelta(minutes=2)):
            assert actions.close_proposal(proposal.pk) == decision
    assert callbacks == [] and mail.outbox == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_mail_failure_neither_undoes_nor_fails_the_action(bureau, make_person, caplog):
    """Real commits: the emails go out after them, and a mail server that is down must not turn a vote that
    did open (or a decision that was recorded) into an error, nor stop `close_due_proposals` half-way."""
    coordinator = make_person(bureau, Role.COORDINATOR)
    with mock.patch("commons.notifications.send_mass_mail", side_effect=SMTPException("mail server down")):
        proposals = [open_vote(bureau, coordinator, hours=1) for _ in range(2)]
        with at(timezone.now() + timedelta(hours=2)):
            assert actions.close_due_proposals() == 2
    assert {p.status for p in Proposal.objects.filter(pk__in=[p.pk for p in proposals])} == {"rejected"}
    assert "mail server down" in caplog.text
