"""Production settings plus `bench/templates`, so a plain Wagtail `Page` renders through base.html.

Used only by `bench/run.py` (DJANGO_SETTINGS_MODULE=bench.settings). The extra template directory
comes first and overrides Wagtail's own minimal `wagtailcore/page.html`, which does not extend
base.html; the bare comparison page then goes through the same layout, context processors and
middleware as the bureau page and differs from it only by what the bureau page adds. One middleware
is added in front, `bench.timing.ServerTimingMiddleware`, which reports the time spent in Django on
each request (`Server-Timing` header) for the « server ms » column.
"""

import copy

from bec_site.settings.production import *  # noqa: F403
from bec_site.settings.production import BASE_DIR, MIDDLEWARE, TEMPLATES

TEMPLATES = copy.deepcopy(TEMPLATES)
TEMPLATES[0]["DIRS"] = [BASE_DIR / "bench" / "templates", *TEMPLATES[0]["DIRS"]]

# First, so that it times every other middleware too: the « server ms » column (bench/timing.py).
MIDDLEWARE = ["bench.timing.ServerTimingMiddleware", *MIDDLEWARE]
