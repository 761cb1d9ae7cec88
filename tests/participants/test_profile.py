"""The member's own profile page: login required, edits saved, invalid input refused with a 400."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from commons.models import Role
from participants.models import MemberProfile
from tests.conftest import client_for

URL = "/accounts/profile/"


@pytest.fixture
def client(client):
    client.cookies["django_language"] = "en"
    return client


def profile_data(**overrides) -> dict:
    return {
        "display_name": "Ada L.",
        "category": "maker",
        "organisation": "Fablab",
        "bio": "Je fabrique des choses.",
        **overrides,
    }


def test_profile_requires_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={URL}"

    response = client.post(URL, profile_data())
    assert response.status_code == 302
    assert not MemberProfile.objects.exists()


def test_profile_shows_the_member_bureaus(client, bureau, make_person):
    person = make_person(bureau, Role.COORDINATOR)

    page = client_for(client, person).get(URL)

    assert page.status_code == 200
    html = page.content.decode()
    assert person.bec_profile.display_name in html
    assert bureau.title in html
    assert "/accounts/2fa/" in html  # link to two-factor settings


def test_member_edits_their_profile(client, make_person):
    person = make_person()

    response = client_for(client, person).post(URL, profile_data())

    assert response.status_code == 302
    assert response.url == URL
    profile = MemberProfile.objects.get(user=person)
    assert (profile.display_name, profile.category, profile.organisation, profile.bio) == (
        "Ada L.",
        "maker",
        "Fablab",
        "Je fabrique des choses.",
    )
    page = client.get(URL)
    assert "Your profile has been saved." in page.content.decode()
    assert 'value="Ada L."' in page.content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [("display_name", ""), ("category", "astronaut"), ("display_name", "x" * 121)],
)
def test_invalid_profile_is_refused_and_nothing_changes(client, make_person, field, value):
    person = make_person()
    before = MemberProfile.objects.filter(user=person).values().get()

    response = client_for(client, person).post(URL, profile_data(**{field: value}))

    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert MemberProfile.objects.filter(user=person).values().get() == before


def test_profile_is_created_for_an_account_without_one(client, db):
    """Accounts made by an administrator have no profile yet: saving the form creates it."""
    user = get_user_model().objects.create_user(username="admin-made", email="made@example.org")

    page = client_for(client, user).get(URL)
    assert page.status_code == 200
    assert 'value="made"' in page.content.decode()  # suggested from the email address
    assert not MemberProfile.objects.filter(user=user).exists()

    response = client.post(URL, profile_data(display_name="Made By Admin"))
    assert response.status_code == 302
    assert MemberProfile.objects.get(user=user).display_name == "Made By Admin"


def test_a_member_cannot_edit_someone_else(client, make_person):
    person, other = make_person(), make_person()
    other_name = other.bec_profile.display_name

    client_for(client, person).post(URL, {**profile_data(), "user": other.pk})

    assert MemberProfile.objects.get(user=other).display_name == other_name
    assert MemberProfile.objects.get(user=person).display_name == "Ada L."


def test_empty_submission_shows_the_required_fields(client, make_person):
    person = make_person()
    before = MemberProfile.objects.filter(user=person).values().get()

    response = client_for(client, person).post(URL, {})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert MemberProfile.objects.filter(user=person).values().get() == before


def test_emails_are_stored_in_lower_case_so_admin_created_accounts_can_sign_in(client, django_user_model):
    from allauth.account.models import EmailAddress

    user = django_user_model.objects.create_user(username="mixed", email=" Camille@Example.ORG ", password="pw-123456-xyz")
    assert user.email == "camille@example.org"
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    response = client.post("/accounts/login/", {"login": "Camille@Example.org", "password": "pw-123456-xyz"})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
