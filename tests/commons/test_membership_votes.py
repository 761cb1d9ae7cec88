"""Issue 17, item 2: membership by vote.

With a line « membership » in the bureau's table, an invitation proposed by a coordinator is sent
only once adopted, and an exclusion ends the membership only once adopted; the person concerned is
told, may comment, is not in the electorate and cannot vote on their own case. Without the line,
the members page acts at once, as before.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from commons import actions
from commons.models import Decision, DecisionRule, Elector, Invitation, KindRule, Membership, Proposal, Role
from commons.models.governance import ProposalKind, Status
from commons.rules import ensure_default_rules
from tests.conftest import client_for, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def members_url(bureau) -> str:
    return bureau.url + "members/"


def govern(bureau) -> None:
    ensure_default_rules(bureau)
    KindRule.objects.create(
        bureau=bureau,
        kind=ProposalKind.MEMBERSHIP,
        rule=DecisionRule.objects.get(bureau=bureau, is_default=True),
    )


def decide(proposal: Proposal, choice: str = "for") -> Decision:
    for elector in proposal.electors.select_related("user"):
        actions.cast_ballot(proposal, elector.user, choice=choice)
    return actions.close_proposal(proposal.pk)


def test_without_a_rule_the_invitation_leaves_at_once(client, bureau, people):
    ensure_default_rules(bureau)
    response = client_for(client, people["coordinator"]).post(
        members_url(bureau) + "invite/",
        {"email": "new@example.org", "role": "member", "college": bureau.colleges.first().pk},
    )
    assert response.status_code == 302
    assert Invitation.objects.filter(email="new@example.org").exists() and len(mail.outbox) == 1
    assert not Proposal.objects.exists()


def test_an_invitation_is_sent_only_once_adopted(client, bureau, people, django_capture_on_commit_callbacks):
    govern(bureau)
    client = client_for(client, people["coordinator"])
    college = bureau.colleges.first()
    page = client.get(members_url(bureau)).content.decode()
    assert "Put the invitation to the vote" in page
    response = client.post(
        members_url(bureau) + "invite/", {"email": "new@example.org", "role": "member", "college": college.pk}
    )
    proposal = Proposal.objects.get(kind=ProposalKind.MEMBERSHIP)
    assert response.status_code == 302 and response["Location"].endswith(f"proposals/{proposal.pk}/")
    assert proposal.status == Status.OPEN
    assert proposal.payload == {
        "op": "invite",
        "email": "new@example.org",
        "role": "member",
        "college": college.pk,
    }
    assert not Invitation.objects.exists()
    assert "new@example.org" not in [address for m in mail.outbox for address in m.to]
    assert f"proposals/{proposal.pk}/" in client.get(members_url(bureau)).content.decode()
    assert "new@example.org" in client.get(response["Location"]).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(proposal)
    assert decision.adopted
    invitation = Invitation.objects.get(email="new@example.org")
    assert invitation.invited_by == people["coordinator"] and invitation.college == college
    assert any(m.to == ["new@example.org"] for m in mail.outbox)
    proposal.refresh_from_db()
    assert proposal.change_result["status"] == "applied"


def test_a_rejected_invitation_is_never_sent(bureau, people, django_capture_on_commit_callbacks):
    govern(bureau)
    proposal = actions.propose_change(
        bureau,
        people["coordinator"],
        kind=ProposalKind.MEMBERSHIP,
        title="Inviter",
        payload={"op": "invite", "email": "non@example.org", "role": "member", "college": None},
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert not decide(proposal, "against").adopted
    assert not Invitation.objects.exists()
    assert not any(m.to == ["non@example.org"] for m in mail.outbox)


def test_only_coordinators_propose_membership_changes(client, bureau, people):
    govern(bureau)
    with pytest.raises(actions.GovernanceError, match="coordinators"):
        actions.propose_change(
            bureau,
            people["member"],
            kind=ProposalKind.MEMBERSHIP,
            title="Inviter",
            payload={"op": "invite", "email": "x@example.org", "role": "member", "college": None},
        )
    response = client_for(client, people["member"]).post(
        members_url(bureau) + "invite/", {"email": "x@example.org", "role": "member"}
    )
    assert response.status_code == 403
    assert not Proposal.objects.exists()


def test_an_exclusion_is_decided_without_the_person(
    client, bureau, people, make_person, django_capture_on_commit_callbacks
):
    govern(bureau)
    other = make_person(bureau, Role.MEMBER)
    concerned = people["member"]
    membership = Membership.objects.get(bureau=bureau, user=concerned)
    coordinator = client_for(client, people["coordinator"])
    confirm = coordinator.get(members_url(bureau) + f"{membership.pk}/remove/")
    assert confirm.status_code == 200 and "put it to the vote" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(members_url(bureau) + f"{membership.pk}/remove/")
    assert response.status_code == 302
    proposal = Proposal.objects.get(kind=ProposalKind.MEMBERSHIP)
    assert proposal.payload["concerned_user"] == concerned.pk
    assert Membership.objects.get(pk=membership.pk).left_at is None  # not before the decision
    # Told (whatever their email settings), not in the electorate, cannot vote, may comment.
    to_concerned = [m.subject for m in mail.outbox if m.to == [concerned.email]]
    assert len(to_concerned) == 1 and "vous concerne" in to_concerned[0]  # emails are French
    assert any(m.to == [other.email] for m in mail.outbox)  # the others are asked to vote
    assert not Elector.objects.filter(proposal=proposal, user=concerned).exists()
    assert Elector.objects.filter(proposal=proposal, user=other).exists()
    with pytest.raises(actions.GovernanceError, match="your own case"):
        actions.cast_ballot(proposal, concerned, choice="against")
    client.logout()
    client.cookies["django_language"] = "en"  # logging out clears the cookies
    mine = client_for(client, concerned)
    page = mine.get(f"{bureau.url}proposals/{proposal.pk}/").content.decode()
    assert "data-concerned" in page and 'class="stacked ballot-form"' not in page
    refused = mine.post(f"{bureau.url}proposals/{proposal.pk}/vote/", {"choice": "against"})
    assert refused.status_code == 400 and "your own case" in refused.content.decode()
    assert (
        mine.post(f"{bureau.url}proposals/{proposal.pk}/comment/", {"body": "Je conteste."}).status_code
        == 302
    )
    assert proposal.comments.filter(author=concerned).exists()

    assert decide(proposal).adopted
    assert Membership.objects.get(pk=membership.pk).left_at is not None
    assert not proposal.ballots.filter(voter=concerned).exists()
    assert actions.verify_chain(list(Decision.objects.filter(bureau=bureau).order_by("sequence"))) is None


def test_a_stale_exclusion_is_recorded_but_not_applied(client, bureau, people):
    govern(bureau)
    membership = Membership.objects.get(bureau=bureau, user=people["member"])
    proposal = actions.propose_change(
        bureau,
        people["coordinator"],
        kind=ProposalKind.MEMBERSHIP,
        title="Exclure",
        payload={"op": "exclude", "membership": membership.pk},
    )
    Membership.objects.filter(pk=membership.pk).update(left_at=membership.joined_at)  # left meanwhile
    assert decide(proposal).adopted
    proposal.refresh_from_db()
    assert proposal.change_result["status"] == "not_applicable"
    page = client_for(client, people["coordinator"]).get(f"{bureau.url}proposals/{proposal.pk}/")
    assert page.status_code == 200 and 'data-change="not-applicable"' in page.content.decode()


def test_refused_membership_changes(bureau, people):
    govern(bureau)
    coordinator = people["coordinator"]
    bad = [
        {"op": "invite", "email": "pas une adresse", "role": "member"},
        {"op": "invite", "email": people["member"].email, "role": "member"},  # already a member
        {"op": "invite", "email": "a@example.org", "role": "king"},
        {"op": "exclude", "membership": 10**9},
        {
            "op": "exclude",
            "membership": Membership.objects.get(bureau=bureau, user=coordinator).pk,
        },  # last one
        {"op": "nothing"},
    ]
    for payload in bad:
        with pytest.raises(actions.GovernanceError):
            actions.propose_change(
                bureau, coordinator, kind=ProposalKind.MEMBERSHIP, title="x", payload=payload
            )
    assert not Proposal.objects.exists()


def test_members_page_costs_the_same_queries_at_two_sizes(client, bureau, people, make_person):
    govern(bureau)
    client = client_for(client, people["coordinator"])
    counts, detail_counts = [], []
    for extra in (1, 8):
        for n in range(extra):
            proposal = actions.propose_change(
                bureau,
                people["coordinator"],
                kind=ProposalKind.MEMBERSHIP,
                title=f"Inviter {n}",
                payload={
                    "op": "invite",
                    "email": f"p{extra}-{n}@example.org",
                    "role": "member",
                    "college": bureau.colleges.first().pk,
                },
            )
            make_person(bureau, Role.MEMBER)
        counts.append(count_queries(client, members_url(bureau)))
        detail_counts.append(count_queries(client, f"{bureau.url}proposals/{proposal.pk}/"))
    assert counts[0] == counts[1], counts
    assert detail_counts[0] == detail_counts[1], detail_counts
