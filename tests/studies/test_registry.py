"""The public AI tool registry of a study: every tool with counts of consented observations only,
open to every visitor, at a number of queries that does not grow with tools or observations.
Also the admin side: the registry as a snippet, observations read-only."""

from __future__ import annotations

import pytest
from django.utils import timezone

from studies.models import AITool, Observation
from tests.conftest import client_for, count_queries

VISITORS = ["anonymous", "outsider", "observer", "member", "coordinator", "other_member"]


def _url(study) -> str:
    return f"{study.url}ai-tools/"


def _observe(study, collective, tools, title="Note privée de terrain") -> Observation:
    observation = Observation.objects.create(study=study, collective=collective, setting="online", title=title,
                                             body="Un texte privé.")
    observation.ai_tools.set(tools)
    return observation


def _mentions(response) -> dict[str, int]:
    return {tool.name: tool.mentions for tool in response.context["tools"]}


@pytest.mark.parametrize("visitor", VISITORS)
def test_registry_is_public_and_shows_counts_only(client, people, bureau, study, make_collective, visitor):
    chat = AITool.objects.create(name="ChatGPT", vendor="OpenAI", model_family="GPT-4o", licence="propriétaire",
                                 data_policy="Peut entraîner sur les données <b>par défaut</b>.")
    llama = AITool.objects.create(name="Llama local", open_weights=True, hosting="self_hosted")
    collective = make_collective(bureau, "Nom réel secret")
    _observe(study, collective, [chat, llama])
    _observe(study, collective, [chat])
    response = client_for(client, people[visitor]).get(_url(study))
    assert response.status_code == 200
    assert _mentions(response) == {"ChatGPT": 2, "Llama local": 1}
    content = response.content.decode()
    for shown in ("OpenAI", "GPT-4o", "propriétaire", "Llama local"):
        assert shown in content
    assert "&lt;b&gt;par défaut&lt;/b&gt;" in content  # the policy note is escaped
    for private in ("Note privée", "Un texte privé", "Nom réel secret", collective.code):
        assert private not in content


def test_counts_leave_out_other_studies_and_withdrawn_consent(client, bureau, study, make_study, make_collective):
    chat = AITool.objects.create(name="ChatGPT")
    deepl = AITool.objects.create(name="DeepL")
    consenting, withdrawing = make_collective(bureau), make_collective(bureau)
    never = make_collective(bureau, scopes=("interview",))
    _observe(study, consenting, [chat, deepl])
    _observe(study, withdrawing, [chat])
    _observe(study, never, [deepl])
    _observe(make_study(bureau), consenting, [chat, deepl])
    assert _mentions(client.get(_url(study))) == {"ChatGPT": 2, "DeepL": 1}
    withdrawing.consents.update(withdrawn_at=timezone.now())
    assert _mentions(client.get(_url(study))) == {"ChatGPT": 1, "DeepL": 1}


def test_unused_tools_are_listed_with_zero(client, study):
    AITool.objects.create(name="Whisper")
    assert _mentions(client.get(_url(study))) == {"Whisper": 0}


def test_registry_queries_do_not_grow(client, bureau, study, make_collective):
    collective = make_collective(bureau)

    def populate(tools: int, observations: int) -> None:
        start = AITool.objects.count()
        for i in range(tools):
            AITool.objects.create(name=f"Outil {start + i}")
        every = list(AITool.objects.all())
        for i in range(observations):
            _observe(study, collective, every[: 1 + i % len(every)])

    populate(2, 3)
    small = count_queries(client, _url(study))
    populate(8, 27)
    assert count_queries(client, _url(study)) == small


# --- Admin ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, make_person):
    return client_for(client, make_person(is_superuser=True, is_staff=True))


def test_admin_lists_tools_with_search_and_filters(admin_client):
    AITool.objects.create(name="Le Chat", vendor="Mistral AI", hosting="eu")
    AITool.objects.create(name="Gemini", vendor="Google")
    response = admin_client.get("/admin/snippets/studies/aitool/", {"q": "mistral"})
    assert response.status_code == 200
    assert "Le Chat" in response.content.decode() and "Gemini" not in response.content.decode()
    response = admin_client.get("/admin/snippets/studies/aitool/", {"hosting": "eu"})
    assert "Le Chat" in response.content.decode() and "Gemini" not in response.content.decode()


def test_admin_observations_are_read_only(admin_client, bureau, study, make_collective):
    observation = _observe(study, make_collective(bureau), [], title="Note à inspecter")
    _observe(study, make_collective(bureau), [], title="Note à cacher")
    listing = admin_client.get("/admin/observation/")
    assert listing.status_code == 200 and "Note à inspecter" in listing.content.decode()
    searched = admin_client.get("/admin/observation/", {"q": "inspecter"})
    assert searched.status_code == 200 and "Note à inspecter" in searched.content.decode()
    assert "Note à cacher" not in searched.content.decode()
    inspected = admin_client.get(f"/admin/observation/inspect/{observation.pk}/")
    assert inspected.status_code == 200 and "Un texte privé." in inspected.content.decode()
    # Editing and adding are refused even to a superuser: Wagtail sends them back to the dashboard.
    for response in (
        admin_client.get(f"/admin/observation/edit/{observation.pk}/"),
        admin_client.post(f"/admin/observation/edit/{observation.pk}/", {"title": "Changée"}),
        admin_client.get("/admin/observation/new/"),
    ):
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    observation.refresh_from_db()
    assert observation.title == "Note à inspecter"
