"""The shared/ lookup: found relative to the repository, skipped where absent, a failure in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.shared import REPO_ROOT, require_shared, shared_root


def _repo_next_to_shared(tmp_path: Path, with_file: bool) -> Path:
    repo = tmp_path / "clone"
    repo.mkdir()
    if with_file:
        corpus = tmp_path / "shared" / "corpora" / "x.txt"
        corpus.parent.mkdir(parents=True)
        corpus.write_text("<script>")
    return repo


def test_shared_is_looked_for_next_to_the_repository_never_at_an_absolute_path():
    assert shared_root({}) == REPO_ROOT.parent / "shared"
    assert shared_root({"BEC_SHARED_DIR": "/elsewhere/shared"}) == Path("/elsewhere/shared")


def test_present_file_is_returned(tmp_path):
    repo = _repo_next_to_shared(tmp_path, with_file=True)

    path = require_shared("corpora", "x.txt", environ={}, repo_root=repo)

    assert path == tmp_path / "shared" / "corpora" / "x.txt"
    assert path.read_text() == "<script>"


def test_absent_folder_skips_with_the_path_it_looked_for(tmp_path):
    repo = _repo_next_to_shared(tmp_path, with_file=False)

    with pytest.raises(pytest.skip.Exception) as skipped:
        require_shared("corpora", "x.txt", environ={}, repo_root=repo)

    assert str(tmp_path / "shared" / "corpora" / "x.txt") in str(skipped.value)
    assert "BEC_SHARED_DIR" in str(skipped.value)


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_required_shared_data_fails_instead_of_skipping(tmp_path, value):
    repo = _repo_next_to_shared(tmp_path, with_file=False)

    with pytest.raises(pytest.fail.Exception) as failed:
        require_shared("corpora", "x.txt", environ={"BEC_REQUIRE_SHARED": value}, repo_root=repo)

    assert "BEC_REQUIRE_SHARED is set" in str(failed.value)


def test_require_flag_off_still_skips(tmp_path):
    repo = _repo_next_to_shared(tmp_path, with_file=False)

    with pytest.raises(pytest.skip.Exception):
        require_shared("corpora", "x.txt", environ={"BEC_REQUIRE_SHARED": "0"}, repo_root=repo)


def test_a_missing_file_inside_a_present_folder_is_treated_the_same(tmp_path):
    repo = _repo_next_to_shared(tmp_path, with_file=True)

    with pytest.raises(pytest.fail.Exception):
        require_shared("refi-qda", "sample.qdpx", environ={"BEC_REQUIRE_SHARED": "1"}, repo_root=repo)
