"""Public pages served from the cache to anonymous visitors.

Why: the home page, a bureau, its decision register, a protocol and its versions, a published report
are read mostly by visitors who are not signed in, and change only when someone publishes, decides
or withdraws consent. Rendering them costs 2 to 10 times a bare Wagtail page (`make bench`, issue 15);
a copy from the cache costs less than the bare page.

What is cached: the response of a view that says it may be (`cacheable` on a route view, `mark` in
a page's `get_context`), to a GET by a visitor who carries neither a session cookie nor a messages
cookie (so certainly anonymous, with nothing pending to show), when the response is a 200 that sets
no cookie, wrote nothing to the session and queued no message, and the query string is empty or a
page number (`QUERY_PARAMETERS`: made-up parameters are rendered, not stored). A page with a form and
its CSRF token sets the CSRF cookie, so it is never cached (base.html's language switcher has no token
for that reason: `bec_site.urls`). Nothing a signed-in person sees is ever cached or served from here.

The key is the scheme, the host (the Wagtail site), the full path with its query string and the
active language (the visitor's language cookie, `bec_site.middleware.FrenchFirstLocaleMiddleware`).
Each copy remembers the generation token it was rendered under; `changed()` replaces the token, so
every copy is out of date at once. It is called, now and again after the commit (a request that
read the old rows before the commit cannot keep them under the new token), on: a page published,
unpublished, moved, renamed or deleted, a view restriction or a site changed (Wagtail's signals);
a decision recorded, a proposal, a membership, a college, a decision rule, a resource or its themes
saved or deleted (`commons.signal_handlers`); a protocol or report version recorded, an excerpt, an
observation, an interview or an AI tool saved or deleted (`studies.signal_handlers`); a consent
record, a consent form, a collective or an informant saved or deleted.

Consent is not left to the signals: a withdrawal made with a bare ``QuerySet.update()`` sends none,
and a withdrawal date can simply pass. A page that shows participants' material (a report's quotes:
``quotes=True``) keeps with its copy the consents in force when it was rendered (every current
consent record: its party and scopes, `consent_state`, one query on a small table) and compares them
on every hit: any difference and the page is rendered again. So a withdrawn quote never comes out of
the cache; such a hit costs one query, any other hit none. Other writes that send no signal
(``bulk_create``, ``update()`` elsewhere) show within ``BEC_PAGE_CACHE_SECONDS``.

Across server processes the token must live in a shared cache (Redis, `REDIS_URL`), as for the
sessions and the rate limits (`manage.py check --deploy` warns otherwise).
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

GENERATION_KEY = "commons:page_cache:generation"
KEY_PREFIX = "commons:page_cache:page:"
_STATE = "_bec_page_cache"


def enabled() -> bool:
    return bool(getattr(settings, "BEC_PAGE_CACHE", True))


def timeout() -> int:
    return int(getattr(settings, "BEC_PAGE_CACHE_SECONDS", 300))


def _new_token() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def changed(*args: Any, **kwargs: Any) -> None:
    """Every cached page is out of date (a signal receiver: any arguments)."""
    _new_token()
    transaction.on_commit(_new_token)


def consent_state() -> str:
    """A digest of every consent record in force now: its party and its scopes (one query).

    All of them, whoever the party: a withdrawal anywhere changes it, as does a withdrawal date
    that has just passed (`current()` is read at the time of the request).
    """
    from participants.models import ConsentRecord

    rows = (
        ConsentRecord.objects.current()
        .order_by("pk")
        .values_list("pk", "collective_id", "informant_id", "scopes")
    )
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


@dataclass
class _State:
    """What the middleware knows of a request it may serve or store."""

    key: str
    generation: str
    cacheable: bool = False
    quotes: bool = False
    consent: str | None = None


def mark(request: HttpRequest, *, quotes: bool) -> None:
    """This request's response may be cached for anonymous visitors.

    `quotes`: the page shows participants' material, so its copy is checked against the consents in
    force on every hit. Read here, before the view reads anything: a withdrawal made while the page
    renders then differs from what is stored with it. Does nothing for a request the middleware
    does not consider (signed in, not a GET, the cache off).
    """
    state = getattr(request, _STATE, None)
    if state is None:
        return
    state.cacheable = True
    if quotes and not state.quotes:
        state.quotes = True
        state.consent = consent_state()


def cacheable(*, quotes: bool) -> Callable:
    """Decorate a public route view `view(request, page, ...)`: its response may be cached (`mark`)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            mark(request, quotes=quotes)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _eligible(request: HttpRequest) -> bool:
    """A GET from a visitor who is certainly anonymous and has no message waiting."""
    if request.method != "GET" or not enabled():
        return False
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME not in cookies
        and CookieStorage.cookie_name not in cookies
        and "HTTP_AUTHORIZATION" not in request.META
    )


def _key(request: HttpRequest) -> str:
    parts = "\n".join(
        (request.scheme or "", request.get_host(), request.get_full_path(), translation.get_language() or "")
    )
    return KEY_PREFIX + hashlib.sha256(parts.encode()).hexdigest()


#: Query parameters a cached page may have (the register's pages): any other query string is rendered
#: but not stored, so that made-up parameters cannot fill the cache with copies of one page.
QUERY_PARAMETERS = frozenset({"page"})


def _plain_query(request: HttpRequest) -> bool:
    return all(
        name in QUERY_PARAMETERS and all(value.isdigit() and len(value) <= 6 for value in values)
        for name, values in request.GET.lists()
    )


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if not _plain_query(request):
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False
    control = response.get("Cache-Control", "").lower()
    if any(word in control for word in ("private", "no-store", "no-cache")):
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    messages = getattr(request, "_messages", None)
    if messages is not None and getattr(messages, "_queued_messages", None):
        return False
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


class PublicPageCacheMiddleware:
    """Serve and store the cacheable pages of anonymous visitors (see the module's docstring).

    Placed after the session and locale middleware (the language is known) and before everything
    else: a hit skips CSRF, authentication, messages and the view. A stored copy is the response as
    the inner middleware left it; the outer ones (security headers, CSP) run on every hit.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _eligible(request):
            return self.get_response(request)
        key = _key(request)
        found = cache.get_many([GENERATION_KEY, key])
        generation = found.get(GENERATION_KEY)
        if generation is None:
            cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
            generation = cache.get(GENERATION_KEY) or ""
        entry = found.get(key)
        if entry is not None and entry["generation"] == generation:
            if entry["consent"] is None or entry["consent"] == consent_state():
                return _from_entry(entry)
        state = _State(key=key, generation=generation)
        setattr(request, _STATE, state)
        response = self.get_response(request)
        if state.cacheable and _storable(request, response):
            # A signed-in visitor gets another page at the same address: say so to any cache on the way.
            patch_vary_headers(response, ("Cookie",))
            cache.set(key, _to_entry(state, response), timeout())
        return response


def _to_entry(state: _State, response: HttpResponse) -> dict:
    return {
        "generation": state.generation,
        "consent": state.consent if state.quotes else None,
        "headers": list(response.items()),
        "content": response.content,
    }


def _from_entry(entry: dict) -> HttpResponse:
    response = HttpResponse(entry["content"])
    for name, value in entry["headers"]:
        response[name] = value
    return response
