"""Issue 18, part 4: the public registry of AI systems.

Each system's page shows its facts and what the study observed of it: counts of consented
observations by purpose and by kind of collective, and the quotes of adopted (live) reports —
never a draft's quote, never team material, never a withdrawn party. Filters by hosting, openness
and purpose; CSV and JSON downloads; queries bounded at two sizes; the cached copy follows a
withdrawal made with a bare `update()`.
"""

from __future__ import annotations

import csv
import io
import json
from html import unescape

import pytest
from django.test import Client
from django.utils import translation

from studies.models import AITool, Observation
from tests.conftest import count_queries
from tests.studies.report_helpers import code, coded_note, make_report, quote, withdraw

pytestmark = pytest.mark.django_db

PRIVATE_TITLE = "Note d'équipe confidentielle"
QUOTED = "Nous traduisons nos affiches avec Le Chat."


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def registry_url(study, tail: str = "") -> str:
    return f"{study.url}ai-tools/{tail}"


def note(study, collective, tools, purposes=(), title=PRIVATE_TITLE) -> Observation:
    observation = Observation.objects.create(study=study, collective=collective, setting="online", title=title,
                                             body="Corps privé de la note.", purposes=list(purposes))  # fmt: skip
    observation.ai_tools.set(tools)
    return observation


@pytest.fixture
def tools(db):
    return {
        "chat": AITool.objects.create(name="Le Chat", vendor="Mistral AI", hosting="eu", licence="Propriétaire"),
        "gpt": AITool.objects.create(name="ChatGPT", vendor="OpenAI", hosting="outside_eu"),
        "llama": AITool.objects.create(name="Llama", open_weights=True, hosting="self_hosted"),
    }


def text(response) -> str:
    return unescape(response.content.decode())


def test_a_system_page_counts_consented_observations_by_purpose_and_kind(
    client, bureau, study, tools, make_collective
):
    asso = make_collective(bureau, "Association réelle", legal_form="association")
    scop = make_collective(bureau, "SCOP réelle", legal_form="scop")
    gone = make_collective(bureau, "Partie retirée", legal_form="scic")
    never = make_collective(bureau, legal_form="mutual", scopes=("interview",))
    note(study, asso, [tools["chat"]], ["writing", "translating"])
    note(study, asso, [tools["chat"], tools["gpt"]], ["translating"])
    note(study, scop, [tools["chat"]], ["translating"])
    note(study, gone, [tools["chat"]], ["writing"])
    note(study, never, [tools["chat"]], ["admin"])
    withdraw(gone)
    response = client.get(registry_url(study, f"{tools['chat'].pk}/"))
    assert response.status_code == 200
    assert response.context["tool"].mentions == 3
    assert [(key, n) for key, _label, n in response.context["by_purpose"]] == [("translating", 3), ("writing", 1)]
    assert [(key, n) for key, _label, n in response.context["by_kind"]] == [("association", 2), ("scop", 1)]
    page = text(response)
    assert "Mistral AI" in page and "In the EU" in page
    for private in (PRIVATE_TITLE, "Corps privé", "Association réelle", "SCOP réelle", asso.code, "Scic"):
        assert private not in page


def test_quotes_come_from_adopted_reports_only_and_leave_with_consent(client, bureau, study, people, tools,
                                                                      make_collective, settings):  # fmt: skip
    settings.BEC_PAGE_CACHE = True
    party = make_collective(bureau, "Nom réel")
    codes = code(study)
    quoted = coded_note(study, party, people["member"], codes, QUOTED)
    quoted.observation.ai_tools.set([tools["chat"]])
    other = coded_note(study, party, people["member"], codes, "Une autre phrase sur ChatGPT.")
    other.observation.ai_tools.set([tools["gpt"]])
    draft_only = coded_note(study, party, people["member"], codes, "Phrase d'un brouillon.")
    draft_only.observation.ai_tools.set([tools["chat"]])
    live = make_report(study, [quote(quoted), quote(other)], user=people["member"])
    live.get_latest_revision().publish()
    make_report(study, [quote(draft_only)], user=people["member"], title="Brouillon", slug="brouillon")
    url = registry_url(study, f"{tools['chat'].pk}/")
    anonymous = Client()
    anonymous.cookies["django_language"] = "en"
    page = text(anonymous.get(url))
    assert QUOTED in page and "Premiers constats" in page and party.code in page
    assert "Une autre phrase" not in page  # a quote about another system
    assert "Phrase d'un brouillon" not in page  # a report not adopted
    assert "Nom réel" not in page
    assert QUOTED in text(anonymous.get(url))  # from the cache
    withdraw(party)  # a bare update(): no signal
    page = text(anonymous.get(url))
    assert QUOTED not in page
    assert "No adopted report quotes" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"hosting": "eu"}, {"Le Chat"}),
        ({"hosting": "outside_eu"}, {"ChatGPT"}),
        ({"openness": "open"}, {"Llama"}),
        ({"openness": "closed"}, {"Le Chat", "ChatGPT"}),
        ({"purpose": "translating"}, {"Le Chat"}),
        ({"purpose": "writing", "hosting": "outside_eu"}, {"ChatGPT"}),
        ({}, {"Le Chat", "ChatGPT", "Llama"}),
    ],
)
def test_filters(client, bureau, study, tools, make_collective, query, expected):
    party = make_collective(bureau)
    note(study, party, [tools["chat"]], ["translating"])
    note(study, party, [tools["gpt"]], ["writing"])
    note(study, party, [tools["chat"]], ["writing"])
    response = client.get(registry_url(study), query)
    assert {tool.name for tool in response.context["tools"]} == expected
    data = json.loads(client.get(registry_url(study, "json/"), query).content)
    assert {tool["name"] for tool in data["tools"]} == expected


def test_purpose_filter_counts_that_purpose(client, bureau, study, tools, make_collective):
    party = make_collective(bureau)
    note(study, party, [tools["chat"]], ["translating"])
    note(study, party, [tools["chat"]], ["writing"])
    response = client.get(registry_url(study), {"purpose": "writing"})
    assert [(tool.name, tool.mentions) for tool in response.context["tools"]] == [("Le Chat", 1)]


def test_unknown_filters_are_reported_and_left_out(client, study, tools):
    response = client.get(registry_url(study), {"hosting": "mars", "openness": "<b>", "purpose": "x" * 500})
    assert response.status_code == 200
    page = text(response)
    assert "Unknown hosting." in page and "Unknown openness." in page and "Unknown purpose." in page
    assert len(response.context["tools"]) == 3
    assert client.get(registry_url(study, "csv/"), {"hosting": "mars"}).status_code == 200
    assert client.get(registry_url(study, "999999/")).status_code == 404


def test_downloads(client, bureau, study, tools, make_collective):
    AITool.objects.create(name="=HYPERLINK(\"http://x\")", vendor="+evil")
    asso = make_collective(bureau, legal_form="association")
    gone = make_collective(bureau)
    note(study, asso, [tools["chat"]], ["translating", "writing"])
    note(study, gone, [tools["chat"]], ["translating"])
    withdraw(gone)
    response = client.get(registry_url(study, "csv/"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], {row[0]: row for row in rows[1:]}
    assert header[:8] == ["Tool", "Vendor", "Model family", "Hosting", "Open weights", "Licence", "Data-use policy",
                          "Observations"]  # fmt: skip
    chat = body["Le Chat"]
    assert chat[7] == "1" and chat[header.index("Observations: translating")] == "1"
    assert "'=HYPERLINK(\"http://x\")" in body and body["'=HYPERLINK(\"http://x\")"][1] == "'+evil"
    data = json.loads(client.get(registry_url(study, "json/")).content)
    record = next(tool for tool in data["tools"] if tool["name"] == "Le Chat")
    assert record["observations"] == 1 and record["hosting"] == "eu" and record["open_weights"] is False
    assert record["observations_by_purpose"] == {"translating": 1, "writing": 1}
    assert record["observations_by_collective_kind"] == {"association": 1}
    assert PRIVATE_TITLE not in json.dumps(data, ensure_ascii=False)


def test_queries_do_not_grow(client, bureau, study, people, tools, make_collective, settings):
    settings.BEC_PAGE_CACHE = False
    codes = code(study)

    def populate(n: int) -> None:
        for i in range(n):
            party = make_collective(bureau, legal_form=("association", "scop", "scic")[i % 3])
            tool = AITool.objects.create(name=f"Outil {AITool.objects.count()}", hosting="eu")
            note(study, party, [tools["chat"], tool], ["writing", "translating"][: 1 + i % 2])
            excerpt = coded_note(study, party, people["member"], codes, f"Citation {i}.")
            excerpt.observation.ai_tools.set([tools["chat"]])
            report = make_report(study, [quote(excerpt)], user=people["member"], title=f"Rapport {i}-{n}",
                                 slug=f"rapport-{i}-{n}")  # fmt: skip
            report.get_latest_revision().publish()

    urls = [registry_url(study), registry_url(study) + "?purpose=writing&hosting=eu",
            registry_url(study, f"{tools['chat'].pk}/"), registry_url(study, "csv/"), registry_url(study, "json/")]  # fmt: skip
    populate(2)
    small = [count_queries(client, url) for url in urls]
    populate(6)
    assert [count_queries(client, url) for url in urls] == small


def test_the_cached_registry_follows_tools_and_consent(bureau, study, tools, make_collective, settings):
    settings.BEC_PAGE_CACHE = True
    party = make_collective(bureau)
    note(study, party, [tools["chat"]], ["writing"])
    anonymous = Client()
    assert anonymous.get(registry_url(study)).context["tools"][1].mentions == 1  # rendered, then stored
    assert anonymous.get(registry_url(study)).context is None  # served from the cache
    tools["chat"].vendor = "Mistral AI SAS"
    tools["chat"].save()
    assert "Mistral AI SAS" in text(anonymous.get(registry_url(study)))
    withdraw(party)  # a bare update(): no signal, yet the counts follow at once
    response = anonymous.get(registry_url(study))
    assert [tool.mentions for tool in response.context["tools"]] == [0, 0, 0]


def test_a_quote_leaves_when_its_report_is_withdrawn_and_a_draft_quote_never_shows(
    client, bureau, study, people, tools, make_collective, settings
):
    """Adopted, then unpublished: the quote leaves the registry (and its cached copy). A new quote in
    a draft of an adopted report (the next version, not yet voted) never shows."""
    from studies.models import StudyReportPage

    settings.BEC_PAGE_CACHE = True
    party = make_collective(bureau, "Nom réel")
    codes = code(study)
    quoted = coded_note(study, party, people["member"], codes, QUOTED)
    quoted.observation.ai_tools.set([tools["chat"]])
    later = coded_note(study, party, people["member"], codes, "Une phrase du prochain brouillon.")
    later.observation.ai_tools.set([tools["chat"]])
    report = make_report(study, [quote(quoted)], user=people["member"])
    report.get_latest_revision().publish()
    draft = StudyReportPage.objects.get(pk=report.pk)
    draft.body = [quote(quoted), quote(later)]
    draft.save_revision(user=people["member"])  # the next version, not adopted
    url = registry_url(study, f"{tools['chat'].pk}/")
    anonymous = Client()
    anonymous.cookies["django_language"] = "en"
    page = text(anonymous.get(url))
    assert QUOTED in page and "prochain brouillon" not in page
    StudyReportPage.objects.get(pk=report.pk).unpublish()
    page = text(anonymous.get(url))
    assert QUOTED not in page and "No adopted report quotes" in page
