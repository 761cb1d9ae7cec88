"""Production: everything secure by default; the environment must provide SECRET_KEY, ALLOWED_HOSTS,
EMAIL_URL and WAGTAILADMIN_BASE_URL (the server refuses to start without them: a short key, emails
printed to a log instead of sent, links in emails pointing at 127.0.0.1 are all silent failures).

Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=1 so Django trusts X-Forwarded-Proto.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = False
MIN_SECRET_KEY_LENGTH = 50
if len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH:  # noqa: F405
    raise ImproperlyConfigured(
        f"SECRET_KEY must be set in the environment in production, at least {MIN_SECRET_KEY_LENGTH} "
        "random characters (python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )
if not os.environ.get("EMAIL_URL", "").strip():
    raise ImproperlyConfigured(
        "EMAIL_URL must be set in production (smtp+tls://user:password@host:587): without it, "
        "invitations, address confirmations and password resets would only be printed to the log."
    )
if not os.environ.get("WAGTAILADMIN_BASE_URL", "").strip().startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        "WAGTAILADMIN_BASE_URL must be set in production to the site's public address "
        "(https://bec.example.org): the links in emails are built from it."
    )

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"  # Wagtail marks its own preview views SAMEORIGIN
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Persistent database connections, checked before reuse: a worker keeps its connection between
# requests instead of opening one per request (3–5 ms on PostgreSQL, most of the time of a cached
# public page that still reads the consents in force: `commons.page_cache`). CONN_MAX_AGE=0 in the
# environment closes them after each request again.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
