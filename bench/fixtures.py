"""Database fixtures for the benchmark, run inside Django (`manage.py shell -c`, see server.py).

Only ever pointed at the benchmark's own throwaway database.
"""

from __future__ import annotations

import json

BARE_SLUG = "bare"


def ensure_bare_page() -> dict[str, str]:
    """A published plain `wagtail.models.Page` titled "Bare" under the home page (idempotent).

    It renders `wagtailcore/page.html`, which `bench/settings.py` overrides with a template that
    extends base.html. Prints and returns the URLs of the pages the default targets measure.
    """
    from wagtail.models import Page

    from bec_site.models import HomePage
    from commons.demo import BUREAU_SLUG
    from commons.models import BureauPage

    home = HomePage.objects.get()
    bare = Page.objects.child_of(home).filter(slug=BARE_SLUG).first()
    if bare is None:
        bare = Page(title="Bare", slug=BARE_SLUG)
        home.add_child(instance=bare)
        bare.save_revision().publish()
    bare.refresh_from_db()
    if not bare.live or type(bare.specific) is not Page:
        raise SystemExit(f"page {bare.pk} ({bare.url_path}) is not a live plain wagtail Page")
    from studies.models import ProtocolPage, StudyReportPage

    bureau = BureauPage.objects.get(slug=BUREAU_SLUG)
    urls = {
        "home": home.url,
        "bureau": bureau.url,
        "bare": bare.url,
        "register": bureau.url + bureau.reverse_subpage("decision_register"),
    }
    # The public pages of the demo study: its protocol (and its first version), its published report.
    protocol = ProtocolPage.objects.live().descendant_of(bureau).order_by("path").first()
    if protocol is not None:
        urls["protocol"] = protocol.url
        urls["protocol-v1"] = protocol.url + "v/1/"
    report = StudyReportPage.objects.live().descendant_of(bureau).order_by("path").first()
    if report is not None:
        urls["report"] = report.url
    print(json.dumps(urls))
    return urls


#: Collectives `manage.py bec_seed` creates are named "… — charge NN": its observations are the
#: seeded ones (the demo's collectives are named otherwise).
SEEDED_COLLECTIVE_MARK = " — charge "


def _study(slug: str):
    from commons.demo import BUREAU_SLUG
    from studies.models import StudyPage

    study = StudyPage.objects.filter(slug=slug).order_by("path").first()
    if study is None:
        raise SystemExit(f"no study with slug {slug!r} (manage.py bec_demo creates usages-ia-generative)")
    if study.get_parent().slug != BUREAU_SLUG:
        print(f"note: study {slug!r} is not in the demo bureau {BUREAU_SLUG!r}")
    return study


def deep_cursor(rows, pages: int, per_page: int) -> str | None:
    """The `?after=` cursor that shows page `pages` of the list (rows `(pages-1)*per_page+1`…):
    the sort key of the last row of page `pages - 1`; None when the list is shorter. One OFFSET
    query here, once per run, so that the measured request is the cursor one."""
    from studies.keyset import Cursor

    index = (pages - 1) * per_page - 1
    if index < 0:
        return None
    row = rows.order_by("-observed_on", "-pk").only("pk", "observed_on")[index : index + 1].first()
    return str(Cursor.of(row)) if row else None


def study_state(slug: str, pages: int = 50) -> dict:
    """The study's URLs and how many observations it holds: in all, seeded, and listed (consented),
    and the cursor of the list's page `pages` (`deep_after`, None with fewer pages)."""
    from studies.models import Observation
    from studies.views.observations import PER_PAGE

    study = _study(slug)
    rows = Observation.objects.filter(study=study)
    state = {
        "study": study.url,
        "observations": study.url + "observations/",
        "total": rows.count(),
        "seeded": rows.filter(collective__name__contains=SEEDED_COLLECTIVE_MARK).count(),
        "listed": rows.consented().count(),
        "writing": rows.consented().filter(purposes__icontains='"writing"').count(),
        "deep_after": deep_cursor(rows.consented(), pages, PER_PAGE),
    }
    print(json.dumps(state))
    return state


def member_session(email: str, slug: str) -> dict:
    """A logged-in session for the member `email`, as if they had signed in with a password.

    Writes the session to the configured session store (the database by default, which gunicorn's
    workers share) and prints the cookie name and value, and the sign-out URL base.html shows to
    signed-in users (the preflight looks for it). Refuses a user who is not on the study's team.
    """
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.urls import reverse

    from studies import permissions

    user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        raise SystemExit(f"no active user {email!r}")
    study = _study(slug)
    if not permissions.is_team(user, study):
        raise SystemExit(f"{email} is not on the team of {study.url}: the observation list would be a 404")
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    out = {
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "session_key": store.session_key,
        "logout_url": reverse("account_logout"),
        "can_contribute": permissions.can_contribute(user, study),
    }
    print(json.dumps(out))
    return out


def vacuum_analyze() -> str:
    """PostgreSQL: VACUUM ANALYZE after the bulk load (what autovacuum would soon do on its own), so
    the planner has statistics and the visibility map is set before measuring, not halfway through."""
    from django.db import connection

    if connection.vendor != "postgresql":
        print(json.dumps({"vacuum_analyze": False}))
        return connection.vendor
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(json.dumps({"vacuum_analyze": True}))
    return connection.vendor
