"""`make bench` prints issue 15's goals next to the ratios (bench/run.py): the targets and verdicts."""

from __future__ import annotations

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
