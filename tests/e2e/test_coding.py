"""End to end: a member selects words of an observation in Chromium, picks a code, and sees them highlighted.

The note holds emoji (two UTF-16 units in the browser, one character on the server, or several joined
into one glyph) before each passage: the stored offsets are the server's characters all the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from commons.models import Role
from studies.models import Code, Excerpt, Observation
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOT_COPY = "/tmp/obs-coded.png"
BODY = (
    "Réunion mensuelle du bureau de l'association 🙂. La secrétaire **ouvre Le Chat** 👩🏽‍💻 sur son ordinateur "
    "portable et lui demande de résumer les notes prises pendant la séance.\n\n"
    "Le trésorier 🤔 s'inquiète : « Où partent nos données ? » Elle répond que l'outil est hébergé en Europe, "
    "mais personne ne sait vraiment. Le compte rendu généré est relu à voix haute puis corrigé à la main."
)
FIRST = "demande de résumer les notes prises pendant la séance"
SECOND = "Où partent nos données ?"


@pytest.fixture
def coding_setup(live_server, bureau, make_study, make_person, make_collective):
    """Everything in the database before the browser (and its event loop) starts."""
    member = make_person(bureau, Role.MEMBER, email="camille@example.org")
    study = make_study(bureau, "Usages de l'IA générative dans les structures de l'ESS")
    collective = make_collective(bureau, "Les Ateliers du Rhône", legal_form="association", territory="Lyon")
    observation = Observation.objects.create(
        study=study, collective=collective, observer=member, setting="meeting", purposes=["summarising"],
        title="Compte rendu de bureau avec Le Chat", body=BODY,
    )
    usages = Code.objects.create(study=study, name="Usages", colour="#2f6fb0")
    summary = Code.objects.create(study=study, name="Résumer", colour="#2f6fb0", parent=usages)
    tensions = Code.objects.create(study=study, name="Tensions", colour="#b03a2e")
    worry = Code.objects.create(study=study, name="Souveraineté des données", colour="#c46a00", parent=tensions)
    return {
        "member": member, "study": study, "observation": observation,
        "codes": {"summary": summary, "worry": worry, "usages": usages, "tensions": tensions},
        "url": f"{study.url}observations/{observation.pk}/",
    }


SELECT_JS = """([needle]) => {
  const root = document.getElementById("coding-text");
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const at = node.data.indexOf(needle);
    if (at >= 0) {
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + needle.length);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      root.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
      return true;
    }
  }
  return false;
}"""


def _code(page, base, setup, needle, code_pk):
    from playwright.sync_api import expect

    page.goto(f"{base}{setup['url']}")
    assert page.evaluate(SELECT_JS, [needle])
    # The script filled the form and shows the selection, then focused the code picker.
    expect(page.locator("#selection-preview")).to_be_visible()
    expect(page.locator("#selection-preview [data-selected-text]")).to_have_text(needle)
    assert page.evaluate("document.activeElement.name") == "codes"
    page.check(f"#code-{code_pk}")
    page.locator("#excerpt-form button[type='submit']").click()
    page.wait_for_url(f"**{setup['url']}#excerpt-*")


def _stored_offsets(monkeypatch) -> list[tuple[int, int, str, list[str]]]:
    """Excerpts as stored. Playwright's sync API runs an event loop in this thread, so Django would refuse
    ORM calls here; nothing async touches the database, so the guard is lifted for this read only."""
    with monkeypatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        return [
            (excerpt.start, excerpt.end, excerpt.text, [code.name for code in excerpt.codes.all()])
            for excerpt in Excerpt.objects.order_by("start")
        ]


def test_member_codes_a_selection_and_sees_it_highlighted(coding_setup, live_server, chromium_page, monkeypatch):
    from playwright.sync_api import expect

    page, base, setup = chromium_page, live_server.url, coding_setup
    text = setup["observation"].plain_text

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name='login']", "camille@example.org")
    page.fill("input[name='password']", PASSWORD)
    page.locator("main form button[type='submit']").first.click()
    expect(page.locator("header a[href='/accounts/logout/']")).to_be_visible()

    # The rendered text equals the plain text, so offsets computed in the browser point into it.
    page.goto(f"{base}{setup['url']}")
    assert page.evaluate("document.getElementById('coding-text').textContent") == text

    # 1. Select a passage, pick « Résumer », save; after a reload it is highlighted.
    _code(page, base, setup, FIRST, setup["codes"]["summary"].pk)
    page.reload()
    marks = page.locator("#coding-text mark.excerpt")
    expect(marks).to_have_count(1)
    expect(marks.first).to_have_text(FIRST)
    start = text.index(FIRST)
    assert _stored_offsets(monkeypatch) == [(start, start + len(FIRST), FIRST, ["Résumer"])]

    # 2. A second passage with another code: two highlights, a legend, two excerpts listed.
    _code(page, base, setup, SECOND, setup["codes"]["worry"].pk)
    page.reload()
    expect(marks).to_have_count(2)
    expect(marks.nth(1)).to_have_text(SECOND)
    second = text.index(SECOND)
    assert _stored_offsets(monkeypatch)[1] == (second, second + len(SECOND), SECOND, ["Souveraineté des données"])
    expect(page.locator("#legend")).to_contain_text("Souveraineté des données")
    expect(page.locator(".excerpt-item")).to_have_count(2)

    page.screenshot(path=SCREENSHOT_COPY, full_page=True)
    assert Path(SCREENSHOT_COPY).stat().st_size > 0
