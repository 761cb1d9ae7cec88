"""Leave and be forgotten (issue 16, item 2), end to end: ask, coordinators told, confirm, erased.

The subject has ballots (in decided and running votes), a comment, a proposal, an early close of a
vote (as a coordinator), observations, an interview, coded excerpts, memos, a published protocol
version, an invitation sent and the one that brought them in. After the erasure their email, name
and username are found in no text column of any table; tallies and every decision hash are
unchanged and the register verifies; their traces read « membre parti·e n° N ».
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override
from wagtail.models import Comment as PageComment
from wagtail.models import ModelLogEntry

from commons import actions
from commons.models import (
    Ballot,
    BallotChange,
    Comment,
    Decision,
    Elector,
    Invitation,
    Membership,
    Proposal,
    Role,
)
from participants.leaving import ERASE_ACTION, LeavingError, erase_member, member_erasure_plan
from participants.models import LeaveRequest, MemberProfile, display_name
from studies.models import Excerpt, Memo, Observation, ProtocolPage
from tests.conftest import client_for, count_queries
from tests.participants.test_data_export import _fill

LEAVE = "/accounts/profile/leave/"
EMAIL = "zephyrine.marqueur@example.org"
NAME = "Zéphyrine Marqueur"
USERNAME = "zephyrine-marqueur"
DEPARTED = "membre parti·e n° 1"


def _subject(make_person, bureau, *, role=Role.MEMBER, email=EMAIL, name=NAME, username=USERNAME):
    user = make_person(bureau, role, email=email)
    user.username = username
    user.first_name, user.last_name = name.split(" ", 1)
    user.save()
    MemberProfile.objects.filter(user=user).update(display_name=name, organisation="Coop Marqueur")
    return get_user_model().objects.get(pk=user.pk)


def _decide(proposal, by):
    """Close a running vote now (a coordinator's early close, the rule's delay set to none)."""
    proposal.rule.min_days_before_early_close = 0
    proposal.rule.save()
    return actions.close_early(proposal, by=by, reason="Décision nécessaire avant la réunion.")


def _erase_url(bureau, membership) -> str:
    return bureau.url + bureau.reverse_subpage("confirm_erasure", kwargs={"membership_id": membership.pk})


def _rows_with(text: str) -> list[str]:
    """Every (table.column) whose text holds `text`, across the whole database."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                qn = connection.ops.quote_name
                cursor.execute(
                    f"SELECT COUNT(*) FROM {qn(table)} WHERE LOWER(CAST({qn(column.name)} AS TEXT)) LIKE %s",
                    [f"%{text.lower()}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column.name}")
    return found


@pytest.fixture
def scene(bureau, study, make_person, make_collective):
    subject = _subject(make_person, bureau)
    world = _fill(bureau, study, make_person, make_collective, subject)
    coordinator = world.other
    Membership.objects.filter(user=subject).update(role=Role.COORDINATOR)  # two coordinators now
    Invitation.issue(email=EMAIL, bureau=bureau, role=Role.MEMBER, invited_by=coordinator,
                     accepted_at=timezone.now(), accepted_by=subject)
    Authenticator.objects.create(user=subject, type=Authenticator.Type.TOTP, data={"secret": "x"})
    running = Proposal.objects.get(title="Proposition 0 du sujet")
    protocol = ProtocolPage.objects.child_of(study).get()
    PageComment.objects.create(page=protocol, user=subject, contentpath="title",
                               text="Relecture de Zéphyrine : à reprendre.")
    make_person(bureau, Role.MEMBER, email="abstention@example.org")  # so that the vote stays open
    decided = actions.create_proposal(bureau, coordinator, title="Budget", body="Un budget.")
    actions.open_proposal(decided, by=coordinator)
    actions.cast_ballot(decided, subject, choice="against", reason="Trop cher")
    actions.cast_ballot(decided, coordinator, choice="for")
    _decide(decided, subject)  # closed early by the subject: format 1 would have hashed their name
    return {"subject": subject, "coordinator": coordinator, "running": running, "decided": decided,
            "bureau": bureau, "study": study}


def test_leaving_end_to_end(scene, client, django_capture_on_commit_callbacks):
    subject, coordinator, bureau = scene["subject"], scene["coordinator"], scene["bureau"]
    decisions_before = list(Decision.objects.order_by("pk").values_list("pk", "hash", "counts", "ballots_cast"))
    tallies_before = {p.pk: actions.tally(p) for p in Proposal.objects.all()}
    assert subject.groups.exists()  # a coordinator: in the bureau's admin groups
    ballots, changes, electors = (Ballot.objects.count(), BallotChange.objects.count(), Elector.objects.count())
    observation = Observation.objects.get(observer=subject, title="Note 0")
    assert {"auth_user.email", "account_emailaddress.email"} <= set(_rows_with(EMAIL))  # the scan sees
    assert "participants_memberprofile.display_name" in _rows_with(NAME)

    # The member asks, from their profile.
    member = client_for(Client(), subject)
    profile = member.get(reverse("participants_profile")).content.decode()
    assert f'href="{LEAVE}"' in profile and "Quitter la plateforme et effacer mon compte" in profile
    page = member.get(LEAVE)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Ce qui reste, sans votre nom" in body and "commentaire retiré" in body
    assert not LeaveRequest.objects.exists()  # GET changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        assert member.post(LEAVE, {"action": "ask"}).status_code == 302
    assert LeaveRequest.objects.filter(user=subject).exists()
    [email] = mail.outbox
    assert email.to == [coordinator.email] and NAME in email.body and "/members/#leaving" in email.body
    assert ModelLogEntry.objects.filter(action="bec.member.leave_request").count() == 1

    # The coordinator sees the request on the members page and confirms.
    coordinating = client_for(Client(), coordinator)
    members = coordinating.get(bureau.url + "members/").content.decode()
    membership = Membership.objects.get(user=subject, bureau=bureau)
    url = _erase_url(bureau, membership)
    assert 'id="leaving"' in members and f'href="{url}"' in members
    confirm = coordinating.get(url)
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert f'action="{url}"' in text and 'method="post"' in text
    assert "Ce qui reste, sans son nom" in text and "Ses votes restent comptés" in text
    assert "Votes gardés sous l&#x27;étiquette de membre parti·e</th><td class=\"num\">2<" in text
    assert get_user_model().objects.filter(pk=subject.pk).exists()  # GET changes nothing
    response = coordinating.post(url)
    assert response.status_code == 302

    # The account is gone: login, addresses, profile, sessions, request.
    User = get_user_model()
    assert not User.objects.filter(pk=subject.pk).exists()
    assert not User.objects.filter(email__iexact=EMAIL).exists()
    assert not EmailAddress.objects.filter(email__iexact=EMAIL).exists()
    assert not LeaveRequest.objects.exists()
    assert not Authenticator.objects.exists()
    assert member.get(reverse("participants_profile")).status_code == 302  # signed out everywhere
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(subject.pk)]
    for trace in (EMAIL, NAME, USERNAME, "Coop Marqueur", "Zéphyrine"):
        assert _rows_with(trace) == [], trace

    # Everything counted stays counted; the register still verifies, hash for hash.
    assert list(Decision.objects.order_by("pk").values_list("pk", "hash", "counts", "ballots_cast")) == decisions_before
    assert {p.pk: actions.tally(p) for p in Proposal.objects.all()} == tallies_before
    assert (Ballot.objects.count(), BallotChange.objects.count(), Elector.objects.count()) == (ballots, changes, electors)
    out = StringIO()
    call_command("verify_decisions", stdout=out)
    assert "intact" in out.getvalue()

    # Their traces read « membre parti·e n° 1 ».
    stand_in = User.objects.get(bec_profile__departed_number=1)
    assert not stand_in.is_active and not stand_in.has_usable_password() and stand_in.email == ""
    assert not stand_in.groups.exists() and not stand_in.user_permissions.exists()  # no right inherited
    with override("fr"):
        assert display_name(stand_in) == DEPARTED
    assert Ballot.objects.filter(voter=stand_in).count() == 2
    observation.refresh_from_db()
    assert observation.observer == stand_in
    assert Excerpt.objects.filter(coder=stand_in).exists() and Memo.objects.filter(author=stand_in).exists()
    assert not Membership.objects.active().filter(user=stand_in).exists()
    running = scene["running"]
    detail = coordinating.get(bureau.url + f"proposals/{running.pk}/").content.decode()
    assert f"Proposée par {DEPARTED}" in detail.replace("Proposé par", "Proposée par")
    assert "commentaire retiré" in detail and "mon commentaire" not in detail
    assert Comment.objects.filter(author=stand_in, body="").count() == 1
    assert list(PageComment.objects.filter(user=stand_in).values_list("text", flat=True)) == ["commentaire retiré"]
    register = Client().get(bureau.url + "decisions/").content.decode()
    assert DEPARTED in register
    study = scene["study"]
    response = coordinating.get(study.url + "exchange/observations/csv/")
    exported = b"".join(response.streaming_content).decode("utf-8-sig")
    assert DEPARTED in exported
    note = coordinating.get(study.url + f"observations/{observation.pk}/").content.decode()
    assert DEPARTED in note

    # A vote not yet closed when they left (everyone had voted) closes with their ballot counted.
    decision = actions.close_proposal(running.pk)
    assert decision.ballots_cast == 2 and decision.counts["for"] == 1 and decision.counts["against"] == 1
    call_command("verify_decisions", stdout=StringIO())

    # Logged without personal content.
    entry = ModelLogEntry.objects.get(action=ERASE_ACTION)
    assert entry.user_id == coordinator.pk and entry.data["departed_number"] == 1


def test_coordinators_of_each_bureau_are_told(bureau, other_bureau, make_person, client,
                                              django_capture_on_commit_callbacks):
    first = make_person(bureau, Role.COORDINATOR, email="coord-un@example.org")
    second = make_person(other_bureau, Role.COORDINATOR, email="coord-deux@example.org")
    make_person(other_bureau, Role.MEMBER, email="membre-ailleurs@example.org")  # not told
    leaving = make_person(bureau, Role.MEMBER, email="part@example.org")
    Membership.objects.create(user=leaving, bureau=other_bureau, role=Role.MEMBER,
                              college=other_bureau.colleges.first())
    with django_capture_on_commit_callbacks(execute=True):
        client_for(client, leaving).post(LEAVE, {"action": "ask"})
        client.post(LEAVE, {"action": "ask"})  # asking twice tells nobody twice
    assert sorted(message.to[0] for message in mail.outbox) == sorted([first.email, second.email])
    assert all("demande à quitter la plateforme" in message.subject for message in mail.outbox)


def test_the_plan_counts_and_changes_nothing(scene):
    subject = scene["subject"]
    with override("fr"):
        plan = member_erasure_plan(subject)
    assert plan["votes gardés sous l'étiquette de membre parti·e"] == 2
    assert plan["commentaires remplacés par « commentaire retiré »"] == 1
    assert plan["observations gardées sous l'étiquette de membre parti·e"] == 2
    assert plan["compte (identifiant, mot de passe)"] == 1
    assert get_user_model().objects.filter(pk=subject.pk).exists()


# --- refusals -------------------------------------------------------------------------------------


def test_someone_else_cannot_ask_for_you(scene):
    subject, coordinator = scene["subject"], scene["coordinator"]
    other = client_for(Client(), coordinator)
    other.post(LEAVE, {"action": "ask", "user": subject.pk, "email": subject.email})
    assert not LeaveRequest.objects.filter(user=subject).exists()  # only the asker's own request
    assert LeaveRequest.objects.filter(user=coordinator).exists()
    anonymous = Client().post(LEAVE, {"action": "ask"})
    assert anonymous.status_code == 302 and anonymous.url.startswith("/accounts/login/")


def test_non_coordinators_cannot_confirm(scene, people, make_person):
    subject, bureau = scene["subject"], scene["bureau"]
    LeaveRequest.objects.create(user=subject)
    url = _erase_url(bureau, Membership.objects.get(user=subject, bureau=bureau))
    for who in (people["member"], people["observer"], people["outsider"], people["other_member"], subject):
        client = client_for(Client(), who)
        assert client.get(url).status_code in (403, 404), who
        assert client.post(url).status_code in (403, 404), who
    assert get_user_model().objects.filter(pk=subject.pk).exists()
    # The member cannot confirm their own request while a coordinator can and within the delay.
    response = client_for(Client(), subject).post(LEAVE, {"action": "confirm"})
    assert response.status_code == 403
    assert get_user_model().objects.filter(pk=subject.pk).exists()


def test_a_coordinator_confirms_only_a_request_that_exists(scene):
    subject, coordinator, bureau = scene["subject"], scene["coordinator"], scene["bureau"]
    url = _erase_url(bureau, Membership.objects.get(user=subject, bureau=bureau))
    client = client_for(Client(), coordinator)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert get_user_model().objects.filter(pk=subject.pk).exists()


def test_the_last_coordinator_cannot_be_erased(bureau, make_person, client):
    alone = _subject(make_person, bureau, role=Role.COORDINATOR)
    with pytest.raises(LeavingError, match="seul·e à coordonner|only coordinator"):
        erase_member(alone)
    LeaveRequest.objects.create(user=alone, asked_at=timezone.now() - timedelta(days=31))
    page = client_for(client, alone).get(LEAVE).content.decode()
    assert "data-refusals" in page
    response = client_for(client, alone).post(LEAVE, {"action": "confirm"})
    assert response.status_code == 409
    assert get_user_model().objects.filter(pk=alone.pk).exists()


def test_a_member_without_bureau_confirms_alone(make_person, client):
    lonely = make_person(email="seul@example.org")
    client = client_for(client, lonely)
    client.post(LEAVE, {"action": "ask"})
    assert b"Oui, effacer mon compte maintenant" in client.get(LEAVE).content
    response = client.post(LEAVE, {"action": "confirm"})
    assert response.status_code == 302 and response.url == "/"
    assert not get_user_model().objects.filter(pk=lonely.pk).exists()
    assert client.get(reverse("participants_profile")).status_code == 302


def test_the_member_confirms_after_the_delay(scene, client, settings):
    settings.BEC_LEAVE_SELF_CONFIRM_DAYS = 30
    subject = scene["subject"]
    LeaveRequest.objects.create(user=subject, asked_at=timezone.now() - timedelta(days=31))
    assert client_for(client, subject).post(LEAVE, {"action": "confirm"}).status_code == 302
    assert not get_user_model().objects.filter(pk=subject.pk).exists()


def test_withdrawing_the_request(scene, client):
    subject = scene["subject"]
    client = client_for(client, subject)
    client.post(LEAVE, {"action": "ask"})
    client.post(LEAVE, {"action": "withdraw"})
    assert not LeaveRequest.objects.exists()
    assert client.post(LEAVE, {"action": "nonsense"}).status_code == 400


def test_departed_numbers_follow_each_other(bureau, make_person):
    first = make_person(bureau, Role.MEMBER, email="un@example.org")
    second = make_person(bureau, Role.MEMBER, email="deux@example.org")
    erase_member(first)
    erase_member(second)
    numbers = sorted(MemberProfile.objects.exclude(departed_number=None).values_list("departed_number", flat=True))
    assert numbers == [1, 2]


# --- speed ----------------------------------------------------------------------------------------


def test_query_counts_do_not_grow(bureau, study, make_person, make_collective):
    small = _subject(make_person, bureau, email="petit@example.org", username="petit")
    _fill(bureau, study, make_person, make_collective, small, copies=1, other_email="c1@example.org")
    large = _subject(make_person, bureau, email="grand@example.org", username="grand")
    _fill(bureau, study, make_person, make_collective, large, copies=6, other_email="c2@example.org")
    coordinator = Membership.objects.coordinating().filter(bureau=bureau).first().user

    def pages(user) -> tuple[int, int]:
        LeaveRequest.objects.get_or_create(user=user)
        url = _erase_url(bureau, Membership.objects.get(user=user, bureau=bureau))
        return (count_queries(client_for(Client(), user), LEAVE),
                count_queries(client_for(Client(), coordinator), url))

    assert pages(small) == pages(large)
    few = count_queries(client_for(Client(), coordinator), bureau.url + "members/")
    for n in range(5):
        LeaveRequest.objects.create(user=make_person(bureau, Role.MEMBER, email=f"part{n}@example.org"))
    assert count_queries(client_for(Client(), coordinator), bureau.url + "members/") == few


# --- the demo -------------------------------------------------------------------------------------


def test_the_demo_bureau_has_a_departed_member(home, client, settings):
    from commons import demo as commons_demo
    from commons import demo_governance

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    bureau = commons_demo.build(home)["bureau"]
    demo_governance.build(bureau)
    demo_governance.build(bureau)  # idempotent: nobody else leaves
    assert MemberProfile.objects.exclude(departed_number=None).count() == 1
    assert not get_user_model().objects.filter(email=demo_governance.DEPARTING).exists()
    report = Proposal.objects.get(bureau=bureau, title=demo_governance.REPORT)
    assert report.decision.ballots_cast == 7
    camille = get_user_model().objects.get(email="camille.martin@bec-demo.fr")
    page = client_for(client, camille).get(bureau.url + f"proposals/{report.pk}/").content.decode()
    assert DEPARTED in page and "commentaire retiré" in page and "je quitte Lyon" not in page
    assert _rows_with("Malo") == []
    call_command("verify_decisions", stdout=StringIO())
