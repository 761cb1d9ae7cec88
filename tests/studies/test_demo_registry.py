"""The demo (issue 18): ten resources published by a coordinator, one by a vote of the bureau (its
table has a line for the kind, added by an adopted change of the rules), one proposed; the eight AI tools with their
registry pages, counts and the quotes of the adopted report; nothing private on these pages."""

from __future__ import annotations

import json
from html import unescape

import pytest
from django.core.management import call_command
from django.test import Client

from commons import demo_resources
from commons import resources as resources_services
from commons.models import BureauPage, Proposal, Resource
from commons.models.governance import ProposalKind, Status
from participants.models import Collective
from studies.models import AITool, StudyPage

pytestmark = pytest.mark.django_db


def test_the_demo_has_resources_and_a_registry():
    call_command("bec_demo")
    bureau = BureauPage.objects.get(slug="bec-ia-generative-ess")
    assert Resource.objects.published().filter(bureau=bureau).count() == 11
    assert Resource.objects.filter(bureau=bureau, status="proposed").count() == 1
    # Published by vote: the table's line came from an adopted « change of the decision rules ».
    assert resources_services.by_vote(bureau)
    rules_change = Proposal.objects.get(bureau=bureau, kind=ProposalKind.RULES, title=demo_resources.RULES_VOTE)
    assert rules_change.status == Status.ADOPTED
    voted = Resource.objects.get(bureau=bureau, title=demo_resources.BY_VOTE[0])
    vote = Proposal.objects.get(bureau=bureau, kind=ProposalKind.RESOURCE, payload__resource=voted.pk)
    assert voted.is_published and vote.status == Status.ADOPTED and vote.decision.adopted
    register = unescape(Client().get(f"{bureau.url}decisions/").content.decode())
    assert f"la ressource « {voted.title} »" in register and f"resources/#resource-{voted.pk}" in register
    anonymous = Client()
    resources = unescape(anonymous.get(f"{bureau.url}resources/").content.decode())
    assert "Ollama" in resources and "Common Voice" in resources and "(à publier)" not in resources
    assert "Exemple de démonstration" in resources  # invented ones say so
    assert anonymous.get(f"{bureau.url}resources/feed/").status_code == 200

    study = StudyPage.objects.get(slug="usages-ia-generative")
    assert AITool.objects.count() == 8
    registry = anonymous.get(f"{study.url}ai-tools/")
    assert len(registry.context["tools"]) == 8 and all(t.mentions > 0 for t in registry.context["tools"])
    quoted = 0
    names = list(Collective.objects.values_list("name", flat=True))
    for tool in AITool.objects.all():
        response = anonymous.get(f"{study.url}ai-tools/{tool.pk}/")
        assert response.status_code == 200
        quoted += len(response.context["quotes"])
        page = unescape(response.content.decode())
        assert not [name for name in names if name in page]
    assert quoted >= 3  # the adopted report's quotes, each under its system
    data = json.loads(anonymous.get(f"{study.url}ai-tools/json/").content)
    assert len(data["tools"]) == 8
    # Idempotent.
    call_command("bec_demo")
    assert Resource.objects.filter(bureau=bureau).count() == 12 and AITool.objects.count() == 8
    assert Proposal.objects.filter(bureau=bureau, kind=ProposalKind.RESOURCE).count() == 1
