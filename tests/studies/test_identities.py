"""Observers see pseudonyms only (issue 10, item 6).

Real names of collectives (and informants' identifying details) are for the study team proper:
coordinators and members. Observers follow the study under the collectives' codes and the
informants' pseudonyms, on every page: the study page, the observation list and its filter, the
observation and interview pages (the coding pages). One policy decides it:
`studies.permissions.can_see_identities`.
"""

from __future__ import annotations

from html import unescape

import pytest
from django.contrib.auth.models import AnonymousUser

from participants.models import Informant
from studies import permissions
from studies.models import Interview, Observation
from tests.conftest import client_for

NAME = "Coopérative des Pentes Secrètes"
DETAILS = "Dominique Lambert, 06 12 34 56 78"


@pytest.fixture
def collective(bureau, make_collective):
    return make_collective(bureau, NAME, legal_form="scic", territory="Croix-Rousse")


@pytest.fixture
def sources(study, collective, people):
    from participants.models import ConsentForm, ConsentRecord

    informant = Informant.objects.create(collective=collective, pseudonym="Pseudo-Dom", role="gérant·e",
                                         identifying_details=DETAILS)
    form = ConsentForm.objects.get(bureau=collective.bureau)
    ConsentRecord.objects.create(form=form, informant=informant, scopes=["interview", "recording"])
    observation = Observation.objects.create(study=study, collective=collective, title="Réunion d'équipe",
                                             body="Le collectif rédige avec un outil.", setting="meeting",
                                             observer=people["member"])
    interview = Interview.objects.create(study=study, informant=informant, interviewer=people["member"],
                                         title="Entretien avec la gérance", transcript="Nous utilisons l'IA.")
    return {"observation": observation, "interview": interview, "informant": informant}


def _pages(study, sources) -> dict[str, str]:
    return {
        "study page": study.url,
        "observation list": f"{study.url}observations/",
        "observation page": f"{study.url}observations/{sources['observation'].pk}/",
        "interview list": f"{study.url}interviews/",
        "interview page": f"{study.url}interviews/{sources['interview'].pk}/",
    }


def _body(response) -> str:
    assert response.status_code == 200
    return unescape(response.content.decode())


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", False), ("outsider", False), ("observer", False), ("member", True), ("coordinator", True),
     ("other_member", False)],
)
def test_the_policy(people, study, who, expected):
    user = people[who] or AnonymousUser()
    assert permissions.can_see_identities(user, study) is expected


def test_platform_admins_see_identities(make_person, study):
    assert permissions.can_see_identities(make_person(is_superuser=True), study)


def test_observers_see_codes_and_pseudonyms_only(client, people, study, collective, sources):
    client_for(client, people["observer"])
    for label, url in _pages(study, sources).items():
        body = _body(client.get(url))
        assert NAME not in body, label
        assert DETAILS not in body, label
    # They still follow the study under pseudonyms.
    assert collective.code in _body(client.get(_pages(study, sources)["observation page"]))
    interview_page = _body(client.get(_pages(study, sources)["interview page"]))
    assert "Pseudo-Dom" in interview_page and collective.code in interview_page


def test_the_observation_filter_names_collectives_by_code_for_observers(client, people, study, collective,
                                                                        sources):
    url = f"{study.url}observations/"
    observer_list = client_for(client, people["observer"]).get(url)
    choices = [label for _value, label in observer_list.context["form"].fields["collective"].choices]
    assert collective.code in [str(label) for label in choices]
    assert not any(NAME in str(label) for label in choices)
    member_list = client_for(client, people["member"]).get(url)
    choices = [str(label) for _value, label in member_list.context["form"].fields["collective"].choices]
    assert f"{collective.code} — {NAME}" in choices


@pytest.mark.parametrize("who", ["member", "coordinator"])
def test_the_study_team_sees_real_names(client, people, study, collective, sources, who):
    client_for(client, people[who])
    pages = _pages(study, sources)
    for label in ("study page", "observation page", "interview page"):
        assert NAME in _body(client.get(pages[label])), label
    # Identifying details of informants are kept for the admin: no study page shows them.
    for label, url in pages.items():
        assert DETAILS not in _body(client.get(url)), label
