"""Tests: fast hashing, in-memory email, immediate tasks, DATABASE_URL still honoured for PostgreSQL."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = False
SECRET_KEY = "test-only-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Off unless a test turns it on (tests/commons/test_page_cache.py): the query counts of the public
# pages measure their rendering, not a copy from the cache. BEC_PAGE_CACHE=1 runs the suite with it.
BEC_PAGE_CACHE = env_bool("BEC_PAGE_CACHE", False)
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
WAGTAILADMIN_BASE_URL = "http://testserver"

# One test database per checkout on a shared PostgreSQL server (pytest-xdist adds _gw0, _gw1...):
# two clones or worktrees testing at once would otherwise drop each other's database.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":  # noqa: F405
    import zlib

    _checkout = f"{zlib.crc32(str(BASE_DIR).encode()):08x}"  # noqa: F405
    DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_{DATABASES['default']['NAME']}_{_checkout}"  # noqa: F405
