"""Accounts, end to end: email verification, login by email, the admin's login, rate limits, TOTP.

The site and the Wagtail admin share allauth's login, so what protects one (verified address,
rate limit, second factor) protects the other; these tests walk both doors with the test client.
"""

from __future__ import annotations

import re
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal import auth as totp_auth
from django.core import mail

from commons.models import Invitation, Role
from tests.conftest import PASSWORD, client_for

CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)")


@pytest.fixture
def client(client):
    """English pages, so messages can be asserted whether or not French is compiled."""
    client.cookies["django_language"] = "en"
    return client


def login(client, email, password=PASSWORD, next_url=None):
    data = {"login": email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/" + (f"?next={next_url}" if next_url else ""), data)


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def confirm_link(message) -> str:
    match = CONFIRM_LINK.search(message.body)
    assert match, message.body
    return match.group(1)


# --- Login and the admin --------------------------------------------------------------------------


def test_login_by_email(client, make_person):
    person = make_person(email="ada@example.org")

    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert 'name="login"' in page.content.decode()

    response = login(client, "ADA@example.org")
    assert response.status_code == 302
    assert response.url == "/"
    assert client.session["_auth_user_id"] == str(person.pk)
    assert client.get("/accounts/profile/").status_code == 200


def test_wrong_password_does_not_log_in(client, make_person):
    make_person(email="ada@example.org")

    response = login(client, "ada@example.org", "not-the-password")

    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert not is_logged_in(client)


def test_admin_sends_anonymous_visitors_to_allauth_login(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/admin/"

    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/admin/"

    response = client.get("/admin/login/?next=/admin/pages/")
    assert response.url == "/accounts/login/?next=/admin/pages/"
    assert client.get(response.url).status_code == 200


def test_bureau_member_reaches_the_admin_after_login(client, bureau, make_person):
    member = make_person(bureau, Role.MEMBER, email="member@example.org")

    response = login(client, member.email, next_url="/admin/")
    assert response.status_code == 302
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_login_is_rate_limited_per_email(client, make_person):
    person = make_person(email="target@example.org")
    for _ in range(5):
        response = login(client, "target@example.org", "wrong-password")
        assert response.status_code == 200
        assert "not correct" in response.content.decode()
    assert not is_logged_in(client)

    # The sixth attempt is refused even with the right password.
    response = login(client, "target@example.org")
    assert response.status_code == 200  # the form again, with the error
    assert not is_logged_in(client)
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get("/accounts/profile/").status_code == 302

    # The limit is per address: another person can still sign in from the same machine.
    other = make_person(email="other@example.org")
    assert login(client, other.email).status_code == 302
    assert client.session["_auth_user_id"] == str(other.pk)
    assert person.pk != other.pk


# --- Email verification ---------------------------------------------------------------------------


def test_unverified_address_cannot_log_in_until_confirmed(client, make_person):
    person = make_person(email="unverified@example.org")
    EmailAddress.objects.filter(user=person).update(verified=False)

    response = login(client, "unverified@example.org")

    assert response.status_code == 302
    assert response.url == "/accounts/confirm-email/"
    assert not is_logged_in(client)
    assert client.get("/accounts/profile/").status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["unverified@example.org"]
    link = confirm_link(mail.outbox[0])

    # ACCOUNT_CONFIRM_EMAIL_ON_GET is off: opening the link only shows a confirmation form.
    page = client.get(link)
    assert page.status_code == 200
    assert "<form" in page.content.decode()
    assert not EmailAddress.objects.get(user=person).verified
    assert not is_logged_in(client)

    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=person).verified
    assert client.session["_auth_user_id"] == str(person.pk)
    assert client.get("/accounts/profile/").status_code == 200


def test_forged_confirmation_key_verifies_nothing(client, make_person):
    person = make_person(email="unverified@example.org")
    EmailAddress.objects.filter(user=person).update(verified=False)

    page = client.get("/accounts/confirm-email/not-a-real-key/")
    assert page.status_code == 200
    assert "expired or is invalid" in page.content.decode()
    response = client.post("/accounts/confirm-email/not-a-real-key/")

    assert response.status_code == 404
    assert not EmailAddress.objects.get(user=person).verified
    assert not is_logged_in(client)


def test_added_address_needs_confirmation(client, make_person):
    person = make_person(email="ada@example.org")
    login(client, person.email)
    assert is_logged_in(client)

    response = client.post("/accounts/email/", {"action_add": "", "email": "ada.new@example.org"})

    assert response.status_code == 302
    added = EmailAddress.objects.get(email="ada.new@example.org")
    assert added.user == person
    assert not added.verified
    assert not added.primary
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada.new@example.org"]
    link = confirm_link(mail.outbox[0])

    client.get(link)
    added.refresh_from_db()
    assert not added.verified  # GET alone confirms nothing
    client.post(link)
    added.refresh_from_db()
    assert added.verified


def test_pending_invitation_does_not_block_adding_an_address(client, bureau, make_person):
    """Following an invitation for one's own address, then signing in, must not break /accounts/email/."""
    person = make_person(email="ada@example.org")
    _, token = Invitation.issue(email="ada@example.org", bureau=bureau, role=Role.OBSERVER)
    client.get(f"/invitations/{token}/")  # existing account: sent to the login page
    login(client, person.email, next_url=f"/invitations/{token}/")
    assert is_logged_in(client)

    response = client.post("/accounts/email/", {"action_add": "", "email": "ada.work@example.org"})

    assert response.status_code == 302, response.content.decode()
    assert EmailAddress.objects.filter(user=person, email="ada.work@example.org", verified=False).exists()


def test_pending_invitation_does_not_block_a_password_reset_for_another_address(client, bureau, make_person):
    """Invited at work, but already has an account at home: resetting the home password still works."""
    person = make_person(email="home@example.org")
    _, token = Invitation.issue(email="work@example.org", bureau=bureau, role=Role.OBSERVER)
    assert client.get(f"/invitations/{token}/").url == "/accounts/signup/"

    response = client.post("/accounts/password/reset/", {"email": "home@example.org"})

    assert response.status_code == 302, response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [person.email]


# --- Two-factor authentication (TOTP) -------------------------------------------------------------

COUNTER = 58_000_000  # a fixed TOTP time step: codes do not depend on the clock while testing


@pytest.fixture
def frozen_totp():
    """Pin allauth's TOTP clock to one time step, so a code never goes stale mid-test."""
    with mock.patch.object(totp_auth, "yield_hotp_counters_from_time", lambda: iter([COUNTER])):
        yield


def totp_code(secret: str, counter: int = COUNTER) -> str:
    return totp_auth.format_hotp_value(totp_auth.hotp_value(secret, counter))


def wrong_code(secret: str) -> str:
    right = totp_code(secret)
    return f"{(int(right) + 1) % 10 ** len(right):0{len(right)}}"


def activate_totp(client, person) -> str:
    """Sign in with the password (activation asks for a recent login) and turn TOTP on."""
    assert login(client, person.email).status_code == 302
    # allauth asks for the password again before a security change, even right after login.
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/reauthenticate/")
    response = client.post(response.url, {"password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session[totp_auth.SECRET_SESSION_KEY]
    assert secret in page.content.decode()  # shown for manual entry next to the QR code

    response = client.post("/accounts/2fa/totp/activate/", {"code": wrong_code(secret)})
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=person).exists()

    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()
    return secret


def test_totp_activation_then_login_requires_the_code(client, make_person, frozen_totp):
    person = make_person(email="mfa@example.org")
    secret = activate_totp(client, person)
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.RECOVERY_CODES).exists()
    client.post("/accounts/logout/")
    assert not is_logged_in(client)

    response = login(client, person.email)
    assert response.status_code == 302
    assert response.url == "/accounts/2fa/authenticate/"
    assert not is_logged_in(client)
    assert client.get("/accounts/profile/").status_code == 302

    response = client.post("/accounts/2fa/authenticate/", {"code": wrong_code(secret)})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert not is_logged_in(client)

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)
    assert client.get("/accounts/profile/").status_code == 200


def test_totp_code_cannot_be_replayed(client, make_person, frozen_totp):
    person = make_person(email="mfa@example.org")
    secret = activate_totp(client, person)
    client.post("/accounts/logout/")
    login(client, person.email)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert is_logged_in(client)

    other_browser = client.__class__()
    other_browser.cookies["django_language"] = "en"
    login(other_browser, person.email)
    response = other_browser.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 200
    assert not is_logged_in(other_browser)


def test_admin_login_goes_through_the_second_factor(client, bureau, make_person, frozen_totp):
    member = make_person(bureau, Role.MEMBER, email="editor@example.org")
    secret = activate_totp(client, member)
    client.post("/accounts/logout/")

    response = client.get("/admin/")
    assert response.url == "/accounts/login/?next=/admin/"
    response = login(client, member.email, next_url="/admin/")
    assert response.status_code == 302
    assert response.url == "/accounts/2fa/authenticate/"
    assert not is_logged_in(client)
    assert client.get("/admin/").status_code == 302  # still the login page's business

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response.url == "/admin/"
    assert client.session["_auth_user_id"] == str(member.pk)
    assert client.get("/admin/").status_code == 200


def test_totp_activation_requires_login(client, db):
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_forced_session_must_reauthenticate_before_activating(client, make_person, frozen_totp):
    """A session without a recent password login is asked for the password again first."""
    person = make_person(email="mfa@example.org")
    client_for(client, person)

    response = client.get("/accounts/2fa/totp/activate/")

    assert response.status_code == 302
    assert "reauthenticate" in response.url
    assert not Authenticator.objects.filter(user=person).exists()
