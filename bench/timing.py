"""`Server-Timing: app;dur=<ms>` on every response the benchmark's gunicorn serves.

The load generator's latency includes the wait in gunicorn's queue (8 clients for 2 sync workers),
which says how a page compares with others but not how long one request takes. This middleware,
first in `bench.settings.MIDDLEWARE`, times what the worker spends in Django on each request (every
other middleware, the view, the template, the database round trips), and `bench.loadgen` reads the
header into the « server ms » column. Only the benchmark's settings install it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "Server-Timing"


class ServerTimingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        response[HEADER] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response
