"""A small closed-loop HTTP load generator: N threads, each sending GETs back to back.

`measure(url, duration, concurrency)` is the reusable entry point. Every run is bounded both in
time (`duration`) and in count (`max_requests`), and only talks to loopback addresses.

Each thread keeps one `http.client.HTTPConnection` and reuses it while the server keeps the
connection open. gunicorn's default *sync* workers answer `Connection: close`, so in practice
each request opens a new TCP connection (http.client reconnects transparently); that cost is
part of what a sync-worker deployment pays and is the same for every URL measured.
"""

from __future__ import annotations

import http.client
import math
import re
import statistics
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
DEFAULT_MAX_REQUESTS = 20_000
USER_AGENT = "wagtail-bec-bench/1"
MAX_ERROR_SAMPLES = 5


SERVER_TIMING = re.compile(r"(?:^|,)\s*app\s*;(?:[^,]*;)?\s*dur=([0-9.]+)")


def server_duration(header: str | None) -> float | None:
    """Seconds from a `Server-Timing: app;dur=<ms>` header (bench/timing.py), else None."""
    match = SERVER_TIMING.search(header or "")
    return float(match.group(1)) / 1000 if match else None


def percentile(sorted_values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of an already sorted list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


class _Budget:
    """A shared request counter: `take()` is False once `limit` requests have been started."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.started = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.limit is not None and self.started >= self.limit:
                return False
            self.started += 1
            return True


class _WorkerResult:
    def __init__(self) -> None:
        self.latencies: list[float] = []  # seconds, every request that got an HTTP status
        self.server: list[float] = []  # seconds, from the `Server-Timing: app;dur=` header when sent
        self.statuses: Counter[int] = Counter()
        self.exceptions: Counter[str] = Counter()
        self.error_samples: list[str] = []
        self.bytes = 0


def _worker(
    host: str,
    port: int,
    target: str,
    headers: dict[str, str],
    timeout: float,
    deadline: float,
    budget: _Budget,
    stop: threading.Event,
    expected_status: int,
    result: _WorkerResult,
) -> None:
    conn: http.client.HTTPConnection | None = None
    try:
        while not stop.is_set() and time.perf_counter() < deadline and budget.take():
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
            started = time.perf_counter()
            try:
                conn.request("GET", target, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                name = type(exc).__name__
                result.exceptions[name] += 1
                if len(result.error_samples) < MAX_ERROR_SAMPLES:
                    result.error_samples.append(f"{name}: {exc}")
                conn.close()
                conn = None
                continue
            result.latencies.append(time.perf_counter() - started)
            server = server_duration(response.getheader("Server-Timing"))
            if server is not None:
                result.server.append(server)
            result.statuses[response.status] += 1
            result.bytes += len(body)
            if response.status != expected_status and len(result.error_samples) < MAX_ERROR_SAMPLES:
                result.error_samples.append(f"HTTP {response.status}: {body[:200]!r}")
    finally:
        if conn is not None:
            conn.close()


def measure(
    url: str,
    duration: float = 8.0,
    concurrency: int = 8,
    *,
    max_requests: int | None = DEFAULT_MAX_REQUESTS,
    timeout: float = 10.0,
    headers: dict[str, str] | None = None,
    expected_status: int = 200,
    keep_latencies: bool = False,
) -> dict:
    """GET `url` from `concurrency` threads for `duration` seconds (or `max_requests` requests).

    Returns a JSON-serialisable dict: `requests` (completed, any outcome), `errors` (status other
    than `expected_status`, or a connection error/timeout), `rps` (completed requests per second
    of wall time), latency statistics in milliseconds over every request that got a response
    (`median_ms`, `p95_ms`, `p99_ms`, `mean_ms`, `min_ms`, `max_ms`), `statuses`, `exceptions`,
    `error_samples`, `bytes`, `mean_bytes`, and the parameters used; `server_median_ms` and
    `server_p95_ms` from the `Server-Timing: app;dur=` header (bench/timing.py; None without it).
    With `keep_latencies`, also every latency (`latencies_ms`, `server_latencies_ms`), which
    `combine()` needs.
    """
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"only http:// URLs are supported: {url!r}")
    if parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"the load generator only targets loopback addresses, not {parts.hostname!r}")
    if duration <= 0 or concurrency < 1:
        raise ValueError("duration must be > 0 and concurrency >= 1")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    all_headers = {"User-Agent": USER_AGENT, "Accept": "text/html,*/*"}
    all_headers.update(headers or {})

    budget = _Budget(max_requests)
    stop = threading.Event()
    results = [_WorkerResult() for _ in range(concurrency)]
    started = time.perf_counter()
    deadline = started + duration
    threads = [
        threading.Thread(
            target=_worker,
            args=(
                parts.hostname,
                parts.port or 80,
                target,
                all_headers,
                timeout,
                deadline,
                budget,
                stop,
                expected_status,
                result,
            ),
            name=f"loadgen-{index}",
            daemon=True,
        )
        for index, result in enumerate(results)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)  # short joins keep Ctrl-C responsive
    except BaseException:
        stop.set()
        raise
    elapsed = time.perf_counter() - started

    latencies: list[float] = []
    server: list[float] = []
    statuses: Counter[int] = Counter()
    exceptions: Counter[str] = Counter()
    error_samples: list[str] = []
    total_bytes = 0
    for result in results:
        latencies.extend(result.latencies)
        server.extend(result.server)
        statuses.update(result.statuses)
        exceptions.update(result.exceptions)
        error_samples.extend(result.error_samples)
        total_bytes += result.bytes
    summary = _summarise(
        url=url,
        duration=duration,
        concurrency=concurrency,
        max_requests=max_requests,
        elapsed=elapsed,
        latencies=latencies,
        server=server,
        statuses=statuses,
        exceptions=exceptions,
        error_samples=error_samples,
        total_bytes=total_bytes,
        expected_status=expected_status,
    )
    if keep_latencies:
        summary["latencies_ms"] = [round(latency * 1000, 3) for latency in latencies]
        summary["server_latencies_ms"] = [round(latency * 1000, 3) for latency in server]
    return summary


def combine(parts: list[dict], expected_status: int = 200) -> dict:
    """Merge several `measure(..., keep_latencies=True)` results for one URL into one summary.

    Used to interleave targets in rounds (A B B A ...) so that a machine whose load drifts
    during the run affects every target alike. Adds `rounds` and `rps_rounds`.
    """
    if not parts:
        raise ValueError("nothing to combine")
    if any("latencies_ms" not in part for part in parts):
        raise ValueError("combine() needs results measured with keep_latencies=True")
    statuses: Counter[int] = Counter()
    exceptions: Counter[str] = Counter()
    for part in parts:
        statuses.update({int(code): count for code, count in part["statuses"].items()})
        exceptions.update(part["exceptions"])
    summary = _summarise(
        url=parts[0]["url"],
        duration=sum(part["duration_s"] for part in parts),
        concurrency=parts[0]["concurrency"],
        max_requests=None
        if any(part["max_requests"] is None for part in parts)
        else sum(part["max_requests"] for part in parts),
        elapsed=sum(part["elapsed_s"] for part in parts),
        latencies=[latency / 1000 for part in parts for latency in part["latencies_ms"]],
        server=[latency / 1000 for part in parts for latency in part.get("server_latencies_ms", ())],
        statuses=statuses,
        exceptions=exceptions,
        error_samples=[sample for part in parts for sample in part["error_samples"]],
        total_bytes=sum(part["bytes"] for part in parts),
        expected_status=expected_status,
    )
    summary["rounds"] = len(parts)
    summary["rps_rounds"] = [part["rps"] for part in parts]
    return summary


def _summarise(
    *,
    url: str,
    duration: float,
    concurrency: int,
    max_requests: int | None,
    elapsed: float,
    latencies: list[float],
    statuses: Counter[int],
    server: list[float] | None = None,
    exceptions: Counter[str],
    error_samples: list[str],
    total_bytes: int,
    expected_status: int,
) -> dict:
    latencies = sorted(latencies)
    server = sorted(server or ())
    responses = sum(statuses.values())
    requests = responses + sum(exceptions.values())
    errors = requests - statuses.get(expected_status, 0)

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 3)

    return {
        "url": url,
        "duration_s": round(duration, 3),
        "concurrency": concurrency,
        "max_requests": max_requests,
        "elapsed_s": round(elapsed, 3),
        "requests": requests,
        "errors": errors,
        "rps": round(requests / elapsed, 2) if elapsed > 0 else 0.0,
        "median_ms": ms(statistics.median(latencies) if latencies else None),
        "p95_ms": ms(percentile(latencies, 95)),
        "p99_ms": ms(percentile(latencies, 99)),
        "mean_ms": ms(statistics.fmean(latencies) if latencies else None),
        "min_ms": ms(latencies[0] if latencies else None),
        "max_ms": ms(latencies[-1] if latencies else None),
        # Time spent in Django per request, without the queue (None when the server does not send it).
        "server_median_ms": ms(statistics.median(server) if server else None),
        "server_p95_ms": ms(percentile(server, 95)),
        "bytes": total_bytes,
        "mean_bytes": round(total_bytes / responses) if responses else 0,
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "exceptions": dict(exceptions),
        "error_samples": error_samples[:MAX_ERROR_SAMPLES],
    }
