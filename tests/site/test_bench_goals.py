"""`make bench` prints issue 15's goals next to the ratios (bench/run.py): the targets and verdicts."""

from __future__ import annotations

import pytest

from bench import run

URLS = {
    "home": "/",
    "bureau": "/b/",
    "bare": "/bare/",
    "register": "/b/decisions/",
    "protocol": "/b/e/protocole/",
    "protocol-v1": "/b/e/protocole/v/1/",
    "report": "/b/e/rapport/",
    "study": "/b/e/",
    "observations": "/b/e/observations/",
}


def _result(label: str, rps: float, server_ms: float | None = None) -> dict:
    return {"label": label, "rps": rps, "server_median_ms": server_ms}


def test_the_default_targets_cover_the_issues_pages():
    targets = {target.label: target for target in run.default_targets(URLS)}
    for public in ("home", "register", "protocol", "protocol-v1", "report"):
        assert not targets[public].member
    for team in ("study", "list", "list-p50", "list-filter", "codebook", "agreement"):
        assert targets[team].member
    assert targets["codebook"].path == "/b/e/codebook/" and targets["agreement"].path == "/b/e/agreement/"


def test_goal_verdicts_take_each_ratio_to_its_own_baseline():
    results = [
        _result("bare", 100),
        _result("bare-member", 85),
        _result("home", 150),
        _result("codebook", 50, 40),
        _result("agreement", 50, 400),
        _result("list", 30, 20),
    ]
    verdicts = {r["label"]: run.goal_verdict(r, results) for r in results}
    assert verdicts["bare"] == ""
    assert verdicts["bare-member"].endswith("ok")  # 0.85 >= 0.8 x bare
    assert "MISSED (1.50 x)" in verdicts["home"]  # public pages: >= 2 x bare
    assert verdicts["codebook"].endswith("ok")  # 50/85 >= 0.5 x bare-member and 40 ms < 100 ms
    assert "MISSED" in verdicts["agreement"]  # fast enough in ratio, but 400 ms
    assert "MISSED (0.35 x)" in verdicts["list"]


def test_quick_mode_is_ten_thousand_observations(monkeypatch):
    seen = {}
    monkeypatch.setattr(run, "run", lambda args: seen.setdefault("args", args) and 0)
    run.main(["--quick"])
    assert seen["args"].observations == 10_000 and seen["args"].duration <= 3


def test_page_fifty_is_reached_by_cursor_and_its_count_checked():
    """The list pages by cursor (issue 15, goal 2): `study_state`'s cursor takes list-p50 to page 50."""
    targets = {
        target.label: target for target in run.default_targets({**URLS, "list_after": "2026-03-01.42"})
    }
    deep = targets[f"list-p{run.LIST_PAGE}"]
    assert deep.member and deep.path == "/b/e/observations/?after=2026-03-01.42"
    html = (
        '<form class="panel observation-filters"></form><p class="meta result-count">1 234 observations</p>'
        '<table class="observations"><tr id="observation-7"></tr></table>'
    )
    problems, facts = run.check_observation_list(deep, html, {"listed": 1234, "writing": 10})
    assert problems == [] and facts == {"listed": 1234, "rows_on_page": 1, "page": run.LIST_PAGE}
    problems, _facts = run.check_observation_list(deep, html, {"listed": 99, "writing": 10})
    assert problems == ["lists 1234 observations, expected 99"]


@pytest.mark.django_db
def test_study_state_cursor_shows_the_page_fifty_rows(study, bureau, make_collective):
    """`deep_cursor` is the sort key of the last row before page N: the cursor page starts there."""
    from bench.fixtures import deep_cursor
    from studies.keyset import Cursor, keyset_page
    from studies.models import Observation

    collective = make_collective(bureau)
    for n in range(12):
        Observation.objects.create(
            study=study, collective=collective, title=f"N{n}", body="x", setting="meeting"
        )
    rows = Observation.objects.filter(study=study)
    ordered = list(rows.order_by("-observed_on", "-pk").values_list("pk", flat=True))
    cursor = deep_cursor(rows, 3, 5)  # page 3 of 5 per page: rows 11 and 12
    page = keyset_page(rows, 5, after=Cursor.parse(cursor))
    assert [row.pk for row in page] == ordered[10:]
    assert deep_cursor(rows, 4, 5) is None and deep_cursor(rows, 1, 5) is None
