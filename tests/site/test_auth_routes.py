"""Every way into a session goes through allauth (verified address, rate limits, second factor).

Wagtail and Django register login and password-reset views of their own (`/_util/login/`,
`/admin/login/`, `/admin/password_reset/...`) that sign in with a password alone and send reset
emails without limit. The first test walks every route the URL configuration registers and fails if
one of Django's authentication views is reachable; the others knock on each door with a user who
has TOTP on, a user whose address is unverified and a user whose login is rate limited.
"""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import views as auth_views
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from bec_site import views as site_views
from commons.models import Role
from tests.conftest import PASSWORD

#: Django's views that authenticate or reset a password themselves, outside allauth.
DJANGO_AUTH_VIEWS = (
    auth_views.LoginView,
    auth_views.PasswordResetView,
    auth_views.PasswordResetDoneView,
    auth_views.PasswordResetConfirmView,
    auth_views.PasswordResetCompleteView,
    auth_views.PasswordChangeView,
    auth_views.PasswordChangeDoneView,
)
OUR_REDIRECTS = {site_views.to_allauth_login, site_views.to_allauth_admin_login, site_views.to_allauth_password_reset}

#: Login pages other than allauth's, with where they send the visitor.
OTHER_LOGIN_DOORS = {
    "/_util/login/": "/accounts/login/?next=/",
    "/admin/login/": "/accounts/login/?next=/admin/",
    "/_util/login/?next=/admin/pages/": "/accounts/login/?next=/admin/pages/",
}
ALL_LOGIN_DOORS = [*OTHER_LOGIN_DOORS, "/accounts/login/"]


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def _sample_kwargs(pattern: URLPattern) -> dict[str, str]:
    converters = getattr(pattern.pattern, "converters", {}) or {}
    names = list(converters) or list(pattern.pattern.regex.groupindex)
    return {name: "1" if type(converters.get(name)).__name__ == "IntConverter" else "MQ" for name in names}


def test_no_django_authentication_view_is_reachable():
    """Whatever registers a Django login or password view (Wagtail today, an app tomorrow), a
    route of ours must answer its URL first; the walk finds the ones known today, so it cannot
    pass by finding nothing."""
    found = {}
    for route, pattern in _walk(get_resolver().url_patterns):
        view_class = getattr(pattern.callback, "view_class", None)
        if view_class is None or not issubclass(view_class, DJANGO_AUTH_VIEWS):
            continue
        assert pattern.name, f"unnamed authentication route {route}"
        url = reverse(pattern.name, kwargs=_sample_kwargs(pattern))
        found[pattern.name] = (url, resolve(url).func)

    assert {
        "wagtailcore_login", "wagtailadmin_login", "wagtailadmin_password_reset",
        "wagtailadmin_password_reset_done", "wagtailadmin_password_reset_confirm",
        "wagtailadmin_password_reset_complete",
    } <= set(found)  # fmt: skip
    reachable = {name: url for name, (url, func) in found.items() if func not in OUR_REDIRECTS}
    assert not reachable, f"authentication views that bypass allauth: {reachable}"


# --- The users who must not get in with a password alone -------------------------------------------


@pytest.fixture
def totp_user(bureau, make_person):
    """A bureau member (so the admin would open) with TOTP turned on."""
    user = make_person(bureau, Role.MEMBER, email="totp@example.org")
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def unverified_user(bureau, make_person):
    user = make_person(bureau, Role.MEMBER, email="unverified@example.org")
    EmailAddress.objects.filter(user=user).update(verified=False)
    return user


@pytest.fixture
def rate_limited_user(client, bureau, make_person):
    """A member whose login allauth has locked after five wrong passwords."""
    user = make_person(bureau, Role.MEMBER, email="locked@example.org")
    for _ in range(5):
        client.post("/accounts/login/", {"login": user.email, "password": "wrong-password"})
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200  # the form again, with the rate-limit error
    return user


def _post_credentials(client, door: str, user):
    """What a login form anywhere may expect: Django's `username`, allauth's `login`, both set."""
    return client.post(door, {"username": user.email, "login": user.email, "password": PASSWORD})


@pytest.mark.parametrize("door", ALL_LOGIN_DOORS)
@pytest.mark.parametrize("kind", ["totp_user", "unverified_user", "rate_limited_user"])
def test_no_door_signs_in_with_the_password_alone(client, request, door, kind):
    user = request.getfixturevalue(kind)

    response = _post_credentials(client, door, user)

    assert "_auth_user_id" not in client.session, f"{door} signed {kind} in"
    assert client.get("/admin/").status_code == 302
    if door in OTHER_LOGIN_DOORS:
        assert response.status_code == 302
        assert response.url == OTHER_LOGIN_DOORS[door]  # the credentials were not even read


@pytest.mark.parametrize("door", list(OTHER_LOGIN_DOORS))
def test_other_login_pages_sign_nobody_in_even_a_plain_user(client, bureau, make_person, door):
    """Closed as a door, not just for the three cases: forty wrong passwords then the right one."""
    user = make_person(bureau, Role.MEMBER, email="plain@example.org")
    for _ in range(40):
        client.post(door, {"username": user.email, "password": "wrong"})

    response = _post_credentials(client, door, user)

    assert response.status_code == 302
    assert response.url == OTHER_LOGIN_DOORS[door]
    assert "_auth_user_id" not in client.session
    # The control: the same credentials do work at allauth's door (so the test can fail).
    assert client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_allauth_door_asks_the_totp_user_for_the_second_factor(client, totp_user):
    response = client.post("/accounts/login/?next=/admin/", {"login": totp_user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "next_url", ["https://evil.example.org/", "//evil.example.org/", "javascript:alert(1)"]
)
def test_redirect_to_allauth_keeps_no_foreign_next(client, db, next_url):
    response = client.get("/_util/login/", {"next": next_url})

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/"


# --- Password reset and the admin's account page ----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/admin/password_reset/",
        "/admin/password_reset/done/",
        "/admin/password_reset/confirm/MQ/set-password/",
        "/admin/password_reset/complete/",
    ],
)
def test_admin_password_reset_pages_go_to_allauth(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url == "/accounts/password/reset/"


def test_admin_password_reset_sends_no_email_and_allauth_limits_its_own(client, make_person):
    user = make_person(email="reset@example.org")

    for _ in range(12):
        response = client.post("/admin/password_reset/", {"email": user.email})
        assert response.status_code == 302
    assert len(mail.outbox) == 0

    for _ in range(12):
        client.post("/accounts/password/reset/", {"email": user.email})
    assert 1 <= len(mail.outbox) <= 5  # ACCOUNT_RATE_LIMITS["reset_password"]: 5 a minute per address
    assert {tuple(message.to) for message in mail.outbox} == {(user.email,)}


@pytest.fixture
def member(client, bureau, make_person):
    user = make_person(bureau, Role.MEMBER, email="member@example.org", first_name="Ada", last_name="L")
    client.force_login(user)
    return user


def test_admin_account_page_changes_no_email_and_no_password(client, member):
    page = client.get("/admin/account/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="name_email-email"' not in html
    assert 'name="password-new_password1"' not in html
    for url in ("/accounts/email/", "/accounts/password/change/", "/accounts/2fa/"):
        assert f'href="{url}"' in html

    response = client.post(
        "/admin/account/",
        {
            "name_email-first_name": "Grace", "name_email-last_name": "Hopper",
            "name_email-email": "attacker@example.org",
            "password-new_password1": "a-new-Password-123", "password-new_password2": "a-new-Password-123",
            "locale-preferred_language": "fr", "locale-current_time_zone": "",
            "theme-theme": "system", "theme-density": "default", "theme-contrast": "system",
            "theme-keyboard_shortcuts": "on",
        },
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert member.first_name == "Grace"  # the form was processed: the name did change
    assert member.email == "member@example.org"
    assert member.check_password(PASSWORD)
    assert list(EmailAddress.objects.filter(user=member).values_list("email", flat=True)) == [member.email]


def test_password_change_through_allauth_tells_the_address(client, member):
    client.cookies["django_language"] = "en"
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "an-other-Secret-987", "password2": "an-other-Secret-987"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert member.check_password("an-other-Secret-987")
    assert [message.to for message in mail.outbox] == [[member.email]]
    assert "password" in mail.outbox[0].subject.lower()
