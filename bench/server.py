"""Set up the benchmark's throwaway site and run it under gunicorn.

Everything runs in subprocesses with an explicit environment (`bench_env`), so the benchmark
never touches the developer's `db.sqlite3`, `staticfiles/` or `media/`.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "bench.settings"
WSGI_APP = "bec_site.wsgi:application"


class BenchError(RuntimeError):
    """The benchmark could not be set up (the message says what to look at)."""


def bench_env(workdir: Path, database_url: str) -> dict[str, str]:
    """Production-like settings for the setup commands and the server alike."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "SECRET_KEY": "bench-only-not-secret-" + "x" * 50,  # production settings want >= 50 characters
            "EMAIL_URL": "console://",
            "WAGTAILADMIN_BASE_URL": "http://127.0.0.1",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": database_url,
            "STATIC_ROOT": str(workdir / "static"),
            "MEDIA_ROOT": str(workdir / "media"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
    )
    return env


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def manage(env: dict[str, str], log_path: Path, *args: str) -> str:
    """Run `manage.py <args>` with `env`; append its output to `log_path`, return its stdout."""
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    with log_path.open("a") as log:
        log.write(f"$ manage.py {' '.join(args)}\n{completed.stdout}{completed.stderr}\n")
    if completed.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed ({completed.returncode}):\n{_tail(log_path)}")
    return completed.stdout


def manage_streaming(env: dict[str, str], log_path: Path, *args: str, prefix: str = "  ") -> str:
    """Like `manage()`, but prints each line of output as it comes (long commands show progress)."""
    command = [sys.executable, "-u", str(ROOT / "manage.py"), *args]
    lines = []
    with log_path.open("a") as log:
        log.write(f"$ manage.py {' '.join(args)}\n")
        log.flush()
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                log.write(line)
                print(prefix + line.rstrip(), flush=True)
            returncode = process.wait()
        finally:
            if process.poll() is None:  # interrupted: stop the command (its own child only)
                process.terminate()
                process.wait(timeout=15)
    if returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed ({returncode}):\n{_tail(log_path)}")
    return "".join(lines)


def prepare_site(env: dict[str, str], log_path: Path) -> dict[str, str]:
    """Migrate, load the demo bureau, add the bare page, collect static files.

    Returns the URLs of the home, bureau and bare pages as Wagtail computes them.
    """
    manage(env, log_path, "migrate", "--no-input")
    manage(env, log_path, "bec_demo")
    script = "from bench.fixtures import ensure_bare_page; ensure_bare_page()"
    out = manage(env, log_path, "shell", "-c", script)
    # Production stores static files with whitenoise's CompressedManifestStaticFilesStorage:
    # without the manifest, `{% static %}` raises and every page is a 500.
    manage(env, log_path, "collectstatic", "--no-input")
    return json.loads(out.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(
    host: str, port: int, path: str, timeout: float = 10.0, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"User-Agent": "wagtail-bec-bench/1", **(headers or {})})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


class Gunicorn:
    """`with Gunicorn(env, log_path) as server:` — started, ready, and always stopped on exit."""

    host = "127.0.0.1"

    def __init__(self, env: dict[str, str], log_path: Path, *, workers: int = 2, port: int | None = None):
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            WSGI_APP,
            "--workers",
            str(self.workers),
            "--bind",
            f"{self.host}:{self.port}",
            "--chdir",
            str(ROOT),
            "--error-logfile",
            str(self.log_path),
            "--log-level",
            "warning",
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
        ]

    def start(self) -> None:
        # A session of its own: Ctrl-C in the terminal reaches only us, and we stop gunicorn
        # ourselves (gracefully) in stop().
        self.process = subprocess.Popen(
            self.command(),
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_ready(self, path: str = "/", timeout: float = 30.0) -> None:
        """Wait until `path` answers (any HTTP status): the master has bound and a worker is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise BenchError(f"gunicorn exited early:\n{_tail(self.log_path)}")
            try:
                http_get(self.host, self.port, path, timeout=5)
                return
            except (OSError, http.client.HTTPException):
                time.sleep(0.2)
        raise BenchError(f"gunicorn not ready after {timeout:.0f} s:\n{_tail(self.log_path)}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            # Our own process group (start_new_session): the master and its workers only.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def __enter__(self) -> Gunicorn:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
