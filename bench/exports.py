"""Peak memory and time of the streamed spreadsheets of the « Échanges » page (issue 14: the coded
segments of 100,000 observations, about 200,000 excerpts, must stream under 150 MB).

    .venv/bin/python bench/exports.py                       # 100,000 observations, SQLite
    .venv/bin/python bench/exports.py --observations 2000   # a quick check
    DATABASE_URL=postgres://user@host:5432/any .venv/bin/python bench/exports.py   # PostgreSQL
    .venv/bin/python bench/exports.py --database-url URL [--measure-only]   # a database kept between runs

Like `bench/run.py`: a temp dir with a throwaway SQLite database, or a throwaway database on the
PostgreSQL server `DATABASE_URL` points at (created, then dropped; the named database is never
used); production settings (`DEBUG` off, so Django keeps no log of the queries); `migrate`,
`bec_demo` and `bec_seed --observations N` into the demo study.

Each download is then measured in a **fresh process** (`--measure`), so that the peak resident
memory it reports (``ru_maxrss``) is the export's own and not the seeding's: Django is set up, a
member of the bureau is signed in (the test client, through every middleware), one small request
warms the process up, then the download is read to its last byte and thrown away. Reported: rows,
bytes, seconds, the resident memory before the download and the process's peak.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from bench.pgdb import ThrowawayDatabaseError, describe, is_postgres_url, throwaway_database  # noqa: E402
from bench.server import BenchError, bench_env, manage, manage_streaming  # noqa: E402

STUDY = "usages-ia-generative"
MEMBER = "lea.dubois@bec-demo.fr"
LIMIT_MB = 150
DEFAULT_RESULTS = ROOT / "bench" / "results" / "exports.json"


def _rss_mb() -> float:
    """The current resident memory of this process (Linux), in MB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def measure(table: str, fmt: str) -> dict:
    """In this process: download `table` as `fmt` as the member, read to the end; the figures."""
    import django

    django.setup()
    after_setup = _rss_mb()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from studies.models import Excerpt, Observation, StudyPage

    study = StudyPage.objects.get(slug=STUDY)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(email=MEMBER))
    assert client.get(f"{study.url}exchange/").status_code == 200  # warm-up
    figures = {
        "observations": Observation.objects.filter(study=study).count(),
        "excerpts": Excerpt.objects.filter(observation__study=study).count(),
    }
    before = _rss_mb()
    started = time.monotonic()
    response = client.get(f"{study.url}exchange/{table}/{fmt}/")
    if response.status_code != 200:
        raise SystemExit(f"{table}.{fmt}: HTTP {response.status_code}")
    size = lines = 0
    for piece in response.streaming_content:
        size += len(piece)
        lines += piece.count(b"\n") if fmt == "csv" else 0
    response.close()
    seconds = time.monotonic() - started
    return {
        "table": table,
        "format": fmt,
        **figures,
        "csv_lines": lines if fmt == "csv" else None,
        "bytes": size,
        "seconds": round(seconds, 2),
        "rss_after_setup_mb": round(after_setup, 1),
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(_peak_mb(), 1),
        "export_increase_mb": round(_peak_mb() - before, 1),
        "under_limit": _peak_mb() < LIMIT_MB,
    }


def _measure_in_child(env: dict[str, str], table: str, fmt: str) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", table, fmt]
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise BenchError(f"measuring {table}.{fmt} failed:\n{completed.stdout}{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _database(args: argparse.Namespace, workdir: Path, stack: ExitStack) -> str:
    if args.database_url:  # used as is (and kept): set up once, measured again after a change
        return args.database_url
    server_url = os.environ.get("DATABASE_URL")
    if server_url and not args.sqlite and is_postgres_url(server_url):
        url = stack.enter_context(throwaway_database(server_url))
        print(f"created throwaway {describe(url)} (dropped at the end)")
        return url
    return f"sqlite:///{workdir / 'bench.sqlite3'}"


def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="bec-bench-exports-"))
    log_path = workdir / "bench.log"
    try:
        with ExitStack() as stack:
            database_url = _database(args, workdir, stack)
            env = bench_env(workdir, database_url)
            vendor = "postgresql" if is_postgres_url(database_url) else "sqlite"
            print(f"workdir {workdir}  database {vendor}")
            manage(env, log_path, "collectstatic", "--no-input")  # production storage needs the manifest
            if args.measure_only:
                print("measuring the database as it is (--measure-only: no migrate, demo nor seeding)")
            else:
                manage(env, log_path, "migrate", "--no-input")
                manage(env, log_path, "bec_demo")
                started = time.monotonic()
                manage_streaming(env, log_path, "bec_seed", "--observations", str(args.observations),
                                 "--study-slug", STUDY)
                print(f"seeded {args.observations:,} observations in {time.monotonic() - started:.0f} s")
            if vendor == "postgresql" and not args.measure_only:
                manage(env, log_path, "shell", "-c",
                       "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')")
            results = []
            for target in args.targets:
                table, fmt = target.split(".")
                result = _measure_in_child(env, table, fmt)
                results.append({"database": vendor, **result})
                print(
                    f"{table}.{fmt}: {result['observations']:,} observations, "
                    f"{result['excerpts']:,} excerpts, "
                    f"{result['bytes'] / 2**20:.1f} MB in {result['seconds']} s; resident memory: "
                    f"{result['rss_after_setup_mb']} MB once Django is set up, {result['rss_before_mb']} MB "
                    f"before the download, peak {result['peak_rss_mb']} MB "
                    f"(+{result['export_increase_mb']} MB; "
                    f"{'under' if result['under_limit'] else 'OVER'} {LIMIT_MB} MB)",
                    flush=True,
                )
            args.results.parent.mkdir(parents=True, exist_ok=True)
            args.results.write_text(json.dumps(results, indent=2) + "\n")
            print(f"wrote {args.results}")
            return 0 if all(result["under_limit"] for result in results) else 1
    except (BenchError, ThrowawayDatabaseError) as exc:
        print(f"bench failed: {exc}\n(logs in {workdir})", file=sys.stderr)
        args.keep_workdir = True
        return 2
    finally:
        if args.keep_workdir:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = int(os.environ.get("BENCH_OBSERVATIONS", 100_000))
    parser.add_argument("--observations", type=int, default=default)
    parser.add_argument("--targets", nargs="+", default=["coded-segments.csv", "coded-segments.xlsx"],
                        help="table.format pairs to measure (default: the coded segments, CSV and XLSX)")
    parser.add_argument("--sqlite", action="store_true", help="SQLite even when DATABASE_URL is PostgreSQL")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="an empty (or already seeded) database used as is and kept, like bench/run.py's")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--measure-only", action="store_true",
                        help="with --database-url: measure a database seeded earlier, set up nothing")
    parser.add_argument("--keep-workdir", action="store_true")
    parser.add_argument("--measure", nargs=2, metavar=("TABLE", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_only and not args.database_url:
        parser.error("--measure-only needs --database-url (a database seeded by an earlier run)")
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
