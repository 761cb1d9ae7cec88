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
    urls = {
        "home": home.url,
        "bureau": BureauPage.objects.get(slug=BUREAU_SLUG).url,
        "bare": bare.url,
    }
    print(json.dumps(urls))
    return urls
