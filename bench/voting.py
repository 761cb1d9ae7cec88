"""Voting under load (issue 15, goal 4): 50 members cast and change ballots on one proposal at once.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/any .venv/bin/python bench/voting.py
    .venv/bin/python bench/voting.py --voters 50 --changes 4 --database-url postgres://…/kept_db

PostgreSQL only: the row locks that serialise ballots (`commons.actions.cast_ballot` locks the
proposal, then the voter's ballot) are what is measured; SQLite serialises every write anyway. Like
`bench/exports.py`: a throwaway database on the server `DATABASE_URL` points at (created, then
dropped; the named database is never used), production settings, `migrate` and `bec_demo`; then, in
a fresh process, `--voters` new voting members join the demo bureau with one more who will not vote
(so that the vote does not end when everyone has voted), a proposal is opened, and one thread per
voter — each with its own connection, all released together by a barrier — casts a first ballot
and changes it `--changes` times, through `commons.actions.cast_ballot`, the function the vote page
calls.

Reported: ballots per second (every cast and change counts), the slowest single cast, and the
check against the database afterwards: exactly one ballot per voter, each holding the voter's last
choice, and one `BallotChange` per cast — no ballot lost or duplicated. Exits 1 if the check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from bench.pgdb import ThrowawayDatabaseError, describe, is_postgres_url, throwaway_database  # noqa: E402
from bench.server import BenchError, bench_env, manage  # noqa: E402

DEFAULT_RESULTS = ROOT / "bench" / "results" / "voting.json"
CHOICES = ("for", "against", "abstain")


def measure(voters: int, changes: int) -> dict:
    """In this process: the members, the proposal, the threads, the check; the figures."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from commons import actions
    from commons.models import Ballot, BallotChange, BureauPage, DecisionRule, Membership, Role

    bureau = BureauPage.objects.live().order_by("pk").first()
    if bureau is None:
        raise SystemExit("no live bureau: was bec_demo loaded?")
    run = int(time.time())
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bench-voter-{run}-{n}", email=f"voter{n}.{run}@bench.invalid")
        for n in range(voters + 1)  # the last one is in the electorate and never votes
    )
    Membership.objects.bulk_create(Membership(user=user, bureau=bureau, role=Role.MEMBER) for user in users)
    author = Membership.objects.voting().filter(bureau=bureau, role=Role.COORDINATOR).first().user
    rule = DecisionRule.objects.create(bureau=bureau, name=f"Bench {run}", method="majority")
    proposal = actions.create_proposal(
        bureau, author, title=f"Banc d'essai du vote {run}", body="Mesure de charge.", rule=rule
    )
    proposal = actions.open_proposal(proposal, author, closes_at=timezone.now() + timedelta(hours=1))

    barrier = threading.Barrier(voters)
    last_choice: dict[int, str] = {}
    durations: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def vote(index: int, voter) -> None:
        try:
            connection.ensure_connection()  # connect first, so that the casts themselves overlap
            barrier.wait(timeout=60)
            for round_ in range(changes + 1):
                choice = CHOICES[(index + round_) % len(CHOICES)]
                started = time.monotonic()
                actions.cast_ballot(proposal, voter, choice=choice)
                with lock:
                    durations.append(time.monotonic() - started)
                    last_choice[voter.pk] = choice
        except BaseException as error:  # noqa: BLE001 - reported below
            with lock:
                errors.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=(i, user)) for i, user in enumerate(users[:voters])]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    seconds = time.monotonic() - started

    ballots = dict(Ballot.objects.filter(proposal=proposal).values_list("voter_id", "choice"))
    per_voter = Ballot.objects.filter(proposal=proposal).values("voter_id").distinct().count()
    changes_recorded = BallotChange.objects.filter(proposal=proposal).count()
    casts = len(durations)
    problems = list(errors)
    if any(thread.is_alive() for thread in threads):
        problems.append("a voter's thread is stuck")
    if len(ballots) != voters or per_voter != voters:
        problems.append(f"{len(ballots)} ballots for {voters} voters")
    wrong = [pk for pk, choice in last_choice.items() if ballots.get(pk) != choice]
    if wrong:
        problems.append(f"{len(wrong)} ballots do not hold their voter's last choice")
    if changes_recorded != casts:
        problems.append(f"{changes_recorded} ballot changes recorded for {casts} casts")
    return {
        "voters": voters,
        "casts_per_voter": changes + 1,
        "casts": casts,
        "seconds": round(seconds, 2),
        "ballots_per_second": round(casts / seconds, 1) if seconds else None,
        "median_cast_ms": round(statistics.median(durations) * 1000, 1) if durations else None,
        "slowest_cast_ms": round(max(durations) * 1000, 1) if durations else None,
        "ballots_in_database": len(ballots),
        "ballot_changes_in_database": changes_recorded,
        "problems": problems,
    }


def _measure_in_child(env: dict[str, str], voters: int, changes: int) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", str(voters), str(changes)]
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise BenchError(f"the voting run failed:\n{completed.stdout}{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run(args: argparse.Namespace) -> int:
    server_url = args.database_url or os.environ.get("DATABASE_URL")
    if not is_postgres_url(server_url):
        print(
            "bench/voting.py measures PostgreSQL's row locks: set DATABASE_URL (or --database-url) to a "
            "PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres",
            file=sys.stderr,
        )
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="bec-bench-voting-"))
    log_path = workdir / "bench.log"
    try:
        with ExitStack() as stack:
            if args.database_url:
                database_url = args.database_url
            else:
                database_url = stack.enter_context(throwaway_database(server_url))
                print(f"created throwaway {describe(database_url)} (dropped at the end)")
            env = bench_env(workdir, database_url)
            manage(env, log_path, "migrate", "--no-input")
            manage(env, log_path, "bec_demo")
            result = _measure_in_child(env, args.voters, args.changes)
            verdict = "; ".join(result["problems"]) or "no ballot lost or duplicated"
            print(
                f"{result['voters']} voters x {result['casts_per_voter']} casts = {result['casts']} "
                f"ballots in {result['seconds']} s: {result['ballots_per_second']} ballots/s; one cast: "
                f"median {result['median_cast_ms']} ms, slowest {result['slowest_cast_ms']} ms; in the "
                f"database: {result['ballots_in_database']} ballots, "
                f"{result['ballot_changes_in_database']} changes — {verdict}",
                flush=True,
            )
            args.results.parent.mkdir(parents=True, exist_ok=True)
            args.results.write_text(json.dumps(result, indent=2) + "\n")
            print(f"wrote {args.results}")
            return 0 if not result["problems"] else 1
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
    parser.add_argument("--voters", type=int, default=50)
    parser.add_argument("--changes", type=int, default=4, help="changes after each voter's first ballot")
    parser.add_argument(
        "--database-url", help="a PostgreSQL database used as is and kept (migrated, demo loaded)"
    )
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--keep-workdir", action="store_true")
    parser.add_argument("--measure", nargs=2, type=int, metavar=("VOTERS", "CHANGES"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
