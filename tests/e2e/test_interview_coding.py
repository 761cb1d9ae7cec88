"""End to end: a member codes a passage of an interview transcript in Chromium, with the guide beside it.

The transcript goes through the same coding page machinery and script as an observation's note.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from commons.models import Role
from participants.models import ConsentForm, ConsentRecord, Informant
from studies.models import Code, Excerpt, Interview
from tests.conftest import PASSWORD
from tests.e2e.test_coding import SELECT_JS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOT_COPY = "/tmp/interview-coded.png"
TRANSCRIPT = (
    "**Enquêtrice** : Comment utilisez-vous l'IA dans l'association ?\n\n"
    "**Camille** : Surtout pour les demandes de subvention. On écrit un premier jet avec Le Chat, "
    "puis on relit à deux, parce qu'on ne sait pas toujours d'où viennent les phrases.\n\n"
    "**Enquêtrice** : Qui a décidé de l'utiliser ?\n\n"
    "**Camille** : Personne, vraiment. C'est venu d'un bénévole, et c'est resté."
)
NEEDLE = "On écrit un premier jet avec Le Chat"
GUIDE = [
    {"question": "Comment utilisez-vous l'IA dans votre structure ?", "probes": ["Depuis quand ?", "Pour quoi ?"]},
    {"question": "Qui a décidé de son usage ?", "probes": ["Y a-t-il eu un débat ?"]},
]


@pytest.fixture
def interview_setup(live_server, bureau, make_study, make_person, make_collective, make_protocol):
    member = make_person(bureau, Role.MEMBER, email="camille@example.org")
    study = make_study(bureau, "Usages de l'IA générative dans les structures de l'ESS")
    protocol = make_protocol(study, guide=GUIDE)
    collective = make_collective(bureau, "Les Ateliers du Rhône")
    informant = Informant.objects.create(collective=collective, pseudonym="Camille", role="trésorière")
    form = ConsentForm.objects.create(bureau=bureau, title="Entretien", version=1, text="Texte.")
    ConsentRecord.objects.create(form=form, informant=informant, scopes=["interview"])
    interview = Interview.objects.create(
        study=study, informant=informant, interviewer=member, title="Entretien avec la trésorière",
        transcript=TRANSCRIPT, mode="video", duration_minutes=40,
        protocol_version=protocol.protocol_versions.get(),
    )
    code = Code.objects.create(study=study, name="Rédaction assistée", colour="#2f6fb0")
    return {"study": study, "interview": interview, "code": code,
            "url": f"{study.url}interviews/{interview.pk}/"}


def test_member_codes_a_transcript_next_to_the_guide(interview_setup, live_server, chromium_page, monkeypatch):
    from playwright.sync_api import expect

    page, base, setup = chromium_page, live_server.url, interview_setup
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name='login']", "camille@example.org")
    page.fill("input[name='password']", PASSWORD)
    page.locator("main form button[type='submit']").first.click()
    expect(page.locator("header a[href='/accounts/logout/']")).to_be_visible()

    page.goto(f"{base}{setup['url']}")
    assert page.evaluate("document.getElementById('coding-text').textContent") == setup["interview"].plain_text
    # The guide stands beside the transcript on a wide screen.
    text_box = page.locator("#transcript").bounding_box()
    guide_box = page.locator("#guide").bounding_box()
    assert guide_box["x"] > text_box["x"] + text_box["width"] - 1
    expect(page.locator("#guide")).to_contain_text("Qui a décidé de son usage ?")

    assert page.evaluate(SELECT_JS, [NEEDLE])
    expect(page.locator("#selection-preview [data-selected-text]")).to_have_text(NEEDLE)
    page.check(f"#code-{setup['code'].pk}")
    page.locator("#excerpt-form button[type='submit']").click()
    page.wait_for_url(f"**{setup['url']}#excerpt-*")
    marks = page.locator("#coding-text mark.excerpt")
    expect(marks).to_have_count(1)
    expect(marks.first).to_have_text(NEEDLE)

    with monkeypatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        excerpt = Excerpt.objects.get()
        assert (excerpt.interview_id, excerpt.observation_id, excerpt.text) == (setup["interview"].pk, None, NEEDLE)

    page.screenshot(path=SCREENSHOT_COPY, full_page=True)
    assert Path(SCREENSHOT_COPY).stat().st_size > 0
