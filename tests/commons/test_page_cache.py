"""Public pages from the cache for anonymous visitors (`commons.page_cache`, issue 15, goal 3).

Hits and misses, never for a signed-in visitor or one with a session or a message, one copy per
language, no cookie in a copy, what a hit costs (no query; one for a page with quotes), and every
event that makes the copies out of date — above all a consent withdrawn with a bare `update()`,
which sends no signal: the quote leaves the public page on the next request.
"""

from __future__ import annotations

from html import unescape

import pytest
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from commons import page_cache
from commons.models import Role
from commons.rules import ensure_default_rules
from participants.models import ConsentRecord
from tests.commons.test_decision_register import decide
from tests.studies.report_helpers import code, coded_note, make_report, quote, withdraw

pytestmark = pytest.mark.django_db

QUOTE = "Nous traduisons nos affiches avec l'IA."


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.BEC_PAGE_CACHE = True


def get(client: Client, url: str, status: int = 200) -> tuple[int, str, object]:
    """One GET: (queries, text, response)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return len(ctx.captured_queries), unescape(response.content.decode()), response


@pytest.fixture
def site(bureau, study, people, make_protocol, make_collective):
    """A bureau with a decision, a study with a published protocol and a published report quoting a
    collective's passage."""
    ensure_default_rules(bureau)
    decide(bureau, people["coordinator"], [people["member"], people["coordinator"]], title="Adopter la charte")
    protocol = make_protocol(study)
    party = make_collective(bureau, "Nom Réel Du Collectif")
    excerpt = coded_note(study, party, people["member"], code(study), QUOTE)
    report = make_report(study, [quote(excerpt, "Un usage typique.")], user=people["member"])
    report.get_latest_revision().publish()
    report.refresh_from_db()
    assert report.live
    return {
        "home": "/",
        "bureau": bureau.url,
        "register": f"{bureau.url}decisions/",
        "protocol": protocol.url,
        "protocol-versions": f"{protocol.url}versions/",
        "protocol-v1": f"{protocol.url}v/1/",
        "protocol-diff": f"{protocol.url}v/1/diff/",
        "report": report.url,
        "report-versions": f"{report.url}versions/",
        "report-v1": f"{report.url}v/1/",
        "party": party,
        "protocol_page": protocol,
        "report_page": report,
    }


PUBLIC_PAGES = ["home", "bureau", "register", "protocol", "protocol-versions", "protocol-v1", "protocol-diff",
                "report", "report-versions", "report-v1"]  # fmt: skip


def test_every_public_page_is_served_from_the_cache_the_second_time(site):
    client = Client()
    for name in PUBLIC_PAGES:
        first, html, response = get(client, site[name])
        assert first > 0
        assert not response.cookies, name  # no CSRF cookie, no session: nothing personal in the copy
        assert "Cookie" in response["Vary"]
        hit, again, response = get(client, site[name])
        assert again == html, name
        assert not response.cookies
        # No query at all; a page with quotes reads the consents in force (one query).
        assert hit == (1 if name.startswith("report") else 0), (name, hit)
    assert QUOTE in get(client, site["report"])[1]


def test_a_hit_costs_the_same_whatever_the_size(site, bureau, people, make_collective, study, make_person):
    client = Client()
    for name in ("bureau", "report"):
        get(client, site[name])
    small = [get(client, site[name])[0] for name in ("bureau", "report")]
    for _ in range(5):
        make_person(bureau, Role.MEMBER)
        party = make_collective(bureau)
        coded_note(study, party, people["member"], code(study, f"code-{party.pk}"), "Encore.")
    for name in ("bureau", "report"):
        get(client, site[name])  # out of date after those writes: rendered again
    assert [get(client, site[name])[0] for name in ("bureau", "report")] == small == [0, 1]


def test_a_signed_in_visitor_is_never_served_nor_stored(site, people):
    member = Client()
    member.force_login(people["member"])
    count, html, response = get(member, site["bureau"])
    assert "/accounts/logout/" in html
    # The member's page was not stored for anonymous visitors...
    first, anonymous, _response = get(Client(), site["bureau"])
    assert first > 0 and "/accounts/logout/" not in anonymous
    assert get(Client(), site["bureau"])[0] == 0
    # ...and the anonymous copy is not served to the member.
    again, html, _response = get(member, site["bureau"])
    assert again > 0 and "/accounts/logout/" in html


@pytest.mark.parametrize(
    "cookie", ["sessionid", CookieStorage.cookie_name], ids=["session", "messages"]
)
def test_a_visitor_with_a_session_or_a_message_waiting_gets_the_page_rendered(site, cookie):
    get(Client(), site["bureau"])
    assert get(Client(), site["bureau"])[0] == 0
    client = Client()
    client.cookies[cookie] = "anything"
    assert get(client, site["bureau"])[0] > 0


def test_one_copy_per_language(site, settings):
    french, english = Client(), Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    get(french, site["bureau"])
    _count, html, response = get(english, site["bureau"])
    assert '<html lang="en">' in html and response["Content-Language"] == "en"
    hits = [get(french, site["bureau"]), get(english, site["bureau"])]
    assert [count for count, _html, _response in hits] == [0, 0]
    assert '<html lang="fr">' in hits[0][1] and '<html lang="en">' in hits[1][1]
    assert hits[0][2]["Content-Language"] == "fr" and hits[1][2]["Content-Language"] == "en"
    assert "Accept-Language" in hits[0][2]["Vary"] and "Cookie" in hits[0][2]["Vary"]


def test_the_language_switcher_needs_no_csrf_token(site, settings):
    client = Client(enforce_csrf_checks=True)
    html = get(client, site["bureau"])[1]
    assert "csrfmiddlewaretoken" not in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": site["bureau"]})
    assert response.status_code == 302 and response.url == site["bureau"]
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in get(client, site["bureau"])[1]
    outside = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert outside.url == "/"  # `next` must stay on this site (Django's check)


# --- Out of date: every event that changes a public page -------------------------------------------


def cached(client: Client, url: str) -> str:
    get(client, url)
    count, html, _response = get(client, url)
    assert count <= 1
    return html


def test_a_withdrawal_by_a_bare_update_takes_the_quote_off_at_once(site):
    client = Client()
    for url in (site["report"], site["report-v1"]):
        assert QUOTE in cached(client, url)
    token = cache.get(page_cache.GENERATION_KEY)
    withdraw(site["party"])  # QuerySet.update(): no signal at all
    assert cache.get(page_cache.GENERATION_KEY) == token
    for url in (site["report"], site["report-v1"]):
        assert QUOTE not in get(client, url)[1]
    assert QUOTE not in get(client, site["report"])[1]  # and the new copy is the one kept


def test_scopes_narrowed_by_update_take_the_quote_off(site):
    client = Client()
    assert QUOTE in cached(client, site["report"])
    ConsentRecord.objects.filter(collective=site["party"]).update(scopes=["observation"])
    assert QUOTE not in get(client, site["report"])[1]


def test_a_withdrawal_saved_through_the_model_takes_the_quote_off(site):
    from django.utils import timezone

    client = Client()
    assert QUOTE in cached(client, site["report"])
    record = ConsentRecord.objects.get(collective=site["party"])
    record.withdrawn_at = timezone.now()
    record.save()
    assert QUOTE not in get(client, site["report"])[1]


def test_publishing_a_page_renews_the_copies(site, bureau):
    client = Client()
    assert "BEC test" in cached(client, site["bureau"])
    assert "BEC test" in cached(client, site["home"])
    bureau.title = "Bureau renommé"
    bureau.save_revision().publish()
    assert "Bureau renommé" in get(client, site["bureau"])[1]
    assert "Bureau renommé" in get(client, site["home"])[1]


def test_unpublishing_or_deleting_a_page_removes_it(site, bureau, make_study):
    client = Client()
    cached(client, site["protocol"])
    site["protocol_page"].unpublish()
    get(client, site["protocol"], status=404)
    passing = make_study(bureau, "Étude éphémère")
    assert "Étude éphémère" in cached(client, site["bureau"])
    passing.delete()
    assert "Étude éphémère" not in get(client, site["bureau"])[1]


def test_moving_a_page_moves_its_copy(site, study, other_bureau):
    client = Client()
    old = site["protocol"]
    cached(client, old)
    study.move(other_bureau, pos="last-child")
    moved = get(client, old, status=301)[2]  # Wagtail's automatic redirect, not the old copy
    get(client, moved.url)


def test_a_private_page_is_not_served_from_the_cache(site):
    client = Client()
    cached(client, site["protocol"])
    PageViewRestriction.objects.create(page=site["protocol_page"], restriction_type=PageViewRestriction.LOGIN)
    assert get(client, site["protocol"], status=302)[2].url.startswith("/accounts/login/")


def test_a_decision_renews_the_register(site, bureau, people):
    client = Client()
    assert "Adopter la charte" in cached(client, site["register"])
    decide(bureau, people["coordinator"], [people["member"], people["coordinator"]], title="Ouvrir un atelier")
    html = get(client, site["register"])[1]
    assert "Ouvrir un atelier" in html and "Adopter la charte" in html


def test_a_new_protocol_version_renews_its_pages(site):
    client = Client()
    assert "v2" not in cached(client, site["protocol-versions"])
    protocol = site["protocol_page"]
    protocol.change_summary = "Deuxième version."
    protocol.save_revision().publish()
    assert "Deuxième version." in get(client, site["protocol-versions"])[1]
    get(client, f"{site['protocol']}v/2/")


def test_a_membership_renews_the_bureau_page(site, bureau, make_person):
    client = Client()
    before = cached(client, site["bureau"])
    make_person(bureau, Role.MEMBER)
    assert get(client, site["bureau"])[1] != before


# --- What is never stored ---------------------------------------------------------------------------


def _through_middleware(view, **request_attrs) -> tuple[bool, HttpResponse]:
    """Run `view` behind the middleware for an anonymous GET; was a copy stored?"""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.cache import SessionStore
    from django.utils import translation

    request = RequestFactory().get("/quelque-part/")
    request.session = SessionStore()
    request.user = AnonymousUser()
    for name, value in request_attrs.items():
        setattr(request, name, value)

    def get_response(request):
        page_cache.mark(request, quotes=False)
        return view(request)

    with translation.override("fr"):
        response = page_cache.PublicPageCacheMiddleware(get_response)(request)
        stored = cache.get(page_cache._key(request)) is not None
    return stored, response


def test_a_plain_cacheable_response_is_stored():
    assert _through_middleware(lambda request: HttpResponse("ok"))[0]


def _with_cookie(request):
    response = HttpResponse("ok")
    response.set_cookie("csrftoken", "x")
    return response


def _session_written(request):
    request.session["seen"] = True
    return HttpResponse("ok")


def _message_queued(request):
    from django.contrib import messages
    from django.contrib.messages.storage.fallback import FallbackStorage

    request._messages = FallbackStorage(request)
    messages.info(request, "Bonjour")
    return HttpResponse("ok")


def _private(request):
    response = HttpResponse("ok")
    response["Cache-Control"] = "private"
    return response


def _csrf_used(request):
    from django.middleware.csrf import get_token

    get_token(request)
    return HttpResponse("ok")


@pytest.mark.parametrize(
    "view",
    [_with_cookie, _session_written, _message_queued, _private, _csrf_used,
     lambda request: HttpResponse("absent", status=404)],
    ids=["cookie", "session", "message", "private", "csrf", "404"],
)  # fmt: skip
def test_responses_that_are_personal_or_failed_are_never_stored(view):
    assert not _through_middleware(view)[0]


def test_only_a_page_number_may_be_in_the_query_string_of_a_copy(site):
    client = Client()
    for query, stored in (("?page=2", True), ("?page=x", False), ("?utm_source=lettre", False)):
        url = site["register"] + query
        get(client, url)
        assert (get(client, url)[0] == 0) is stored, query


def test_nothing_is_stored_when_the_cache_is_off(settings):
    settings.BEC_PAGE_CACHE = False
    assert not _through_middleware(lambda request: HttpResponse("ok"))[0]


def test_a_decision_rule_renamed_renews_the_bureau_page(site, bureau):
    from commons.models import DecisionRule

    client = Client()
    rule = DecisionRule.objects.filter(bureau=bureau, kinds__isnull=False).first()
    assert rule.name in cached(client, site["bureau"])
    rule.name = "Majorité renommée"
    rule.save()
    assert "Majorité renommée" in get(client, site["bureau"])[1]


def test_a_collective_renamed_in_its_pseudonym_renews_the_quote(site):
    client = Client()
    party = site["party"]
    assert party.code in cached(client, site["report"])
    party.code = "C-99"
    party.save()
    assert "C-99" in get(client, site["report"])[1]
