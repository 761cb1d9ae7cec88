"""The members page and membership management: every kind of visitor, every route, bad input."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from commons.models import College, Invitation, Membership, Role
from tests.conftest import client_for

VISITORS = ["anonymous", "outsider", "observer", "member", "coordinator", "other_member"]
CAN_VIEW = {"observer", "member", "coordinator"}
CAN_MANAGE = {"coordinator"}


def members_url(bureau) -> str:
    return bureau.url + "members/"


@pytest.mark.parametrize("who", VISITORS)
def test_bureau_page_is_public(client, people, bureau, who):
    response = client_for(client, people[who]).get(bureau.url)
    assert response.status_code == 200
    assert bureau.title in response.content.decode()
    members_link = f'href="{members_url(bureau)}"'
    assert (members_link in response.content.decode()) == (who in CAN_VIEW)


@pytest.mark.parametrize("who", VISITORS)
def test_members_page_access(client, people, bureau, who):
    response = client_for(client, people[who]).get(members_url(bureau))
    if who == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/?next=")
    elif who in CAN_VIEW:
        assert response.status_code == 200
        body = response.content.decode()
        assert "Personne" in body  # display names of the members
        assert ("members/invite/" in body) == (who in CAN_MANAGE)
    else:
        assert response.status_code == 403
        assert people["member"].bec_profile.display_name not in response.content.decode()


def _routes(bureau, people, invitation):
    target = Membership.objects.get(user=people["member"], bureau=bureau)
    college = bureau.colleges.last()
    return {
        "invite": (f"{members_url(bureau)}invite/", {"email": "new@example.org", "role": "member",
                                                     "college": college.pk}),
        "edit": (f"{members_url(bureau)}{target.pk}/edit/", {f"m{target.pk}-role": "observer",
                                                           f"m{target.pk}-college": ""}),
        "remove": (f"{members_url(bureau)}{target.pk}/remove/", {}),
        "revoke": (f"{bureau.url}invitations/{invitation.pk}/revoke/", {}),
    }


def _state(bureau, people, invitation):
    target = Membership.objects.get(user=people["member"], bureau=bureau)
    invitation.refresh_from_db()
    return (target.role, target.left_at, invitation.revoked_at,
            Invitation.objects.filter(bureau=bureau).count(), len(mail.outbox))


@pytest.mark.parametrize("who", VISITORS)
@pytest.mark.parametrize("route", ["invite", "edit", "remove", "revoke"])
def test_management_routes_need_a_coordinator(client, people, bureau, who, route):
    invitation, _token = Invitation.issue(email="pending@example.org", bureau=bureau, role=Role.MEMBER)
    url, data = _routes(bureau, people, invitation)[route]
    before = _state(bureau, people, invitation)
    response = client_for(client, people[who]).post(url, data)
    if who in CAN_MANAGE:
        assert response.status_code == 302, response.content[:500]
        assert _state(bureau, people, invitation) != before
    else:
        if who == "anonymous":
            assert response.status_code == 302
            assert response.url.startswith("/accounts/login/?next=")
        else:
            assert response.status_code == 403
        assert _state(bureau, people, invitation) == before


@pytest.mark.parametrize("route", ["invite", "edit"])
def test_management_routes_refuse_get(client, people, bureau, route):
    invitation, _token = Invitation.issue(email="pending@example.org", bureau=bureau, role=Role.MEMBER)
    url, _data = _routes(bureau, people, invitation)[route]
    assert client_for(client, people["coordinator"]).get(url).status_code == 405


@pytest.mark.parametrize("route", ["remove", "revoke"])
def test_destructive_routes_ask_first_and_get_changes_nothing(client, people, bureau, route):
    invitation, _token = Invitation.issue(email="pending@example.org", bureau=bureau, role=Role.MEMBER)
    url, _data = _routes(bureau, people, invitation)[route]
    before = _state(bureau, people, invitation)
    response = client_for(client, people["coordinator"]).get(url)
    assert response.status_code == 200
    assert f'action="{url}"' in response.content.decode()
    assert _state(bureau, people, invitation) == before


def test_coordinator_of_another_bureau_cannot_touch_this_one(client, people, bureau, other_bureau):
    """A coordinator's powers stop at their own bureau, even with a hand-made URL."""
    target = Membership.objects.get(user=people["member"], bureau=bureau)
    client.force_login(people["other_member"])
    response = client.post(f"{members_url(other_bureau)}{target.pk}/remove/")
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.left_at is None


def test_coordinator_changes_role_and_college(client, people, bureau):
    target = Membership.objects.get(user=people["member"], bureau=bureau)
    college = bureau.colleges.get(name="Bénévoles")
    client.force_login(people["coordinator"])
    response = client.post(f"{members_url(bureau)}{target.pk}/edit/",
                           {f"m{target.pk}-role": "coordinator", f"m{target.pk}-college": college.pk})
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.role, target.college) == ("coordinator", college)
    assert bureau.coordinators_group in people["member"].groups.all()


def test_college_of_another_bureau_is_a_field_error(client, people, bureau, other_bureau):
    target = Membership.objects.get(user=people["member"], bureau=bureau)
    foreign = other_bureau.colleges.first()
    client.force_login(people["coordinator"])
    response = client.post(f"{members_url(bureau)}{target.pk}/edit/",
                           {f"m{target.pk}-role": "member", f"m{target.pk}-college": foreign.pk})
    assert response.status_code == 400
    assert response.context["memberships"]
    target.refresh_from_db()
    assert target.college != foreign


def test_voting_member_needs_a_college(client, people, bureau):
    target = Membership.objects.get(user=people["member"], bureau=bureau)
    client.force_login(people["coordinator"])
    response = client.post(f"{members_url(bureau)}{target.pk}/edit/",
                           {f"m{target.pk}-role": "member", f"m{target.pk}-college": ""})
    assert response.status_code == 400
    target.refresh_from_db()
    assert target.college is not None


def test_unknown_role_is_a_field_error(client, people, bureau):
    target = Membership.objects.get(user=people["member"], bureau=bureau)
    client.force_login(people["coordinator"])
    response = client.post(f"{members_url(bureau)}{target.pk}/edit/", {f"m{target.pk}-role": "dictator"})
    assert response.status_code == 400
    target.refresh_from_db()
    assert target.role == "member"


def test_last_coordinator_can_be_neither_removed_nor_demoted(client, people, bureau):
    own = Membership.objects.get(user=people["coordinator"], bureau=bureau)
    client.force_login(people["coordinator"])
    client.post(f"{members_url(bureau)}{own.pk}/remove/")
    response = client.post(f"{members_url(bureau)}{own.pk}/edit/",
                           {f"m{own.pk}-role": "member", f"m{own.pk}-college": own.college_id})
    assert response.status_code == 400
    own.refresh_from_db()
    assert own.left_at is None and own.role == "coordinator"


def test_removing_a_member_ends_membership_and_admin_rights(client, people, bureau):
    target = Membership.objects.get(user=people["member"], bureau=bureau)
    assert bureau.members_group in people["member"].groups.all()
    client.force_login(people["coordinator"])
    client.post(f"{members_url(bureau)}{target.pk}/remove/")
    target.refresh_from_db()
    assert target.left_at is not None
    assert bureau.members_group not in people["member"].groups.all()
    client.force_login(people["member"])
    assert client.get(members_url(bureau)).status_code == 403


@pytest.mark.parametrize("data, field", [
    ({"email": "not-an-email", "role": "member"}, "email"),
    ({"email": "x@example.org", "role": "king"}, "role"),
    ({"email": "x@example.org", "role": "member"}, "college"),  # voting role without a college
    ({"email": "x@example.org", "role": "member", "college": 999999}, "college"),
])
def test_invitation_form_errors_change_nothing(client, people, bureau, data, field):
    client.force_login(people["coordinator"])
    response = client.post(f"{members_url(bureau)}invite/", data)
    assert response.status_code == 400
    assert field in response.context["invite_form"].errors
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_inviting_again_replaces_the_pending_invitation(client, people, bureau):
    client.force_login(people["coordinator"])
    college = bureau.colleges.first()
    for _ in range(2):
        assert client.post(f"{members_url(bureau)}invite/",
                           {"email": "twice@example.org", "role": "member", "college": college.pk}).status_code == 302
    assert Invitation.objects.filter(email="twice@example.org").count() == 2
    assert Invitation.objects.pending().filter(email="twice@example.org").count() == 1
    assert len(mail.outbox) == 2


def test_observer_invitation_needs_no_college(client, people, bureau):
    client.force_login(people["coordinator"])
    response = client.post(f"{members_url(bureau)}invite/", {"email": "obs@example.org", "role": "observer"})
    assert response.status_code == 302
    assert Invitation.objects.get().college is None


def test_bureau_without_colleges_does_not_ask_for_one(client, make_bureau, make_person):
    bureau = make_bureau(colleges=())
    coordinator = make_person(bureau, Role.COORDINATOR)
    client.force_login(coordinator)
    response = client.post(f"{members_url(bureau)}invite/", {"email": "a@example.org", "role": "member"})
    assert response.status_code == 302
    assert College.objects.filter(bureau=bureau).count() == 0


def test_refused_invitation_shows_a_message_at_the_top_and_the_errors_next_to_the_form(client, people, bureau):
    """Issue 11 item 12: the page reloads with a message at the top and the errors in the form, which
    it scrolls to (the form posts to « …/invite/#invite »); no table header is left empty."""
    client.force_login(people["coordinator"])
    response = client.post(f"{members_url(bureau)}invite/", {"email": "not-an-address", "role": "member"})
    assert response.status_code == 400
    html = response.content.decode()
    top = [str(message) for message in response.context["messages"]]
    assert top and all("invitation" in text.lower() for text in top)
    section = html[html.index('id="invite"'):]
    section = section[: section.index("</section>")]
    assert 'action="' in section and 'invite/#invite"' in section
    assert 'role="alert"' in section and "errorlist" in section
    assert Invitation.objects.filter(email="not-an-address").count() == 0
    assert not re.search(r"<th[^>]*>\s*</th>", html)
