"""Development: DEBUG on, an insecure key, console email. Used by `make demo` and manage.py."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
# The demo is walked by non-developers: the site's own French 404 and 500 pages, even with DEBUG
# (bec_site.middleware.SiteErrorPagesMiddleware). SITE_ERROR_PAGES_IN_DEBUG=0 shows Django's technical pages.
SITE_ERROR_PAGES_IN_DEBUG = env_bool("SITE_ERROR_PAGES_IN_DEBUG", True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-change-me"  # noqa: F405
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WHITENOISE_AUTOREFRESH = True
