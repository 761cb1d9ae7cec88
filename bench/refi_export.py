"""Time and peak memory of `manage.py refi_export` on a seeded study (issue 14, « Speed and memory »).

    .venv/bin/python bench/refi_export.py [--observations 100000] [--keep]

Builds a throwaway SQLite database (or uses `$DATABASE_URL`, e.g. a PostgreSQL database of its own),
runs `migrate`, `bec_demo` and `bec_seed --observations N` into the demo study, then runs
`refi_export --output <tmp>/study.qdpx` in a child process and prints its wall time, its peak
resident memory (the child's `ru_maxrss`) and the archive's size. The export writes each text to
its own zip entry, reading ten at a time, and streams `project.qde` one source at a time, so its
peak should not grow with the number of sources' texts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDY = "usages-ia-generative"


def run(args: list[str], env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = int(os.environ.get("BENCH_OBSERVATIONS", 100_000))
    parser.add_argument("--observations", type=int, default=default)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder.")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bec-refi-bench-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "bec_site.settings.dev"}
    env.setdefault("DATABASE_URL", f"sqlite:///{folder / 'bench.sqlite3'}")
    run(["migrate", "--no-input", "-v0"], env)
    run(["bec_demo"], env)
    run(["bec_seed", "--observations", str(options.observations), "--study-slug", STUDY], env)
    output = folder / "study.qdpx"
    # The export runs in a process of its own that reports its own peak (RUSAGE_SELF), so the
    # seeding's memory does not mask it.
    code = (
        "import django, resource, sys; django.setup(); from django.core.management import call_command; "
        f"call_command('refi_export', '--study', '{STUDY}', '--output', sys.argv[1]); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code, str(output)], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    peak_kb = int(result.stdout.strip().splitlines()[-1])
    print(result.stdout.strip().splitlines()[0])
    print(f"database: {env['DATABASE_URL'].split(':')[0]}, observations seeded: {options.observations}")
    print(f"refi_export: {elapsed:.1f} s, peak RSS {peak_kb / 1024:.0f} MB, "
          f"archive {output.stat().st_size / 1e6:.1f} MB")
    if not options.keep:
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        folder.rmdir()


if __name__ == "__main__":
    main()
