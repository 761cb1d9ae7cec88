"""Data from the project's `shared/` folder (the XSS corpus, REFI-QDA samples), found without any
absolute path.

The folder sits next to the repository (`<repo>/../shared`) on the team's machines and in CI, and is
absent on a newcomer's fresh clone. Tests that read it skip there with a clear reason, so
`make test` passes anywhere; CI sets `BEC_REQUIRE_SHARED=1` so that a missing file fails instead of
silently skipping. `BEC_SHARED_DIR` points elsewhere (e.g. from a git worktree whose parent folder
has no `shared/`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
REQUIRE_ENV = "BEC_REQUIRE_SHARED"
DIR_ENV = "BEC_SHARED_DIR"
_TRUE = {"1", "true", "yes", "on"}


def shared_root(environ: Mapping[str, str] | None = None, repo_root: Path = REPO_ROOT) -> Path:
    """Where the shared folder is expected: `$BEC_SHARED_DIR`, else `<repo>/../shared`."""
    environ = os.environ if environ is None else environ
    override = environ.get(DIR_ENV, "").strip()
    return Path(override).expanduser() if override else repo_root.parent / "shared"


def require_shared(*parts: str, environ: Mapping[str, str] | None = None, repo_root: Path = REPO_ROOT) -> Path:
    """The path `shared/<parts>`; skips the calling test when it is absent, fails under `BEC_REQUIRE_SHARED`.

    Why one helper: every test that needs shared data then behaves the same way on a fresh clone
    (skip, with the path it looked for) and in CI (failure: CI must never pass by skipping them).
    """
    environ = os.environ if environ is None else environ
    path = shared_root(environ, repo_root).joinpath(*parts)
    if path.exists():
        return path
    reason = (
        f"shared data {path} is absent (the project's shared/ folder next to the repository; "
        f"set {DIR_ENV} to use another place)"
    )
    if environ.get(REQUIRE_ENV, "").strip().lower() in _TRUE:
        pytest.fail(f"{reason}, and {REQUIRE_ENV} is set", pytrace=False)
    pytest.skip(reason)
