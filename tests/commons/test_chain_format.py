"""Chain format 2 (issue 16, « leave »): no personal data in what a decision's hash covers.

Format 1 hashed the name of a coordinator who closed a vote early. Migration 0007 verifies every
format-1 chain, refuses a broken one (re-hashing it would launder a tampering), re-hashes the rest in
format 2, keeps the old hashes that named nobody and records the change in the register.
"""

from __future__ import annotations

import importlib
import json

import pytest
from django.apps import apps
from django.core.management import call_command

from commons import actions
from commons.models import ChainFormatChange, Decision, Role

migration = importlib.import_module("commons.migrations.0010_chain_format_2")


def _decided(bureau, author, voter, title: str, *, early_by=None) -> Decision:
    proposal = actions.create_proposal(bureau, author, title=title, body="Texte.")
    actions.open_proposal(proposal, by=author)
    actions.cast_ballot(proposal, voter, choice="for")
    proposal.rule.min_days_before_early_close = 0
    proposal.rule.save()
    return actions.close_early(proposal, by=early_by or author, reason="Urgence.")


@pytest.fixture
def chain(bureau, make_person):
    coordinator = make_person(bureau, Role.COORDINATOR, email="coord@example.org")
    voter = make_person(bureau, Role.MEMBER)
    make_person(bureau, Role.MEMBER)  # an elector who never votes: votes end only by an early close
    return [_decided(bureau, coordinator, voter, f"Décision {n}") for n in range(3)], coordinator


def _as_format_1(decisions, name: str) -> list[str]:
    """Rewrite the chain as format 1 had it (the second decision naming who closed it early)."""
    manager = Decision._base_manager
    previous, hashes = "", []
    for n, decision in enumerate(decisions):
        decision.refresh_from_db()
        if n == 1:
            decision.early_close = decision.early_close | {"by": name}
        decision.previous_hash = previous
        decision.hash = migration.format_1_hash(decision)
        manager.filter(pk=decision.pk).update(
            early_close=decision.early_close, previous_hash=previous, hash=decision.hash
        )
        previous = decision.hash
        hashes.append(decision.hash)
    return hashes


def test_new_decisions_are_hashed_in_format_2_without_a_name(chain):
    decisions, coordinator = chain
    decision = decisions[-1]
    payload = json.loads(actions.canonical_payload(decision))
    assert payload["format"] == 2
    assert payload["early_close"]["how"] == "coordinator" and "by" not in payload["early_close"]
    assert coordinator.email not in json.dumps(payload)
    assert coordinator.bec_profile.display_name not in json.dumps(payload, ensure_ascii=False)
    assert migration.format_2_hash(decision) == decision.hash  # the migration and the code agree


def test_the_migration_verifies_then_rehashes_and_records_the_change(chain):
    decisions, _coordinator = chain
    old = _as_format_1(decisions, "Camille Nommée")
    assert actions.verify_chain(list(Decision.objects.order_by("sequence"))) is not None  # format 1 now

    migration.rechain(apps, None)

    rows = list(Decision.objects.order_by("sequence"))
    assert actions.verify_chain(rows) is None
    assert [row.legacy_hash for row in rows] == [old[0], "", old[2]]  # not the one that held a name
    assert all("by" not in row.early_close for row in rows)
    assert "Camille Nommée" not in json.dumps([row.early_close for row in rows], ensure_ascii=False)
    [change] = ChainFormatChange.objects.all()
    assert (change.format, change.decisions, change.previous_head, change.new_head) == (2, 3, old[-1], rows[-1].hash)
    call_command("verify_decisions")


def test_the_migration_refuses_a_broken_register_and_changes_nothing(chain):
    decisions, _coordinator = chain
    _as_format_1(decisions, "Camille Nommée")
    Decision._base_manager.filter(pk=decisions[0].pk).update(counts={"for": 99})
    before = list(Decision.objects.order_by("sequence").values_list("hash", "early_close"))
    with pytest.raises(migration.BrokenRegister, match="decision no. 1"):
        migration.rechain(apps, None)
    assert list(Decision.objects.order_by("sequence").values_list("hash", "early_close")) == before
    assert not ChainFormatChange.objects.exists()


def test_the_register_and_its_check_tell_the_format_change(chain, client):
    decisions, _coordinator = chain
    _as_format_1(decisions, "Camille Nommée")
    migration.rechain(apps, None)
    bureau = decisions[0].bureau
    for path in ("decisions/", "decisions/verify/"):
        page = client.get(bureau.url + path).content.decode()
        assert 'data-chain-format="2"' in page and "ne couvre aucune donnée personnelle" in page
