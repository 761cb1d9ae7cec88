"""`make bench`: the bureau page and the observation list at scale, next to a bare Wagtail page.

Builds a throwaway site (SQLite in a temp dir; a database of its own on the `DATABASE_URL`
PostgreSQL server when that is set; or --database-url), seeds --observations (default 100,000)
into the demo study, serves it with gunicorn and production settings, measures every target with
`bench.loadgen.measure` (the team-only observation list as a signed-in member of the bureau),
prints a table and writes bench/results/latest.json. Exits 1 if any request failed. See
bench/README.md.
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
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    # Run as a script (`python bench/run.py`): import `bench.*` from the project root rather than
    # bench/'s modules as top-level names.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from bench.loadgen import combine, measure  # noqa: E402
from bench.pgdb import ThrowawayDatabaseError, describe, is_postgres_url, throwaway_database  # noqa: E402
from bench.server import (  # noqa: E402
    BenchError,
    Gunicorn,
    bench_env,
    http_get,
    manage,
    manage_streaming,
    prepare_site,
)

DEFAULT_RESULTS = ROOT / "bench" / "results" / "latest.json"
DEFAULT_OBSERVATIONS = 100_000
QUICK_OBSERVATIONS = 10_000
DEFAULT_STUDY = "usages-ia-generative"  # the demo study (studies.demo.STUDY_SLUG)
DEFAULT_MEMBER = "lea.dubois@bec-demo.fr"  # a member (not a coordinator) of the demo bureau
LIST_PAGE = 50
LIST_FILTER = "purpose=writing"
MEMBER_PREFIX = "member:"
EXIT_FAILED_REQUESTS = 1
EXIT_SETUP = 3


@dataclass(frozen=True)
class Target:
    label: str
    path: str
    member: bool = False  # sent with the member's session cookie

    @property
    def who(self) -> str:
        return "member" if self.member else "anon"


#: The public pages measured anonymously (issue 15, goal 3), when the demo has them.
PUBLIC_PAGES = ("home", "register", "protocol", "protocol-v1", "report")


def default_targets(urls: dict[str, str]) -> list[Target]:
    """bare (signed out and in), the public pages, and the team pages as a member: the study, the
    observation list (page 1, page 50, filtered), the codebook, the agreement and the analysis pages.

    The list pages by cursor: page 50 is reached with the `?after=` cursor `study_state` computed
    (`list_after`); without one (fewer than 50 pages) the old `?page=50`, which shows page 1."""
    observations = urls["observations"]
    deep = urls.get("list_after")
    deep_path = f"{observations}?after={deep}" if deep else f"{observations}?page={LIST_PAGE}"
    return [
        Target("bureau", urls["bureau"]),
        Target("bare", urls["bare"]),
        Target("bare-member", urls["bare"], member=True),
        *(Target(name, urls[name]) for name in PUBLIC_PAGES if name in urls),
        Target("study", urls["study"], member=True),
        Target("list", observations, member=True),
        Target(f"list-p{LIST_PAGE}", deep_path, member=True),
        Target("list-filter", f"{observations}?{LIST_FILTER}", member=True),
        Target("codebook", f"{urls['study']}codebook/", member=True),
        Target("agreement", f"{urls['study']}agreement/", member=True),
        *analysis_targets(urls["study"]),
    ]


#: Issue 15's goals: label -> (the label the ratio is taken to, the least ratio, the most server ms).
#: Team pages: ≥ 0.5 x bare-member and under 100 ms; public pages ≥ 2 x bare; bare-member ≥ 0.8 x bare.
def goal_for(label: str) -> tuple[str, float, float | None] | None:
    if label == "bare-member":
        return ("bare", 0.8, None)
    if label in ("bureau", *PUBLIC_PAGES):
        return ("bare", 2.0, None)
    if label in ("study", "list", f"list-p{LIST_PAGE}", "list-filter", "codebook", "agreement") or (
        label.startswith("analysis-")
    ):
        return ("bare-member", 0.5, 100.0)
    return None


def goal_verdict(result: dict, results: list[dict]) -> str:
    """« ≥0.5 x bare-member, <100 ms: ok » or what is missed (empty for a target without a goal)."""
    goal = goal_for(result["label"])
    if goal is None:
        return ""
    against, least, most_ms = goal
    base = next((r for r in results if r["label"] == against), None)
    wanted = f">={least:g} x {against}" + (f", <{most_ms:g} ms" if most_ms else "")
    if base is None or not base["rps"]:
        return f"{wanted}: -"
    ratio = result["rps"] / base["rps"]
    server = result.get("server_median_ms")
    met = ratio >= least and (most_ms is None or (server is not None and server < most_ms))
    return f"{wanted}: {'ok' if met else f'MISSED ({ratio:.2f} x)'}"


#: The study's analysis pages (team-only): label -> path under the study.
ANALYSIS_PAGES = {
    "segments": "analysis/segments/",
    "codes": "analysis/codes/",
    "cooccurrence": "analysis/cooccurrence/",
    "crosstab": "analysis/crosstab/",
    "crosstab-codes": "analysis/crosstab/?rows=code&columns=legal_form",
    "time": "analysis/time/",
}


def analysis_targets(study: str) -> list[Target]:
    """Each analysis table as the member: segments, frequencies, co-occurrence, two crosstabs, time."""
    return [
        Target(f"analysis-{label}", f"{study}{path}", member=True) for label, path in ANALYSIS_PAGES.items()
    ]


def is_analysis_page(path: str) -> bool:
    return "/analysis/" in urlsplit(path).path


def parse_targets(value: str) -> list[Target]:
    """`label=/path/,label2=member:/other/` (a bare `/path/` is its own label; `member:` signs in)."""
    targets = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        label, sep, path = item.partition("=")
        if not sep:
            label, path = item, item
        label, path = label.strip(), path.strip()
        member = path.startswith(MEMBER_PREFIX)
        if member:
            path = path.removeprefix(MEMBER_PREFIX)
            label = label.removeprefix(MEMBER_PREFIX)
        if not path.startswith("/"):
            raise argparse.ArgumentTypeError(f"target path must start with '/': {item!r}")
        targets.append(Target(label, path, member))
    if not targets:
        raise argparse.ArgumentTypeError("no targets")
    labels = [target.label for target in targets]
    if len(set(labels)) != len(labels):
        raise argparse.ArgumentTypeError("target labels must be unique")
    return targets


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip().replace("_", "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} must be an integer, not {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--targets",
        type=parse_targets,
        default=None,
        help="comma-separated label=/path/ or label=member:/path/ (signed in as --member); default: "
        "bureau, bare, bare-member, list, list-p50, list-filter and the analysis pages (see bench/README.md)",
    )
    parser.add_argument("--baseline", default="bare", help="label the others are compared to (default: bare)")
    parser.add_argument(
        "--observations",
        type=int,
        default=_env_int("BENCH_OBSERVATIONS", DEFAULT_OBSERVATIONS),
        help="observations to seed into the study with bec_seed, 0 for none "
        f"(default: $BENCH_OBSERVATIONS, else {DEFAULT_OBSERVATIONS})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"for development: {QUICK_OBSERVATIONS:,} observations and 3 s per target (the issue's "
        "figures are taken at the default size)",
    )
    parser.add_argument(
        "--study-slug", default=DEFAULT_STUDY, help="study to seed and list (default: %(default)s)"
    )
    parser.add_argument(
        "--member",
        default=DEFAULT_MEMBER,
        help="e-mail of the bureau member the member: targets are signed in as (default: %(default)s)",
    )
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per target (default: 8)")
    parser.add_argument(
        "--rounds", type=int, default=4, help="interleaved slices the duration is split into (default: 4)"
    )
    parser.add_argument("--max-requests", type=int, default=20_000, help="cap per target (default: 20000)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (default: 8)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per target (default: 2)")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="per-request timeout, s (default: 30, gunicorn's own)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default: 2)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="a THROWAWAY database to set up and serve from, used as is (default: $BENCH_DATABASE_URL); "
        "without it: a new database on the $DATABASE_URL PostgreSQL server, dropped at the end, "
        "else SQLite in a temp dir",
    )
    parser.add_argument("--sqlite", action="store_true", help="temp SQLite even when $DATABASE_URL is set")
    parser.add_argument("--output", type=Path, default=DEFAULT_RESULTS, help="JSON results file")
    parser.add_argument("--keep-workdir", action="store_true", help="keep the temp dir (logs, database)")
    return parser


# --- Checks before measuring ----------------------------------------------------------------------

RESULT_COUNT = re.compile(r'<p class="meta result-count">([^<]*)</p>')


def is_observation_list(path: str) -> bool:
    return urlsplit(path).path.endswith("/observations/")


def list_count(html: str) -> int | None:
    """The « N observations » count the list prints above its table (None when absent)."""
    match = RESULT_COUNT.search(html)
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group(1))
    return int(digits) if digits else None


def check_observation_list(target: Target, html: str, study: dict) -> tuple[list[str], dict]:
    """The member-only markup is there and the count is the expected one; returns problems, facts."""
    problems = []
    if 'class="panel observation-filters"' not in html:
        problems.append("no filter form: not the team-only observation list")
    count = list_count(html)
    if count is None:
        problems.append("no result count")
        return problems, {}
    facts: dict = {"listed": count}
    query = parse_qs(urlsplit(target.path).query)
    filters = {key for key in query if key not in ("page", "after", "before")}
    if not filters and count != study["listed"]:
        problems.append(f"lists {count} observations, expected {study['listed']}")
    if query.get("purpose") == ["writing"] and set(filters) == {"purpose"} and count != study["writing"]:
        problems.append(f"lists {count} 'writing' observations, expected {study['writing']}")
    if count and '<table class="observations">' not in html:
        problems.append("no observation table")
    rows = len(re.findall(r'<tr id="observation-\d+">', html))
    facts["rows_on_page"] = rows
    if query.get("after"):
        if not rows:
            print(f"warning: {target.label} {target.path}: the cursor shows an empty page", file=sys.stderr)
        facts["page"] = LIST_PAGE
    elif query.get("page"):
        print(
            f"warning: {target.label} {target.path}: the list pages by cursor and shows its first page "
            f"for ?page=N (fewer than {LIST_PAGE} pages of observations: more --observations?)",
            file=sys.stderr,
        )
        facts["page"] = 1
    return problems, facts


def preflight(
    server: Gunicorn,
    targets: list[Target],
    member_headers: dict[str, str],
    session: dict | None,
    study: dict | None,
) -> tuple[list[str], dict[str, dict]]:
    """Each target answers 200 once, signed in where it should be, and the static files it links are
    served; observation lists show their team-only markup and the expected count.

    Returns the problems, and per label what was found (the list counts).
    """
    problems = []
    facts: dict[str, dict] = {}
    checked_assets: set[str] = set()
    for target in targets:
        label, path = target.label, target.path
        headers = member_headers if target.member else {}
        status, response_headers, body = http_get(server.host, server.port, path, headers=headers)
        if status != 200:
            where = response_headers.get("location", "")
            problems.append(f"{label} {path}: HTTP {status} {where} {body[:300]!r}")
            continue
        html = body.decode("utf-8", "replace")
        if 'class="site-header"' not in html:
            print(f"warning: {label} {path} does not look rendered through base.html", file=sys.stderr)
        if target.member and session and f'href="{session["logout_url"]}"' not in html:
            problems.append(
                f"{label} {path}: not signed in (no sign-out link): the session cookie is ignored"
            )
        if is_analysis_page(path) and 'class="analysis-tabs"' not in html:
            problems.append(f"{label} {path}: no analysis navigation: not the team-only analysis page")
        if is_observation_list(path) and study is not None:
            if not target.member:
                problems.append(f"{label} {path}: the observation list is team-only: use {MEMBER_PREFIX}")
            else:
                found, facts[label] = check_observation_list(target, html, study)
                problems += [f"{label} {path}: {problem}" for problem in found]
        for asset in set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html)) - checked_assets:
            checked_assets.add(asset)
            asset_status, _headers, _body = http_get(server.host, server.port, asset)
            if asset_status != 200:
                problems.append(f"{label} {path}: static file {asset} HTTP {asset_status}")
    return problems, facts


# --- Output ---------------------------------------------------------------------------------------


def format_table(results: list[dict], baseline: str) -> str:
    base = next((r for r in results if r["label"] == baseline), None)
    header = [
        "target",
        "as",
        "requests",
        "req/s",
        "rounds min-max",
        "median ms",
        "p95 ms",
        "server ms",
        "errors",
    ]
    header.append(f"x {baseline}")
    header.append("goal (issue 15)")
    rows = []
    for r in results:
        ratio = f"{r['rps'] / base['rps']:.2f}" if base and base["rps"] else "-"
        rows.append(
            [
                r["label"],
                r["as"],
                str(r["requests"]),
                f"{r['rps']:.1f}",
                f"{min(r['rps_rounds']):.1f}-{max(r['rps_rounds']):.1f}",
                "-" if r["median_ms"] is None else f"{r['median_ms']:.1f}",
                "-" if r["p95_ms"] is None else f"{r['p95_ms']:.1f}",
                "-" if r.get("server_median_ms") is None else f"{r['server_median_ms']:.1f}",
                str(r["errors"]),
                ratio,
                goal_verdict(r, results),
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


def format_targets(targets: list[Target], member: str, facts: dict[str, dict]) -> str:
    width = max(len(target.label) for target in targets)
    lines = []
    for target in targets:
        who = f"  (as {member})" if target.member else ""
        found = facts.get(target.label, {})
        listed = f"  [{found['listed']:,} listed]" if "listed" in found else ""
        lines.append(f"  {target.label.ljust(width)}  {target.path}{who}{listed}")
    return "\n".join(lines)


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


def measure_targets(base_url: str, targets: list[Target], member_headers: dict[str, str], args) -> list[dict]:
    """Measure every target in `args.rounds` interleaved rounds (A B C, C B A, A B C...), then combine.

    Interleaving spreads any drift in the machine's load (other processes, CPU frequency)
    over every target instead of penalising whichever runs last.
    """
    slice_s = args.duration / args.rounds
    slice_cap = max(1, args.max_requests // args.rounds)
    parts: dict[str, list[dict]] = {target.label: [] for target in targets}
    print(
        f"measuring {len(targets)} targets: {args.rounds} rounds x {slice_s:g} s each, "
        f"concurrency {args.concurrency}"
    )
    for round_index in range(args.rounds):
        order = targets if round_index % 2 == 0 else list(reversed(targets))
        for target in order:
            parts[target.label].append(
                measure(
                    base_url + target.path,
                    slice_s,
                    args.concurrency,
                    max_requests=slice_cap,
                    timeout=args.timeout,
                    headers=member_headers if target.member else None,
                    keep_latencies=True,
                )
            )
        print(f"  round {round_index + 1}/{args.rounds} done", flush=True)
    results = []
    for target in targets:
        combined = combine(parts[target.label])
        combined["url"] = target.path  # the port changes on every run; the path is what matters
        results.append({"label": target.label, "path": target.path, "as": target.who, **combined})
    return results


def choose_database(args: argparse.Namespace, workdir: Path, stack: ExitStack) -> tuple[str, str]:
    """The database URL to set up and serve from, and where it comes from (for the report).

    --database-url/$BENCH_DATABASE_URL as is; else, when $DATABASE_URL is PostgreSQL, a new database on
    that server, dropped when `stack` closes (the database $DATABASE_URL names is never used); else
    SQLite in the temp dir.
    """
    if args.database_url:
        return args.database_url, "--database-url"
    server_url = os.environ.get("DATABASE_URL")
    if server_url and not args.sqlite:
        if is_postgres_url(server_url):
            url = stack.enter_context(throwaway_database(server_url))
            print(
                f"created throwaway {describe(url)} (dropped at the end; DATABASE_URL's database is unused)"
            )
            return url, "throwaway database on the DATABASE_URL server"
        print("note: DATABASE_URL is not PostgreSQL: ignored, the benchmark uses a temp SQLite database")
    return f"sqlite:///{workdir / 'bench.sqlite3'}", "temp SQLite"


def seed(env: dict[str, str], log_path: Path, args: argparse.Namespace, before: dict) -> dict:
    """Seed up to --observations (those an earlier run on the same database seeded count)."""
    missing = max(0, args.observations - before["seeded"])
    info = {
        "requested": args.observations,
        "already_seeded": before["seeded"],
        "seeded_now": missing,
        "seconds": 0.0,
        "rate_per_s": None,
    }
    if not missing:
        print(f"seeding: nothing to do ({before['seeded']:,} seeded observations already there)")
        return info
    print(f"seeding {missing:,} observations into {args.study_slug} with bec_seed…", flush=True)
    started = time.monotonic()
    manage_streaming(
        env, log_path, "bec_seed", "--observations", str(missing), "--study-slug", args.study_slug
    )
    info["seconds"] = round(time.monotonic() - started, 1)
    info["rate_per_s"] = round(missing / info["seconds"]) if info["seconds"] else None
    return info


def json_out(env: dict[str, str], log_path: Path, script: str) -> dict:
    """Run `script` in `manage.py shell -c`; its last line of output is JSON."""
    return json.loads(manage(env, log_path, "shell", "-c", script).strip().splitlines()[-1])


def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="bec-bench-"))
    log_path = workdir / "bench.log"
    baseline = args.baseline
    try:
        with ExitStack() as stack:
            return _run(args, workdir, log_path, baseline, stack)
    except (BenchError, ThrowawayDatabaseError) as exc:
        print(f"bench setup failed: {exc}\n(logs in {workdir})", file=sys.stderr)
        args.keep_workdir = True
        return EXIT_SETUP
    finally:
        if args.keep_workdir:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _run(args: argparse.Namespace, workdir: Path, log_path: Path, baseline: str, stack: ExitStack) -> int:
    database_url, database_source = choose_database(args, workdir, stack)
    env = bench_env(workdir, database_url)
    vendor = database_url.split(":", 1)[0]  # never print the URL itself: it may hold a password
    print(
        f"workdir {workdir}  database {vendor} ({database_source})  settings {env['DJANGO_SETTINGS_MODULE']}"
    )
    started = time.monotonic()
    urls = prepare_site(env, log_path)
    site_s = time.monotonic() - started
    print(f"site ready in {site_s:.1f} s: {urls}")

    slug = json.dumps(args.study_slug)
    state_script = f"from bench.fixtures import study_state; study_state({slug}, {LIST_PAGE})"
    seed_info = seed(env, log_path, args, json_out(env, log_path, state_script))
    started_analyze = time.monotonic()
    analyzed = json_out(env, log_path, "from bench.fixtures import vacuum_analyze; vacuum_analyze()")
    analyze_s = time.monotonic() - started_analyze
    if analyzed["vacuum_analyze"]:
        print(f"VACUUM ANALYZE in {analyze_s:.1f} s")
    study = json_out(env, log_path, state_script)
    seed_info.update(
        {
            "study_slug": args.study_slug,
            "study_observations": study["total"],
            "seeded_total": study["seeded"],
            "listed": study["listed"],
            "listed_writing": study["writing"],
            "vacuum_analyze_s": round(analyze_s, 1) if analyzed["vacuum_analyze"] else None,
        }
    )
    print(
        f"study {study['study']}: {study['total']:,} observations ({study['seeded']:,} seeded), "
        f"{study['listed']:,} listed, {study['writing']:,} with purpose 'writing'"
    )
    urls.update({"study": study["study"], "observations": study["observations"]})
    if study.get("deep_after"):
        urls["list_after"] = study["deep_after"]
    targets = args.targets or default_targets(urls)
    if baseline not in {target.label for target in targets}:
        raise BenchError(f"--baseline {baseline!r} is not one of the targets")

    session = None
    member_headers: dict[str, str] = {}
    if any(target.member for target in targets):
        script = (
            f"from bench.fixtures import member_session; member_session({json.dumps(args.member)}, {slug})"
        )
        session = json_out(env, log_path, script)
        member_headers = {"Cookie": f"{session['cookie_name']}={session['session_key']}"}
        print(f"signed in as {args.member} (session cookie {session['cookie_name']})")
    setup_s = time.monotonic() - started

    with Gunicorn(env, workdir / "gunicorn.log", workers=args.workers) as server:
        print(f"gunicorn ({args.workers} workers) on {server.base_url}")
        problems, facts = preflight(server, targets, member_headers, session, study)
        print("targets:\n" + format_targets(targets, args.member, facts))
        if problems:
            raise BenchError("pages do not render as expected:\n  " + "\n  ".join(problems))
        for target in targets:  # warm up every worker on every page, discarded
            measure(
                server.base_url + target.path,
                args.warmup,
                args.concurrency,
                max_requests=500,
                timeout=args.timeout,
                headers=member_headers if target.member else None,
            )
        load_before = os.getloadavg()
        results = measure_targets(server.base_url, targets, member_headers, args)
        load_after = os.getloadavg()
    for result in results:
        result.update(facts.get(result["label"], {}))

    print()
    print(format_table(results, baseline))
    print(
        f"database {vendor}; {seed_info['seeded_total']:,} seeded observations "
        f"({study['listed']:,} listed); setup {setup_s:.0f} s of which seeding {seed_info['seconds']:.0f} s"
    )
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
            "timeout_s": args.timeout,
            "gunicorn_workers": args.workers,
            "django_settings": env["DJANGO_SETTINGS_MODULE"],
            "baseline": baseline,
            "observations": args.observations,
            "study_slug": args.study_slug,
            "member": args.member if session else None,
        },
        "environment": {
            **environment_info(database_url),
            "database_source": database_source,
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after],
        },
        "setup": {"site_s": round(site_s, 1), "total_s": round(setup_s, 1)},
        "seed": seed_info,
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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if min(args.duration, args.concurrency, args.rounds, args.workers, args.max_requests, args.timeout) <= 0:
        parser.error("--duration, --concurrency, --rounds, --workers, --max-requests, --timeout must be > 0")
    if args.observations < 0:
        parser.error("--observations cannot be negative")
    if args.quick:
        args.observations = min(args.observations, QUICK_OBSERVATIONS)
        args.duration, args.warmup = min(args.duration, 3.0), min(args.warmup, 1.0)
    # `kill` (SIGTERM) unwinds like Ctrl-C, so the `finally` blocks stop gunicorn and drop the database.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\ninterrupted; cleaned up", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
