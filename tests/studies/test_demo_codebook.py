"""The demo bureau's codebook under governance (issue 17): a past adopted merge, a rename under vote."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from commons import actions, changes
from commons.models import BureauPage, Decision, Proposal
from commons.models.governance import ProposalKind, Status
from studies import demo_codebook
from studies.models import Code

pytestmark = pytest.mark.django_db


def test_demo_codebook_is_governed_with_a_merge_and_a_rename(client):
    call_command("bec_demo")
    call_command("bec_demo")  # idempotent
    bureau = BureauPage.objects.get(slug="bec-ia-generative-ess")
    assert changes.is_governed(bureau.pk, ProposalKind.CODEBOOK)
    merge = Proposal.objects.get(title=demo_codebook.MERGE)
    assert merge.status == Status.ADOPTED and merge.change_result["status"] == "applied"
    assert not Code.objects.filter(name=demo_codebook.DUPLICATE).exists()
    assert Code.objects.get(name="Gain de temps").coded_observations.count() >= 2
    rename = Proposal.objects.get(title=demo_codebook.RENAME)
    assert rename.status == Status.OPEN and rename.accepts_ballots
    assert Code.objects.filter(name="Idéation").exists()
    assert Proposal.objects.filter(kind=ProposalKind.CODEBOOK).count() == 2
    assert actions.verify_chain(list(Decision.objects.filter(bureau=bureau).order_by("sequence"))) is None
