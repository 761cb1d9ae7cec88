"""Invitations, end to end: a coordinator invites, the email link signs the person up and in.

Everything goes through the Django test client, the way a browser would: the members page
form, the email in `mail.outbox`, the invitation link, allauth's sign-up and login pages.
Each test checks what is stored (users, profiles, memberships, invitations) *and* what the
person is shown. Visible text is checked in English (the `django_language` cookie), so the
assertions hold whether or not the French catalogue has been compiled.
"""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from commons import invitations as invitations_module
from commons.models import Invitation, Membership, Role
from commons.models.invitation import hash_token
from participants.models import MemberProfile
from tests.conftest import PASSWORD, client_for

User = get_user_model()
INVITED = "invitee@example.org"
LINK = re.compile(r"https?://[^/\s]+(/invitations/([^/\s]+)/)")


@pytest.fixture
def client(client):
    """Every client of this module reads English, so visible messages can be asserted."""
    client.cookies["django_language"] = "en"
    return client


def members_url(bureau) -> str:
    return bureau.url + "members/"


def send_invitation(client, bureau, email=INVITED, role=Role.MEMBER, college=None):
    college = college if college is not None else bureau.colleges.first()
    data = {"email": email, "role": role, "college": college.pk if college else ""}
    return client.post(members_url(bureau) + "invite/", data)


def invitation_link(message) -> tuple[str, str]:
    """The path and token of the invitation link in an email."""
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1), match.group(2)


def issue(bureau, email=INVITED, role=Role.MEMBER, college=None, **fields) -> tuple[Invitation, str]:
    """An invitation created directly (for the cases where the email itself is not under test)."""
    if college is None and role != Role.OBSERVER:
        college = bureau.colleges.first()
    return Invitation.issue(email=email, bureau=bureau, role=role, college=college, **fields)


def signup_data(email=INVITED, **overrides) -> dict:
    return {
        "email": email,
        "password1": PASSWORD,
        "password2": PASSWORD,
        "display_name": "Camille Dupont",
        "category": "artist",
        "organisation": "Atelier des communs",
        **overrides,
    }


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def assert_nothing_created(users_before: int, memberships_before: int) -> None:
    assert User.objects.count() == users_before
    assert Membership.objects.count() == memberships_before
    assert not User.objects.filter(email__iexact=INVITED).exists()
    assert not EmailAddress.objects.filter(email__iexact=INVITED).exists()


# --- Sending --------------------------------------------------------------------------------------


def test_coordinator_sends_invitation_email_and_only_the_hash_is_stored(client, bureau, people):
    coordinator = people["coordinator"]
    college = bureau.colleges.last()
    response = send_invitation(
        client_for(client, coordinator), bureau, "Invitee@Example.org", Role.MEMBER, college
    )

    assert response.status_code == 302
    assert response.url == members_url(bureau)
    follow = client.get(response.url)
    assert "Invitation sent to invitee@example.org." in follow.content.decode()
    assert INVITED in follow.content.decode()  # listed among pending invitations

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [INVITED]
    assert bureau.title in message.subject
    path, token = invitation_link(message)
    assert path == f"/invitations/{token}/"

    invitation = Invitation.objects.get()
    assert invitation.email == INVITED
    assert invitation.bureau == bureau
    assert invitation.role == Role.MEMBER
    assert invitation.college == college
    assert invitation.invited_by == coordinator
    assert invitation.status == "pending"
    # Only the digest is stored: the clear token appears in no column of the row.
    assert invitation.token_hash == hash_token(token)
    row = Invitation.objects.filter(pk=invitation.pk).values().get()
    assert all(token not in str(value) for value in row.values())
    assert Invitation.find(token) == invitation


def test_new_invitation_withdraws_the_previous_one_for_the_same_address(client, bureau, people):
    client_for(client, people["coordinator"])
    send_invitation(client, bureau)
    send_invitation(client, bureau, role=Role.OBSERVER, college="")
    assert len(mail.outbox) == 2
    (_, first_token), (_, second_token) = (invitation_link(m) for m in mail.outbox)

    assert Invitation.find(first_token).status == "revoked"
    assert Invitation.find(second_token).status == "pending"
    anonymous = client.__class__()
    assert anonymous.get(f"/invitations/{first_token}/").status_code == 410


@pytest.mark.parametrize("who", ["anonymous", "outsider", "observer", "member", "other_member"])
def test_only_coordinators_can_invite(client, bureau, people, who):
    response = send_invitation(client_for(client, people[who]), bureau)

    if who == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/?next=")
    else:
        assert response.status_code == 403
    assert mail.outbox == []
    assert not Invitation.objects.exists()


def test_invitation_refuses_a_college_of_another_bureau(client, bureau, other_bureau, people):
    foreign = other_bureau.colleges.first()
    response = send_invitation(client_for(client, people["coordinator"]), bureau, college=foreign)

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert mail.outbox == []
    assert not Invitation.objects.exists()


def test_invitation_refuses_someone_already_member(client, bureau, people):
    member = people["member"]
    response = send_invitation(client_for(client, people["coordinator"]), bureau, email=member.email.upper())

    assert response.status_code == 400
    assert "already a member of the bureau" in response.content.decode()
    assert mail.outbox == []
    assert not Invitation.objects.exists()


def test_voting_roles_need_a_college(client, bureau, people):
    response = send_invitation(client_for(client, people["coordinator"]), bureau, college="")

    assert response.status_code == 400
    assert "choose their college" in response.content.decode()
    assert not Invitation.objects.exists()


# --- Signing up through the link ------------------------------------------------------------------


def test_invitation_link_signs_up_a_new_person_end_to_end(client, bureau, people):
    college = bureau.colleges.last()
    send_invitation(client_for(client, people["coordinator"]), bureau, role=Role.MEMBER, college=college)
    path, token = invitation_link(mail.outbox[0])
    client.logout()
    mail.outbox.clear()

    response = client.get(path)
    assert response.status_code == 302
    assert response.url == "/accounts/signup/"

    form_page = client.get("/accounts/signup/")
    assert form_page.status_code == 200
    html = form_page.content.decode()
    assert f'value="{INVITED}"' in html
    assert 'name="display_name"' in html and 'name="category"' in html and 'name="organisation"' in html

    response = client.post("/accounts/signup/", signup_data())
    assert response.status_code == 302, response.content.decode()[:3000]

    user = User.objects.get(email=INVITED)
    profile = MemberProfile.objects.get(user=user)
    assert (profile.display_name, profile.category, profile.organisation) == (
        "Camille Dupont",
        "artist",
        "Atelier des communs",
    )
    membership = Membership.objects.active().get(user=user)
    assert (membership.bureau, membership.role, membership.college) == (bureau, Role.MEMBER, college)
    invitation = Invitation.find(token)
    assert invitation.accepted_at is not None
    assert invitation.accepted_by == user
    # Following the emailed link proved the address: verified, logged in, no confirmation email.
    assert EmailAddress.objects.get(user=user).verified
    assert mail.outbox == []
    assert logged_in_user_id(client) == str(user.pk)
    assert invitations_module.SESSION_KEY not in client.session

    page = client.get(members_url(bureau))
    assert page.status_code == 200
    assert "Camille Dupont" in page.content.decode()
    assert client.get("/accounts/profile/").status_code == 200


def test_observer_invitation_without_college(client, bureau):
    _, token = issue(bureau, role=Role.OBSERVER, college=None)
    client.get(f"/invitations/{token}/")
    response = client.post("/accounts/signup/", signup_data())

    assert response.status_code == 302
    membership = Membership.objects.get(user__email=INVITED)
    assert (membership.role, membership.college) == (Role.OBSERVER, None)


def test_used_link_cannot_be_reused(client, bureau):
    _, token = issue(bureau)
    client.get(f"/invitations/{token}/")
    client.post("/accounts/signup/", signup_data())
    assert User.objects.filter(email=INVITED).count() == 1

    # The same browser (now signed in) and another one both get a clear refusal.
    another_browser = client.__class__()
    another_browser.cookies["django_language"] = "en"
    for browser in (client, another_browser):
        response = browser.get(f"/invitations/{token}/")
        assert response.status_code == 410
        assert "already been used" in response.content.decode()
        response = browser.post(f"/invitations/{token}/")
        assert response.status_code == 410

    other = client.__class__()
    other.cookies["django_language"] = "en"
    other.get(f"/invitations/{token}/")
    response = other.post("/accounts/signup/", signup_data(email="second@example.org"))
    assert "invitation only" in response.content.decode()
    assert User.objects.filter(email=INVITED).count() == 1
    assert not User.objects.filter(email="second@example.org").exists()
    assert Membership.objects.filter(user__email=INVITED).count() == 1


@pytest.mark.parametrize(
    ("state", "status", "message"),
    [
        ("unknown", 404, "not valid"),
        ("tampered", 404, "not valid"),
        ("expired", 410, "has expired"),
        ("accepted", 410, "already been used"),
        ("revoked", 410, "withdrawn"),
    ],
)
def test_unusable_links_are_refused_clearly_and_create_nothing(
    client, bureau, people, state, status, message
):
    invitation, token = issue(bureau)
    now = timezone.now()
    if state == "unknown":
        token = "x" * 43
    elif state == "tampered":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif state == "expired":
        invitation.expires_at = now - timedelta(seconds=1)
    elif state == "accepted":
        invitation.accepted_at = now
    elif state == "revoked":
        invitation.revoked_at = now
    invitation.save()
    users, memberships = User.objects.count(), Membership.objects.count()

    response = client.get(f"/invitations/{token}/")
    assert response.status_code == status
    assert message in response.content.decode()
    assert invitations_module.SESSION_KEY not in client.session
    assert "account_verified_email" not in client.session

    # Nor can the sign-up form be used after following such a link.
    response = client.post("/accounts/signup/", signup_data())
    assert "invitation only" in response.content.decode()
    assert_nothing_created(users, memberships)
    # A signed-in member cannot use it either.
    response = client_for(client, people["outsider"]).post(f"/invitations/{token}/")
    assert response.status_code == status
    assert Membership.objects.count() == memberships


def test_signup_with_another_address_is_refused_and_invitation_stays_usable(client, bureau):
    invitation, token = issue(bureau)
    client.get(f"/invitations/{token}/")
    users, memberships = User.objects.count(), Membership.objects.count()

    response = client.post("/accounts/signup/", signup_data(email="someone.else@example.org"))

    assert response.status_code == 200
    assert f"This invitation was sent to {INVITED}" in response.content.decode()
    assert User.objects.count() == users
    assert Membership.objects.count() == memberships
    assert not User.objects.filter(email="someone.else@example.org").exists()
    assert mail.outbox == []
    invitation.refresh_from_db()
    assert invitation.status == "pending"

    # The same browser can still sign up with the invited address.
    response = client.post("/accounts/signup/", signup_data())
    assert response.status_code == 302
    assert Membership.objects.filter(user__email=INVITED, bureau=bureau).exists()


def test_signup_is_closed_without_an_invitation(client, bureau):
    users, memberships = User.objects.count(), Membership.objects.count()

    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    assert "invitation only" in page.content.decode()
    assert 'name="password1"' not in page.content.decode()

    response = client.post("/accounts/signup/", signup_data())
    assert "invitation only" in response.content.decode()
    assert_nothing_created(users, memberships)
    assert logged_in_user_id(client) is None
    assert mail.outbox == []


@pytest.mark.parametrize(("field", "message"), [("revoked_at", "withdrawn"), ("expires_at", "has expired")])
def test_invitation_withdrawn_or_expired_after_the_form_was_shown(client, bureau, field, message):
    """Withdrawn (or expired) while the person fills in the form: refused with the reason, nothing created."""
    invitation, token = issue(bureau)
    client.get(f"/invitations/{token}/")
    assert client.get("/accounts/signup/").status_code == 200
    setattr(invitation, field, timezone.now())
    invitation.save()
    users, memberships = User.objects.count(), Membership.objects.count()

    response = client.post("/accounts/signup/", signup_data())

    assert response.status_code == 409
    assert message in response.content.decode()
    assert_nothing_created(users, memberships)
    assert logged_in_user_id(client) is None


def test_invitation_revoked_during_signup_rolls_the_account_back(client, bureau):
    """The race the row lock exists for: checks passed on a stale read, then the lock sees it withdrawn."""
    invitation, token = issue(bureau)
    client.get(f"/invitations/{token}/")
    stale = Invitation.objects.get(pk=invitation.pk)  # read while still pending
    Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())
    users, memberships = User.objects.count(), Membership.objects.count()

    with mock.patch.object(invitations_module, "pending_invitation", return_value=stale):
        response = client.post("/accounts/signup/", signup_data())

    assert response.status_code == 409
    assert "withdrawn" in response.content.decode()
    assert_nothing_created(users, memberships)
    assert not MemberProfile.objects.filter(user__email=INVITED).exists()
    assert logged_in_user_id(client) is None
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


# --- People who already have an account -----------------------------------------------------------


def test_existing_account_signs_in_then_joins(client, bureau, other_bureau, make_person):
    person = make_person(other_bureau, Role.MEMBER, email="known@example.org")
    college = bureau.colleges.last()
    invitation, token = issue(bureau, email="known@example.org", role=Role.COORDINATOR, college=college)

    response = client.get(f"/invitations/{token}/")
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=%2Finvitations%2F{token}%2F"
    assert "account_verified_email" not in client.session
    login_page = client.get(response.url)
    assert "You already have an account" in login_page.content.decode()

    response = client.post(
        "/accounts/login/",
        {"login": "known@example.org", "password": PASSWORD, "next": f"/invitations/{token}/"},
    )
    assert response.status_code == 302
    assert response.url == f"/invitations/{token}/"
    assert logged_in_user_id(client) == str(person.pk)

    join = client.get(response.url)
    assert join.status_code == 200
    assert f"Join {bureau.title}" in join.content.decode()
    assert not Membership.objects.filter(user=person, bureau=bureau).exists()

    response = client.post(f"/invitations/{token}/")
    assert response.status_code == 302
    assert response.url == bureau.url
    membership = Membership.objects.active().get(user=person, bureau=bureau)
    assert (membership.role, membership.college) == (Role.COORDINATOR, college)
    invitation.refresh_from_db()
    assert invitation.accepted_by == person
    assert f"Welcome to {bureau.title}" in client.get(response.url).content.decode()
    assert client.get(members_url(bureau)).status_code == 200
    assert User.objects.filter(email__iexact="known@example.org").count() == 1

    # Posting again (double click, back button) changes nothing.
    assert client.post(f"/invitations/{token}/").status_code == 410
    assert Membership.objects.filter(user=person, bureau=bureau).count() == 1


def test_signed_in_as_someone_else_is_refused(client, bureau, make_person):
    invitation, token = issue(bureau)
    intruder = make_person(email="intruder@example.org")
    client_for(client, intruder)
    memberships = Membership.objects.count()

    assert client.get(f"/invitations/{token}/").status_code == 200
    response = client.post(f"/invitations/{token}/")

    assert response.status_code == 409
    assert "sent to another email address" in response.content.decode()
    assert Membership.objects.count() == memberships
    assert not Membership.objects.filter(user=intruder).exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_already_member_cannot_join_twice(client, bureau, people):
    member = people["member"]
    _, token = issue(bureau, email=member.email, role=Role.COORDINATOR)
    client_for(client, member)

    response = client.post(f"/invitations/{token}/")

    assert response.status_code == 409
    assert "already a member" in response.content.decode()
    assert Membership.objects.get(user=member, bureau=bureau).role == Role.MEMBER


def test_signup_works_in_the_default_language(client, bureau):
    """The French-first site (no language cookie): same flow, checked on statuses and data only."""
    del client.cookies["django_language"]
    _, token = issue(bureau)

    assert client.get(f"/invitations/{token}/").status_code == 302
    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    assert '<html lang="fr"' in page.content.decode()
    response = client.post("/accounts/signup/", signup_data())

    assert response.status_code == 302
    assert Membership.objects.filter(user__email=INVITED, bureau=bureau).exists()
    assert logged_in_user_id(client) is not None
    assert client.get(f"/invitations/{token}/").status_code == 410
