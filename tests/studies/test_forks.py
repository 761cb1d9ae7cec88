"""Forking a protocol (issue 17, item 4): a new study in the same or another bureau, whose protocol
starts at v1 from the chosen version's text; both pages show the link; refusals change nothing."""

from __future__ import annotations

import pytest
from django.utils.html import escape
from django.utils.translation import override

from commons import actions
from commons.models import Membership, Role
from commons.rules import ensure_default_rules
from studies.forks import fork_protocol
from studies.models import ProtocolPage, ProtocolVersion, StudyPage
from studies.versions import revision_body
from tests.conftest import client_for

from .test_protocol_pages import V2_OBJECTIVES, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def protocol(bureau, study, people, make_protocol):
    ensure_default_rules(bureau)
    page = make_protocol(study, user=people["coordinator"], objectives="Comprendre les usages.")
    publish(page, people["coordinator"], objectives=V2_OBJECTIVES, summary="Deuxième version.")
    return ProtocolPage.objects.get(pk=page.pk)


def url(page, name: str, *args) -> str:
    return page.url + page.reverse_subpage(name, args=args)


def test_a_coordinator_of_another_bureau_in_the_team_forks_v1_there(client, protocol, people, other_bureau):
    coordinator = people["coordinator"]
    Membership.objects.create(
        user=coordinator, bureau=other_bureau, role=Role.COORDINATOR, college=other_bureau.colleges.first()
    )
    client_for(client, coordinator)
    form = client.get(url(protocol, "fork")).content.decode()
    assert other_bureau.title in form and "v2" in form
    response = client.post(
        url(protocol, "fork"),
        {"version": "1", "bureau": other_bureau.pk, "title": "Usages de l'IA en Savoie"},
    )
    assert response.status_code == 302
    fork = ProtocolPage.objects.get(derived_from__protocol=protocol)
    study = fork.get_parent().specific
    assert isinstance(study, StudyPage) and study.get_parent().pk == other_bureau.pk
    assert study.title == "Usages de l'IA en Savoie" and study.live and fork.live
    versions = list(ProtocolVersion.objects.filter(protocol=fork))
    assert [v.number for v in versions] == [1]
    source_v1 = ProtocolVersion.objects.get(protocol=protocol, number=1)
    assert fork.derived_from == source_v1

    def blocks(revision):
        return [(block["type"], block["value"]) for block in revision_body(revision).raw_data]

    assert blocks(versions[0].revision) == blocks(source_v1.revision)
    # Both pages show the link.
    new_page = client.get(fork.url).content.decode()
    assert "data-derived-from" in new_page and "Dérivé de" in new_page and "v1" in new_page
    assert url(protocol, "version", 1) in new_page
    client.logout()
    source_page = client.get(protocol.url).content.decode()
    assert "Repris par" in source_page and fork.url in source_page and escape(study.title) in source_page


def test_forking_into_the_same_bureau(protocol, people, bureau):
    fork = fork_protocol(
        ProtocolVersion.objects.get(protocol=protocol, number=2),
        people["coordinator"],
        bureau=bureau,
        title="Deuxième étude",
    )
    assert fork.get_parent().get_parent().pk == bureau.pk
    assert V2_OBJECTIVES in str(fork.body[0].value)


def test_refusals_change_nothing(client, protocol, people, other_bureau, bureau):
    v1 = ProtocolVersion.objects.get(protocol=protocol, number=1)
    studies_before = StudyPage.objects.count()
    with override("en"):
        # A member (not a coordinator) of the target bureau.
        with pytest.raises(actions.GovernanceError, match="coordinator of the target bureau"):
            fork_protocol(v1, people["member"], bureau=bureau, title="Non")
        # A coordinator of the target who is not in the source's team.
        with pytest.raises(actions.GovernanceError, match="team of the study"):
            fork_protocol(v1, people["other_member"], bureau=other_bureau, title="Non")
        with pytest.raises(actions.GovernanceError, match="title"):
            fork_protocol(v1, people["coordinator"], bureau=bureau, title="   ")
    client_for(client, people["member"])
    response = client.post(url(protocol, "fork"), {"version": "1", "bureau": bureau.pk, "title": "Non"})
    assert response.status_code == 400 and "data-fork-error" in response.content.decode()
    client_for(client, people["coordinator"])
    response = client.post(url(protocol, "fork"), {"version": "9", "bureau": bureau.pk, "title": "Non"})
    assert response.status_code == 400
    response = client.post(url(protocol, "fork"), {"version": "1", "bureau": other_bureau.pk, "title": "Non"})
    assert response.status_code == 400
    client_for(client, people["observer"])
    assert client.get(url(protocol, "fork")).status_code == 403
    client_for(client, people["other_member"])
    assert client.get(url(protocol, "fork")).status_code == 404
    assert StudyPage.objects.count() == studies_before


def test_the_source_page_costs_the_same_queries_with_more_forks(client, protocol, people, bureau):
    from tests.conftest import count_queries

    v1 = ProtocolVersion.objects.get(protocol=protocol, number=1)
    client_for(client, people["member"])

    def forks(n: int) -> int:
        for i in range(n):
            fork_protocol(v1, people["coordinator"], bureau=bureau, title=f"Étude reprise {i} {n}")
        return count_queries(client, protocol.url)

    one = forks(1)
    assert forks(3) == one
