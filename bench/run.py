"""`make bench`: throughput of the bureau page next to a bare Wagtail page, both under gunicorn.

Builds a throwaway site (SQLite in a temp dir unless --database-url), serves it with gunicorn
and production settings, measures every target with `bench.loadgen.measure`, prints a table and
writes bench/results/latest.json. Exits 1 if any request failed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    # Run as a script (`python bench/run.py`): import `bench.*` from the project root rather than
    # bench/'s modules as top-level names.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from bench.loadgen import combine, measure  # noqa: E402
from bench.server import BenchError, Gunicorn, bench_env, http_get, prepare_site  # noqa: E402

DEFAULT_TARGETS = [("bureau", "/bec-ia-generative-ess/"), ("bare", "/bare/")]
DEFAULT_RESULTS = ROOT / "bench" / "results" / "latest.json"
EXIT_FAILED_REQUESTS = 1
EXIT_SETUP = 3


def parse_targets(value: str) -> list[tuple[str, str]]:
    """`label=/path/,label2=/other/` (a bare `/path/` is its own label)."""
    targets = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        label, sep, path = item.partition("=")
        if not sep:
            label, path = item, item
        label, path = label.strip(), path.strip()
        if not path.startswith("/"):
            raise argparse.ArgumentTypeError(f"target path must start with '/': {item!r}")
        targets.append((label, path))
    if not targets:
        raise argparse.ArgumentTypeError("no targets")
    labels = [label for label, _path in targets]
    if len(set(labels)) != len(labels):
        raise argparse.ArgumentTypeError("target labels must be unique")
    return targets


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--targets",
        type=parse_targets,
        default=DEFAULT_TARGETS,
        help="comma-separated label=/path/ (default: %(default)s)",
    )
    parser.add_argument("--baseline", default="bare", help="label the others are compared to (default: bare)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per target (default: 8)")
    parser.add_argument(
        "--rounds", type=int, default=4, help="interleaved slices the duration is split into (default: 4)"
    )
    parser.add_argument("--max-requests", type=int, default=20_000, help="cap per target (default: 20000)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (default: 8)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per target (default: 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default: 2)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="a THROWAWAY database to set up and serve from (default: $BENCH_DATABASE_URL, "
        "else SQLite in a temp dir); it gets migrated, the demo bureau and a bare page",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_RESULTS, help="JSON results file")
    parser.add_argument("--keep-workdir", action="store_true", help="keep the temp dir (logs, database)")
    return parser


def preflight(server: Gunicorn, targets: list[tuple[str, str]]) -> list[str]:
    """Each target answers 200 once and the static files it links are served; returns the problems."""
    problems = []
    checked_assets: set[str] = set()
    for label, path in targets:
        status, _headers, body = http_get(server.host, server.port, path)
        if status != 200:
            problems.append(f"{label} {path}: HTTP {status} {body[:300]!r}")
            continue
        html = body.decode("utf-8", "replace")
        if 'class="site-header"' not in html:
            print(f"warning: {label} {path} does not look rendered through base.html", file=sys.stderr)
        for asset in set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html)) - checked_assets:
            checked_assets.add(asset)
            asset_status, _headers, _body = http_get(server.host, server.port, asset)
            if asset_status != 200:
                problems.append(f"{label} {path}: static file {asset} HTTP {asset_status}")
    return problems


def format_table(results: list[dict], baseline: str) -> str:
    base = next((r for r in results if r["label"] == baseline), None)
    header = ["target", "path", "requests", "req/s", "rounds min-max", "median ms", "p95 ms", "errors"]
    header.append(f"x {baseline}")
    rows = []
    for r in results:
        ratio = f"{r['rps'] / base['rps']:.2f}" if base and base["rps"] else "-"
        rows.append(
            [
                r["label"],
                r["path"],
                str(r["requests"]),
                f"{r['rps']:.1f}",
                f"{min(r['rps_rounds']):.1f}-{max(r['rps_rounds']):.1f}",
                "-" if r["median_ms"] is None else f"{r['median_ms']:.1f}",
                "-" if r["p95_ms"] is None else f"{r['p95_ms']:.1f}",
                str(r["errors"]),
                ratio,
            ]
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    left = {0, 1}

    def line(cells: list[str]) -> str:
        padded = (
            cell.ljust(width) if i in left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )
        return "  ".join(padded)

    out = [line(header), "  ".join("-" * w for w in widths), *(line(row) for row in rows)]
    if base and base["rps"]:
        for r in results:
            if r is not base:
                out.append(f"ratio {r['label']}/{baseline} (req/s): {r['rps'] / base['rps']:.2f}")
    return "\n".join(out)


def environment_info(database_url: str) -> dict:
    def version(dist: str) -> str | None:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    def git(*args: str) -> str | None:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    return {
        "database": database_url.split(":", 1)[0],
        "python": platform.python_version(),
        "versions": {name: version(name) for name in ("Django", "wagtail", "gunicorn")},
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain")),
    }


def measure_targets(base_url: str, args: argparse.Namespace) -> list[dict]:
    """Measure every target in `args.rounds` interleaved rounds (A B, B A, A B...), then combine.

    Interleaving spreads any drift in the machine's load (other processes, CPU frequency)
    over every target instead of penalising whichever runs last.
    """
    slice_s = args.duration / args.rounds
    slice_cap = max(1, args.max_requests // args.rounds)
    parts: dict[str, list[dict]] = {label: [] for label, _path in args.targets}
    print(
        f"measuring {len(args.targets)} targets: {args.rounds} rounds x {slice_s:g} s each, "
        f"concurrency {args.concurrency}"
    )
    for round_index in range(args.rounds):
        order = args.targets if round_index % 2 == 0 else list(reversed(args.targets))
        for label, path in order:
            parts[label].append(
                measure(
                    base_url + path,
                    slice_s,
                    args.concurrency,
                    max_requests=slice_cap,
                    keep_latencies=True,
                )
            )
    results = []
    for label, path in args.targets:
        combined = combine(parts[label])
        combined["url"] = path  # the port changes on every run; the path is what matters
        results.append({"label": label, "path": path, **combined})
    return results


def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="bec-bench-"))
    log_path = workdir / "bench.log"
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = bench_env(workdir, database_url)
    baseline = args.baseline
    try:
        vendor = database_url.split(":", 1)[0]  # never print the URL itself: it may hold a password
        print(f"workdir {workdir}  database {vendor}  settings {env['DJANGO_SETTINGS_MODULE']}")
        started = time.monotonic()
        urls = prepare_site(env, log_path)
        print(f"site ready in {time.monotonic() - started:.1f} s: {urls}")

        with Gunicorn(env, workdir / "gunicorn.log", workers=args.workers) as server:
            print(f"gunicorn ({args.workers} workers) on {server.base_url}")
            problems = preflight(server, args.targets)
            if problems:
                raise BenchError("pages do not render:\n  " + "\n  ".join(problems))
            for _label, path in args.targets:  # warm up every worker on every page, discarded
                measure(server.base_url + path, args.warmup, args.concurrency, max_requests=500)
            load_before = os.getloadavg()
            results = measure_targets(server.base_url, args)
            load_after = os.getloadavg()

        print()
        print(format_table(results, baseline))
        print(
            f"load average (1 min) before/after measuring: {load_before[0]:.2f}/{load_after[0]:.2f} "
            f"on {os.cpu_count()} CPUs (the load generator shares them with gunicorn)"
        )
        for r in results:
            for sample in r["error_samples"]:
                print(f"  {r['label']}: {sample}", file=sys.stderr)

        base = next((r for r in results if r["label"] == baseline), None)
        report = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "settings": {
                "duration_s": args.duration,
                "rounds": args.rounds,
                "concurrency": args.concurrency,
                "max_requests": args.max_requests,
                "warmup_s": args.warmup,
                "gunicorn_workers": args.workers,
                "django_settings": env["DJANGO_SETTINGS_MODULE"],
                "baseline": baseline,
            },
            "environment": {
                **environment_info(database_url),
                "loadavg_before": [round(x, 2) for x in load_before],
                "loadavg_after": [round(x, 2) for x in load_after],
            },
            "page_urls": urls,
            "results": results,
            "ratios_rps": {
                f"{r['label']}/{baseline}": round(r["rps"] / base["rps"], 3)
                for r in results
                if base and base["rps"] and r is not base
            },
        }
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        print(f"\nresults written to {args.output}")

        failed = sum(r["errors"] for r in results)
        if failed:
            print(f"FAILED: {failed} request(s) did not return 200", file=sys.stderr)
            return EXIT_FAILED_REQUESTS
        return 0
    except BenchError as exc:
        print(f"bench setup failed: {exc}\n(logs in {workdir})", file=sys.stderr)
        args.keep_workdir = True
        return EXIT_SETUP
    finally:
        if args.keep_workdir:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if min(args.duration, args.concurrency, args.rounds, args.workers, args.max_requests) <= 0:
        build_parser().error("--duration, --concurrency, --rounds, --workers, --max-requests must be > 0")
    # `kill` (SIGTERM) unwinds like Ctrl-C, so the `finally` blocks stop gunicorn.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\ninterrupted; cleaned up", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
