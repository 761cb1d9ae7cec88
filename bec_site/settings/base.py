"""Settings shared by every environment.

Everything that differs between a laptop and a server comes from the environment, with safe
development defaults, so the same code runs the demo, the tests and production.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SITE_DIR = BASE_DIR / "bec_site"


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean from the environment ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated list from the environment."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "bec_site",
    "participants",
    "commons",
    "studies",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "bec_site.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "bec_site.middleware.FrenchFirstLocaleMiddleware",
    # Public pages from the cache for anonymous visitors; once the language is known, before the rest.
    "commons.page_cache.PublicPageCacheMiddleware",
    "django.middleware.common.CommonMiddleware",
    "bec_site.request_checks.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with each person's permissions read from the cache (participants.permission_cache).
    "participants.permission_cache.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "bec_site.middleware.SiteErrorPagesMiddleware",
]

ROOT_URLCONF = "bec_site.urls"

# --- Content-Security-Policy (django-csp) on every response: only this site's own files run.
# No inline script anywhere on the public site (an injected <script> or onclick= does not run).
# Inline *style attributes* are allowed (`style-src-attr`), not <style> elements: templates colour
# codes with `style="--c: #hex"` (values checked by the models); a style attribute cannot run code
# and url() in it may only load from this site (img-src). Under /admin/ Wagtail needs inline
# scripts and styles (bec_site.middleware.ContentSecurityPolicyMiddleware).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    }
}
BEC_ADMIN_CSP_PREFIX = "/admin/"
BEC_ADMIN_CSP_UPDATE = {
    "script-src": [UNSAFE_INLINE],
    "style-src": [UNSAFE_INLINE],
    "img-src": ["blob:"],
}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Django's form renderer, with plain <select> widgets written in Python (commons/form_rendering.py:
# a hundred options through two template includes each cost more than the filter's SQL).
FORM_RENDERER = "commons.form_rendering.QuickSelectRenderer"

WSGI_APPLICATION = "bec_site.wsgi.application"

# --- Database: SQLite by default, PostgreSQL (or anything dj-database-url reads) through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and a writer work at once (gunicorn workers, background tasks).
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: the planner switches it on for any query it guesses to be costly (the
    # analysis tables' aggregates over every excerpt), and compiling then takes longer than running
    # the query — 2.4 s of a 5.4 s co-occurrence query at 100,000 observations (`make bench`).
    DATABASES["default"].setdefault("OPTIONS", {})
    options = DATABASES["default"]["OPTIONS"].get("options", "")
    if "jit" not in options:
        DATABASES["default"]["OPTIONS"]["options"] = f"{options} -c jit=off".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Django's built-in Redis cache when REDIS_URL is set, local memory otherwise.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions are read from the cache and written through to the database: a signed-in request no
# longer costs a session query (issue 15, « signed in costs little »), and a restart or a cache
# eviction loses nobody's login. Across workers this needs the shared cache (REDIS_URL), which
# production requires (`check --deploy` warns without it).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Public pages (home, bureaus, registers, protocols, published reports) served to anonymous visitors
# from the cache, renewed on every publication, decision and consent change (commons.page_cache);
# BEC_PAGE_CACHE_SECONDS bounds how late a write that sends no signal shows (never a consent's).
BEC_PAGE_CACHE = env_bool("BEC_PAGE_CACHE", True)
BEC_PAGE_CACHE_SECONDS = int(os.environ.get("BEC_PAGE_CACHE_SECONDS", "300"))

# --- Email: EMAIL_URL (smtp://user:pass@host:port, smtp+tls://..., console://) or the console.
EMAIL_URL = os.environ.get("EMAIL_URL", "console://")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "BEC <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def _email_settings(url: str) -> dict[str, object]:
    """Translate EMAIL_URL into Django's EMAIL_* settings (no extra dependency needed)."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme in {"console", ""}:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme in {"smtp", "smtp+tls", "submission", "smtps", "smtp+ssl"}:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port
            or (
                465
                if scheme in {"smtps", "smtp+ssl"}
                else 587
                if "tls" in scheme or scheme == "submission"
                else 25
            ),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": scheme in {"smtp+tls", "submission"},
            "EMAIL_USE_SSL": scheme in {"smtps", "smtp+ssl"},
        }
    raise ValueError(f"EMAIL_URL: unsupported scheme {scheme!r}")


globals().update(_email_settings(EMAIL_URL))

# --- Authentication: django-allauth for the site *and* the Wagtail admin.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "commons.accounts.InvitationAccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "participants.forms.SignupProfileForm"
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, spelled out so they are visible and tested.
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[BEC] "
# allauth names people (« Connecté en tant que … », emails) by their display name, as the site does.
ACCOUNT_USER_DISPLAY = "participants.models.display_name"
# A changed primary address, a changed or reset password, a removed address: the account's
# (old) address is told, so a hijacked session cannot quietly take the account over.
ACCOUNT_EMAIL_NOTIFICATIONS = True
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", "wagtail-bec")

# --- Wagtail
WAGTAIL_SITE_NAME = os.environ.get("WAGTAIL_SITE_NAME", "wagtail-bec")
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_FRONTEND_LOGIN_URL = "account_login"
# Email addresses and passwords are allauth's (verification, notification to the old address,
# rate limits): the admin's account page keeps the name only and links to allauth's pages
# (bec_site.wagtail_hooks); its password-reset pages redirect to allauth's (bec_site.urls).
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("fr", "Français"), ("en", "English")]
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None  # no third-party request from members' browsers (privacy)
WAGTAILADMIN_COMMENTS_ENABLED = True
# The bureau's vote publishes the revision it voted on, not whatever was saved since (commons.workflow).
WAGTAIL_FINISH_WORKFLOW_ACTION = "commons.publishing.publish_voted_revision"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = [
    "csv",
    "docx",
    "key",
    "odt",
    "pdf",
    "pptx",
    "rtf",
    "txt",
    "xlsx",
    "zip",
    "mp3",
    "m4a",
    "ogg",
    "wav",
    "webm",
]
TAGGIT_CASE_INSENSITIVE = True

# --- Background work (django-tasks). Immediate in development: nothing extra to run.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")
    }
}

# --- Internationalisation: French first.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
# The site's own catalogue (first: `makemessages` writes there), then allauth's strings in the site's
# French (« courriel »); both win over allauth's own catalogue.
LOCALE_PATHS = [BASE_DIR / "bec_site" / "locale", BASE_DIR / "bec_site" / "locale_allauth"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

# --- Static and media files
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Documents go through Wagtail's view (permission and consent hooks), never a direct file URL:
# MEDIA_ROOT/documents/ must not be exposed by the web server.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Invitations
BEC_INVITATION_DAYS = int(os.environ.get("BEC_INVITATION_DAYS", "14"))
# The largest interview recording accepted, in megabytes (studies.uploads).
BEC_RECORDING_MAX_BYTES = int(os.environ.get("BEC_MAX_RECORDING_MB", "200")) * 1024 * 1024

# --- Personal data (commons.views.member_data, the privacy page): a member's archive holds at most
# this many rows per kind of data, and a member may build this many archives an hour.
BEC_DATA_EXPORT_MAX_ROWS = int(os.environ.get("BEC_DATA_EXPORT_MAX_ROWS", "20000"))
BEC_DATA_EXPORT_PER_HOUR = int(os.environ.get("BEC_DATA_EXPORT_PER_HOUR", "5"))
# Past this many rows (ballot history, comments, observations, interviews, excerpts, memos), the
# archive is built by a background task (TASKS) and a link is emailed; the link works this many hours.
# The archives wait in BEC_DATA_EXPORT_DIR, outside MEDIA_ROOT: never served as files.
BEC_DATA_EXPORT_BACKGROUND_ROWS = int(os.environ.get("BEC_DATA_EXPORT_BACKGROUND_ROWS", "2000"))
BEC_DATA_EXPORT_LINK_HOURS = int(os.environ.get("BEC_DATA_EXPORT_LINK_HOURS", "48"))
BEC_DATA_EXPORT_DIR = Path(os.environ.get("BEC_DATA_EXPORT_DIR", BASE_DIR / "private" / "exports"))
# Leaving the platform (issue 16): a coordinator confirms a member's erasure; past this many days
# without one, the member confirms it alone (the GDPR's one month to answer a request).
BEC_LEAVE_SELF_CONFIRM_DAYS = int(os.environ.get("BEC_LEAVE_SELF_CONFIRM_DAYS", "30"))
# Who answers questions about personal data (the privacy page shows it): an address, or empty.
BEC_PRIVACY_CONTACT = os.environ.get("BEC_PRIVACY_CONTACT", "")

# --- REFI-QDA exchange (studies.exchange.archive): what an imported file may weigh. A project past
# any of these is refused before anything is read from it (zip bombs, oversized entries).
BEC_EXCHANGE_MAX_ARCHIVE_BYTES = int(os.environ.get("BEC_EXCHANGE_MAX_ARCHIVE_MB", "100")) * 1024 * 1024
BEC_EXCHANGE_MAX_UNCOMPRESSED_BYTES = (
    int(os.environ.get("BEC_EXCHANGE_MAX_UNCOMPRESSED_MB", "500")) * 1024 * 1024
)
BEC_EXCHANGE_MAX_ENTRIES = int(os.environ.get("BEC_EXCHANGE_MAX_ENTRIES", "5000"))
BEC_EXCHANGE_MAX_RATIO = int(os.environ.get("BEC_EXCHANGE_MAX_RATIO", "100"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
