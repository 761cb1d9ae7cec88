"""Issue 11 items 8, 13 and 17, in Debian's chromium over the demo: every main page fits at 390 px
and 1280 px (no horizontal page scroll), the « Code this passage » button is in view after a
selection, the coding panel follows the text on a phone, and axe-core finds no WCAG 2.1 AA
violation on the main pages, as each role."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from commons import demo
from commons.models import BureauPage, Proposal
from studies import demo as studies_demo
from studies.models import AITool, Code, Excerpt, Interview, StudyPage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDTHS = [(1280, 900), (390, 844)]
COORDINATOR = "camille.martin@bec-demo.fr"
MEMBER = "lea.dubois@bec-demo.fr"
OBSERVER = "thomas.girard@bec-demo.fr"


@pytest.fixture
def demo_site(live_server) -> dict[str, str]:
    """The whole demo (bureau, votes, study, protocol), built before the browser starts; its main pages."""
    call_command("bec_demo", stdout=StringIO())
    bureau = BureauPage.objects.get(slug=demo.BUREAU_SLUG)
    study = StudyPage.objects.child_of(bureau).get(slug=studies_demo.STUDY_SLUG)  # not the forked study
    proposal = Proposal.objects.filter(bureau=bureau).order_by("-pk").first()
    coded = Excerpt.objects.filter(observation__study=study).values_list("observation_id", flat=True).first()
    interview = Interview.objects.filter(study=study).order_by("pk").first()
    pages = {
        "home": "/",
        "bureau": bureau.url,
        "members": f"{bureau.url}members/",
        "proposals": f"{bureau.url}proposals/",
        "proposal": f"{bureau.url}proposals/{proposal.pk}/",
        "new proposal": f"{bureau.url}proposals/new/",
        "register": f"{bureau.url}decisions/",
        "study": study.url,
        "observations": f"{study.url}observations/",
        "observation with coding": f"{study.url}observations/{coded}/",
        "codebook": f"{study.url}codebook/",
        "code": f"{study.url}codebook/{Code.objects.filter(study=study).order_by('pk').first().pk}/",
        "agreement": f"{study.url}agreement/",
        "interviews": f"{study.url}interviews/",
        "interview": f"{study.url}interviews/{interview.pk}/",
        "ai tools": f"{study.url}ai-tools/",
        "ai system": f"{study.url}ai-tools/{AITool.objects.order_by('name').first().pk}/",
        "resources": f"{bureau.url}resources/",
        "new resource": f"{bureau.url}resources/new/",
        "exchanges": f"{study.url}exchange/",
        "erasures": f"{study.url}erasures/",
        "report": f"{study.url}premiers-constats/",
        "report versions": f"{study.url}premiers-constats/versions/",
        "report diff": f"{study.url}premiers-constats/v/1/diff/",
        "my data": "/accounts/profile/data/",
        "privacy": "/confidentialite/",
        "registration": f"{study.url}protocole/v/2/registration/",
        "proxies": f"{bureau.url}proxies/",
        "leave": "/accounts/profile/leave/",
    }
    return pages


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name='login']", email)
    page.fill("input[name='password']", demo.DEMO_PASSWORD)
    page.locator("main form button[type='submit']").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


OVERFLOW_JS = """() => {
  const doc = document.documentElement;
  const wide = [...document.querySelectorAll("body *")].filter(el => el.getBoundingClientRect().right > doc.clientWidth + 1
     && !el.closest(".table-wrap, .table-scroll, pre, .visually-hidden"));
  return {scroll: doc.scrollWidth, client: doc.clientWidth,
          culprits: wide.slice(0, 5).map(el => el.tagName + "." + el.className)};
}"""

SELECT_JS = """() => {
  const root = document.getElementById("coding-text");
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const node = walker.nextNode();
  const range = document.createRange();
  range.setStart(node, 0);
  range.setEnd(node, Math.min(node.data.length, 40));
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  root.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
}"""

BUTTON_SHOWN_JS = """() => {
  const button = document.querySelector("#excerpt-form button[type=submit]");
  const box = button.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  if (y < 0 || y > window.innerHeight || x < 0 || x > window.innerWidth) return "outside the window";
  const hit = document.elementFromPoint(x, y);
  return hit === button || button.contains(hit) ? "" : "covered by " + (hit ? hit.tagName + "." + hit.className : "nothing");
}"""


def test_main_pages_fit_at_390_and_1280_and_the_coding_button_is_reachable(demo_site, live_server, chromium_page):
    page = chromium_page
    base = live_server.url
    _sign_in(page, base, COORDINATOR)
    problems = []
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        for name, path in demo_site.items():
            response = page.goto(f"{base}{path}")
            assert response.status == 200, (name, path, response.status)
            found = page.evaluate(OVERFLOW_JS)
            if found["scroll"] > found["client"]:
                problems.append((width, name, found))
    assert not problems, problems

    # 1280x900: after a selection the button is in view, inside the sticky panel, even scrolled down.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}{demo_site['observation with coding']}")
    page.evaluate("document.getElementById('note').scrollIntoView()")  # where a reader selects
    page.evaluate(SELECT_JS)
    page.wait_for_function("!document.getElementById('selection-preview').hidden")
    assert page.evaluate(BUTTON_SHOWN_JS) == ""
    page.evaluate("window.scrollTo(0, document.getElementById('coding-text').getBoundingClientRect().bottom"
                  " + window.scrollY - 300)")
    assert page.evaluate(BUTTON_SHOWN_JS) == ""

    # A phone: the coding panel comes right after the text, before the excerpts and the memos.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}{demo_site['observation with coding']}")
    tops = page.evaluate("""() => ["#note", "#code-excerpt", "#excerpts", "#memos"].map(
        s => document.querySelector(s) ? document.querySelector(s).getBoundingClientRect().top + window.scrollY : null)""")
    note, panel, *rest = tops
    assert note < panel and all(top is None or panel < top for top in rest), tops
    page.evaluate(SELECT_JS)
    page.locator("#excerpt-form button[type=submit]").scroll_into_view_if_needed()
    assert page.evaluate(BUTTON_SHOWN_JS) == ""


@pytest.mark.parametrize("email", [COORDINATOR, MEMBER, OBSERVER, None], ids=["coordinator", "member", "observer",
                                                                               "anonymous"])
def test_axe_finds_no_wcag_21_aa_violation(demo_site, live_server, chromium_page, email):
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    axe = axe_module.Axe()
    page = chromium_page
    base = live_server.url
    if email:
        _sign_in(page, base, email)
        paths = demo_site
    else:
        paths = {name: demo_site[name] for name in ("home", "bureau", "register", "ai tools")}
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    found = {}
    for name, path in paths.items():
        page.goto(f"{base}{path}")
        results = axe.run(page, options=options)
        violations = results.response["violations"]
        if violations:
            found[name] = [(v["id"], [node["target"] for node in v["nodes"][:3]]) for v in violations]
    assert not found, found
