"""Content-Security-Policy: every response carries one; on the public site no inline script runs.

The header is checked on pages of each kind; the templates are checked for anything the policy
would block (inline <script>, on*= handlers, javascript: links, <style> elements), so that a new
template cannot silently lose its behaviour. tests/e2e/test_csp.py shows in chromium that an
injected inline script does not run and that the project's own scripts do.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from commons.models import Role

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict(directives: dict[str, list[str]]) -> None:
    """What keeps an injected script from running, whatever else the policy allows."""
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["style-src"]
    assert "script-src-attr" not in directives and "script-src-elem" not in directives
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/accounts/password/reset/", "/no-such-page/"])
def test_public_pages_send_a_strict_policy(client, home, url):
    response = client.get(url)

    assert_strict(policy(response))
    assert policy(response)["style-src-attr"] == ["'unsafe-inline'"]  # code colours (style="--c: …")


def test_bureau_and_study_pages_send_a_strict_policy(client, bureau, study, people):
    client.force_login(people["member"])
    for url in (bureau.url, study.url, "/accounts/profile/", "/accounts/2fa/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(policy(response))


def test_admin_allows_wagtails_inline_scripts_and_nothing_foreign(client, bureau, make_person):
    client.force_login(make_person(bureau, Role.MEMBER))

    directives = policy(client.get("/admin/"))

    assert directives["script-src"] == ["'self'", "'unsafe-inline'"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'self'"]


def test_the_admin_exception_is_the_admin_only(client, home):
    """A path that merely contains "admin" elsewhere keeps the strict policy."""
    assert_strict(policy(client.get("/not/admin/")))
    assert_strict(policy(client.get("/adminx/")))


# --- Templates: nothing the policy would block --------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)


def _templates():
    for folder in TEMPLATE_DIRS:
        yield from sorted(folder.rglob("*.html"))


def test_template_walk_finds_the_templates():
    names = {path.relative_to(ROOT).as_posix() for path in _templates()}
    assert "templates/base.html" in names
    assert any(name.startswith("studies/templates/") for name in names)
    assert len(names) > 40


@pytest.mark.parametrize(
    "pattern, sample",
    [
        (INLINE_SCRIPT, "<script>alert(1)</script>"),
        (INLINE_SCRIPT, '<script type="text/javascript">x()</script>'),
        (EVENT_HANDLER, '<select onchange="this.form.submit()">'),
        (EVENT_HANDLER, "<body onload=init()>"),
        (JS_URL, '<a href="javascript:void(0)">'),
        (STYLE_ELEMENT, "<style>p{}</style>"),
    ],
)
def test_patterns_catch_what_the_policy_blocks(pattern, sample):
    assert pattern.search(sample)


def test_patterns_leave_what_the_policy_allows():
    allowed = '<script src="/static/x.js" defer></script><script type="application/json">{}</script><span style="--c: #fff">'
    assert not any(p.search(allowed) for p in (INLINE_SCRIPT, EVENT_HANDLER, JS_URL, STYLE_ELEMENT))


def test_no_template_relies_on_inline_script_or_style_elements():
    problems = []
    for path in _templates():
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, JS_URL, STYLE_ELEMENT):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)[:60]}")
    assert not problems, "blocked by the Content-Security-Policy:\n" + "\n".join(problems)
