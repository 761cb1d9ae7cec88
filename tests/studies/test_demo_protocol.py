"""The demo protocol: v1, v2 adopted by the bureau's vote, v3 under vote; five interviews."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from commons.models import Ballot, Decision, Proposal
from commons.models.governance import ProposalKind, Status
from commons.rules import kind_table
from participants.models import ConsentScope
from participants.models.consent import has_consent
from studies.models import Excerpt, Interview, Observation, ProtocolPage, ProtocolVersion, Registration

pytestmark = pytest.mark.django_db


def test_the_demo_protocol_went_through_the_vote(capsys):
    call_command("bec_demo")
    page = ProtocolPage.objects.get(derived_from__isnull=True)
    v1, v2 = ProtocolVersion.objects.filter(protocol=page).order_by("number")
    assert v1.decision is None  # the starting protocol, published by a coordinator
    assert v2.decision is not None and v2.decision.adopted and v2.decision.kind == ProposalKind.PROTOCOL
    assert "hebergement_ue" in [field["name"] for field in v2.grid]
    assert "hebergement_ue" not in [field["name"] for field in v1.grid]
    assert any("souveraineté" in item["question"] or "où vont" in item["question"] for item in v2.guide)
    assert page.live_revision == v2.revision
    assert page.workflow_in_progress  # v3 is under vote
    under_vote = Proposal.objects.get(kind=ProposalKind.PROTOCOL, status=Status.OPEN, task_state__isnull=False)
    assert under_vote.task_state.revision.pk != v2.revision_id
    # The charter, the table and the votes agree: protocol changes are voted under two thirds.
    assert under_vote.rule.method == "qualified" and under_vote.rule.threshold == "2/3"
    assert v2.decision.rule["threshold"] == "2/3"
    bureau = under_vote.bureau
    table = kind_table(bureau)
    for proposal in Proposal.objects.filter(bureau=bureau):
        assert proposal.rule == table[proposal.kind], proposal.title
    assert "deux tiers" in bureau.governance
    assert Observation.objects.filter(protocol_version=v1).exists()
    assert Observation.objects.filter(protocol_version=v2, grid_answers__has_key="hebergement_ue").exists()

    interviews = Interview.objects.select_related("informant")
    assert interviews.count() == 5
    for interview in interviews:
        assert has_consent(scope=ConsentScope.INTERVIEW, informant=interview.informant)
        assert interview.protocol_version is not None
    assert Excerpt.objects.filter(interview__isnull=False).count() >= 5
    assert "Protocole" in capsys.readouterr().out or "protocole" in page.url

    # Issue 17: v2 registered by vote, the protocol forked into a second study, a proxy in the register.
    registration = Registration.objects.get()
    assert registration.version == v2 and registration.decision.adopted and registration.intact
    fork = ProtocolPage.objects.get(derived_from=v2)
    assert fork.protocol_versions.count() == 1 and fork.get_parent().get_parent().pk == bureau.pk
    assert Decision.objects.filter(bureau=bureau, proxies__used=1).count() == 1
    assert Ballot.objects.filter(proposal__status=Status.OPEN, cast_by__isnull=False).exists()

    # Idempotent: a second run changes nothing.
    counts = (ProtocolVersion.objects.count(), Proposal.objects.count(), Interview.objects.count(),
              Excerpt.objects.count())
    call_command("bec_demo")
    assert counts == (ProtocolVersion.objects.count(), Proposal.objects.count(), Interview.objects.count(),
                      Excerpt.objects.count())
