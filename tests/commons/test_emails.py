"""Issue 11 item 11: every email the site sends has a plain-text subject (no HTML entities) and links
built from the site's configured root (`WAGTAILADMIN_BASE_URL`), whatever host the request used."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from commons import actions
from commons.emails import site_url
from commons.models import DecisionRule, Role

pytestmark = pytest.mark.django_db

ROOT = "https://bec.example.coop"
ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#x?[0-9a-fA-F]+);")


@pytest.fixture(autouse=True)
def _root(settings):
    settings.WAGTAILADMIN_BASE_URL = ROOT + "/"
    settings.ALLOWED_HOSTS = ["*"]


def _check(message) -> None:
    assert not ENTITY.search(message.subject), message.subject
    assert not ENTITY.search(message.body), message.body
    links = re.findall(r"https?://[^\s»]+", message.body)
    assert links, message.body
    for link in links:
        assert link.startswith(ROOT + "/"), link


def test_site_url_builds_every_link_on_the_configured_root(settings):
    assert site_url("/a/b/?x=1#y") == ROOT + "/a/b/?x=1#y"
    assert site_url("http://127.0.0.1:8000/accounts/confirm/k/") == ROOT + "/accounts/confirm/k/"


def test_governance_emails_are_plain_text_with_links_on_the_site_root(bureau, people, django_capture_on_commit_callbacks):
    bureau.title = "BEC IA générative & ESS"
    bureau.save()
    rule = DecisionRule.objects.create(bureau=bureau, name="Règle & co", method="majority")
    author = people["coordinator"]
    with django_capture_on_commit_callbacks(execute=True):
        proposal = actions.create_proposal(bureau, author, title="L'IA & nous : « essai »", body="Texte.", rule=rule)
        actions.open_proposal(proposal, author, closes_at=timezone.now() + timedelta(hours=72))
    assert mail.outbox
    for message in mail.outbox:
        _check(message)
        assert "L'IA & nous" in message.subject


def test_invitation_email_is_plain_text_with_a_link_on_the_site_root(client, bureau, people):
    bureau.title = "BEC IA générative & ESS"
    bureau.save()
    client.force_login(people["coordinator"])
    response = client.post(f"{bureau.url}members/invite/", {"email": "new@example.org", "role": "observer"},
                           HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 302
    (message,) = mail.outbox
    _check(message)
    assert "BEC IA générative & ESS" in message.subject


def test_allauth_emails_are_plain_text_with_links_on_the_site_root(client, make_person, settings):
    settings.ACCOUNT_EMAIL_SUBJECT_PREFIX = "[BEC & co] "
    user = make_person(email="reset@example.org", first_name="Zoé", last_name="D'Arc")
    client.post("/accounts/password/reset/", {"email": user.email}, HTTP_HOST="127.0.0.1:8000")
    (message,) = mail.outbox
    _check(message)
    assert message.subject.startswith("[BEC & co] ")


def test_login_message_uses_the_display_name(client, make_person, bureau):
    user = make_person(bureau, Role.MEMBER, email="ada@example.org", first_name="Ada", last_name="Lovelace")
    from participants.models import display_name
    from tests.conftest import PASSWORD

    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}, follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert any(display_name(user) in text for text in texts), texts
    assert not any(user.username in text for text in texts if user.username != display_name(user)), texts
