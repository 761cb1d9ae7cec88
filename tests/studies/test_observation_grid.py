"""Observations follow the protocol's grid in force, and keep the version they were logged under."""

from __future__ import annotations

from html import unescape

import pytest

from studies.grid import displayed_answers
from studies.models import Observation, ProtocolPage, ProtocolVersion
from tests.conftest import client_for, protocol_body
from tests.studies.test_observations import _fr, _observe, _post_data, _url

pytestmark = pytest.mark.django_db

GRID_V1 = [
    {"name": "frequence", "label": "Fréquence d'usage", "field_type": "choice",
     "choices": "quotidienne\nhebdomadaire\nrare", "required": True, "help_text": ""},
    {"name": "equipe", "label": "Taille de l'équipe", "field_type": "text", "choices": "", "required": False,
     "help_text": ""},
]
GRID_V2 = [
    # « frequence » is relabelled, « equipe » dropped, two questions added.
    {"name": "frequence", "label": "Rythme d'utilisation", "field_type": "choice",
     "choices": "quotidienne\nhebdomadaire\nrare", "required": True, "help_text": ""},
    {"name": "hebergement_ue", "label": "Outil hébergé en UE ?", "field_type": "multiple",
     "choices": "oui\nnon\nne sait pas", "required": True, "help_text": ""},
    {"name": "satisfaction", "label": "Satisfaction", "field_type": "scale", "choices": "", "required": False,
     "help_text": ""},
    {"name": "depuis", "label": "Utilisé depuis", "field_type": "date", "choices": "", "required": False,
     "help_text": ""},
]


@pytest.fixture
def collective(bureau, make_collective):
    return make_collective(bureau, "Atelier partagé")


@pytest.fixture
def protocol(study, people, make_protocol):
    return make_protocol(study, user=people["coordinator"], grid=GRID_V1)


def publish_v2(protocol: ProtocolPage) -> ProtocolVersion:
    page = ProtocolPage.objects.get(pk=protocol.pk)
    page.body = protocol_body(grid=GRID_V2)
    page.change_summary = "Grille v2"
    page.save_revision().publish()
    return ProtocolVersion.objects.get(protocol=protocol, number=2)


def test_the_form_asks_the_grid_in_force_after_the_common_fields(client, people, study, collective, protocol):
    publish_v2(protocol)
    html = unescape(client_for(client, people["member"]).get(_url(study, "new/")).content.decode())
    assert "Outil hébergé en UE ?" in html and "Rythme d'utilisation" in html
    assert "Taille de l'équipe" not in html  # dropped in v2
    assert html.index('name="body"') < html.index('name="grid__frequence"')
    assert "(v2)" in html


def test_answers_are_stored_with_the_version(client, people, study, collective, protocol):
    v2 = publish_v2(protocol)
    data = _post_data(collective, grid__frequence="hebdomadaire", grid__hebergement_ue=["oui", "ne sait pas"],
                      grid__satisfaction="4", grid__depuis="2025-09-01")
    response = client_for(client, people["member"]).post(_url(study, "new/"), data)
    assert response.status_code == 302
    observation = Observation.objects.get()
    assert observation.protocol_version == v2
    assert observation.grid_answers == {
        "frequence": "hebdomadaire", "hebergement_ue": ["oui", "ne sait pas"], "satisfaction": 4,
        "depuis": "2025-09-01",
    }


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"grid__frequence": None}, "grid__frequence", "This field is required."),
        ({"grid__frequence": "jamais"}, "grid__frequence", "« %(value)s » is not one of the choices of this question."),
        ({"grid__hebergement_ue": ["peut-être"]}, "grid__hebergement_ue",
         "« %(value)s » is not one of the choices of this question."),
        ({"grid__satisfaction": "9"}, "grid__satisfaction", "Choose a value from %(min)s to %(max)s."),
        ({"grid__depuis": "pas une date"}, "grid__depuis", "Enter a valid date."),
    ],
    ids=["required", "unknown-choice", "unknown-multiple", "scale-out-of-range", "bad-date"],
)
def test_answers_that_fail_the_grid_are_field_errors(client, people, study, collective, protocol,
                                                     overrides, field, message):
    publish_v2(protocol)
    data = _post_data(collective, grid__frequence="rare", grid__hebergement_ue=["oui"])
    data.update({key: value for key, value in overrides.items() if value is not None})
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
    response = client_for(client, people["member"]).post(_url(study, "new/"), data)
    assert response.status_code == 400
    assert not Observation.objects.exists()
    errors = response.context["form"].errors[field]
    assert len(errors) == 1
    assert errors[0] in {
        _fr(message) % {"value": value, "min": 1, "max": 5}
        for value in ("jamais", "peut-être", "9")
    } | {_fr(message)}


def test_v1_observations_still_display_after_v2_renames_and_drops(study, collective, protocol):
    v1 = ProtocolVersion.objects.get(protocol=protocol, number=1)
    observation = _observe(study, collective, protocol_version=v1,
                           grid_answers={"frequence": "rare", "equipe": "5 personnes"})
    publish_v2(protocol)
    observation.refresh_from_db()
    shown = displayed_answers(observation.protocol_version.grid, observation.grid_answers)
    assert [(a.label, a.value) for a in shown] == [
        ("Fréquence d'usage", "rare"), ("Taille de l'équipe", "5 personnes"),
    ]


def test_editing_a_v1_observation_keeps_its_grid(client, people, study, collective, protocol):
    v1 = ProtocolVersion.objects.get(protocol=protocol, number=1)
    observation = _observe(study, collective, protocol_version=v1, observer=people["member"],
                           grid_answers={"frequence": "rare", "equipe": "5"})
    publish_v2(protocol)
    html = unescape(client_for(client, people["member"]).get(_url(study, f"{observation.pk}/edit/")).content.decode())
    assert "Taille de l'équipe" in html and "Outil hébergé en UE ?" not in html
    data = _post_data(collective, version=str(observation.version), base_body=observation.body,
                      grid__frequence="quotidienne", grid__equipe="6")
    response = client.post(_url(study, f"{observation.pk}/edit/"), data)
    assert response.status_code == 302
    observation.refresh_from_db()
    assert observation.protocol_version == v1
    assert observation.grid_answers == {"frequence": "quotidienne", "equipe": "6"}


def test_without_a_protocol_the_form_has_no_grid(client, people, study, collective):
    html = client_for(client, people["member"]).get(_url(study, "new/")).content.decode()
    assert "grid__" not in html
    response = client.post(_url(study, "new/"), _post_data(collective))
    assert response.status_code == 302
    assert Observation.objects.get().protocol_version is None


def test_the_list_filters_by_protocol_version(client, people, study, collective, protocol):
    v1 = ProtocolVersion.objects.get(protocol=protocol, number=1)
    v2 = publish_v2(protocol)
    old = _observe(study, collective, title="Sous la v1", protocol_version=v1)
    new = _observe(study, collective, title="Sous la v2", protocol_version=v2)
    client_for(client, people["observer"])
    html = client.get(_url(study), {"protocol_version": v2.pk}).content.decode()
    assert new.title in html and old.title not in html
    html = client.get(_url(study), {"protocol_version": v1.pk}).content.decode()
    assert old.title in html and new.title not in html
    response = client.get(_url(study), {"protocol_version": "999999"})
    assert response.status_code == 200 and old.title in response.content.decode()  # bad value ignored


def test_a_version_of_another_study_is_not_a_filter_choice(client, people, bureau, study, make_study,
                                                          make_protocol, collective, protocol):
    other = make_study(bureau, "Autre étude")
    other_protocol = make_protocol(other)
    foreign = ProtocolVersion.objects.get(protocol=other_protocol)
    response = client_for(client, people["observer"]).get(_url(study), {"protocol_version": foreign.pk})
    assert "protocol_version" in response.context["form"].errors


def test_the_observation_page_shows_answers_with_the_labels_of_their_version(client, people, study, collective,
                                                                            protocol):
    v1 = ProtocolVersion.objects.get(protocol=protocol, number=1)
    observation = _observe(study, collective, protocol_version=v1,
                           grid_answers={"frequence": "rare", "equipe": "5 personnes"})
    publish_v2(protocol)
    html = unescape(client_for(client, people["observer"]).get(_url(study, f"{observation.pk}/")).content.decode())
    assert "Fréquence d'usage" in html and "Taille de l'équipe" in html and "5 personnes" in html
    assert "Rythme d'utilisation" not in html  # v2's label is not applied to a v1 answer
    assert "(v1)" in html
