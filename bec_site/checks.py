"""System checks of our own, run by `manage.py check --deploy`."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning

#: Cache backends whose counts live in one process: each gunicorn worker would keep its own.
PER_PROCESS_CACHES = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    }
)


@register(Tags.caches, Tags.security, deploy=True)
def shared_cache_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Warn when the default cache is not shared between processes.

    Why: allauth's rate limits (login attempts, password resets, confirmation emails) count in the
    cache; with several gunicorn workers and a per-process cache each worker counts on its own, so
    the limits multiply by the number of workers, and a dummy cache disables them. The cached public
    pages (`commons.page_cache`) and permissions (`participants.permission_cache`) are renewed by a
    token in the cache: with a per-process cache, a publication renews only the copies of the
    process that made it, and the others show the old page until they expire.
    """
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in PER_PROCESS_CACHES:
        return [
            CheckWarning(
                f"The default cache ({backend.rsplit('.', 1)[-1]}) is not shared between server processes: "
                "rate limits on login and password reset would count per process, and cached public "
                "pages would be renewed in one process only.",
                hint="Set REDIS_URL (redis://host:6379/0) so every worker shares one cache.",
                id="bec_site.W001",
            )
        ]
    return []
