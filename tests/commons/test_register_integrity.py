"""The decision register is tamper-evident: `verify_decisions` finds any change made behind the ORM.

Each test builds a chain of three decisions, alters the table with raw SQL (the way someone with
database access would, bypassing `Decision.save()`), and expects the command to fail naming the
first decision that no longer checks out.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connection, connections
from django.utils import timezone

from commons import actions
from commons.models import Decision, DecisionRule, Role


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def json_param(value):
    """A JSON value as the database driver expects it for the `counts` column (SQLite text, PG jsonb)."""
    return Decision._meta.get_field("counts").get_db_prep_value(value, connection)


def close_vote(bureau, coordinator, rule, title: str, choice: str) -> Decision:
    proposal = actions.create_proposal(bureau, coordinator, title=title, body="Texte.", rule=rule)
    proposal = actions.open_proposal(proposal, coordinator, closes_at=timezone.now() + timedelta(hours=1))
    actions.cast_ballot(proposal, coordinator, choice=choice)
    with mock.patch("django.utils.timezone.now", return_value=proposal.closes_at + timedelta(seconds=1)):
        return actions.close_proposal(proposal.pk)


@pytest.fixture
def chain(bureau, make_person) -> list[Decision]:
    coordinator = make_person(bureau, Role.COORDINATOR)
    rule = DecisionRule.objects.create(bureau=bureau, name="Majorité simple", method="majority")
    decisions = [
        close_vote(bureau, coordinator, rule, title, choice)
        for title, choice in (("Charte", "for"), ("Protocole v2", "against"), ("Publication", "for"))
    ]
    assert [d.sequence for d in decisions] == [1, 2, 3]
    return decisions


def verify() -> str:
    out = StringIO()
    call_command("verify_decisions", stdout=out)
    return out.getvalue()


def broken_at(decision: Decision, sequence: int | None = None):
    """Expect verify_decisions to name `decision` (at `sequence`, by default its own)."""
    sequence = decision.sequence if sequence is None else sequence
    return pytest.raises(CommandError, match=rf"#{sequence} \(id {decision.pk},")


def test_an_intact_chain_verifies(chain, other_bureau, make_person):
    other = make_person(other_bureau, Role.COORDINATOR)
    rule = DecisionRule.objects.create(bureau=other_bureau, name="Majorité", method="majority")
    close_vote(other_bureau, other, rule, "Autre charte", "for")
    assert "4 decision(s) verified" in verify()


def test_changed_counts_are_detected(chain):
    raw("UPDATE commons_decision SET counts = %s WHERE id = %s",
        [json_param({"for": 9, "against": 0, "abstain": 0, "block": 0}), chain[1].pk])
    assert Decision.objects.get(pk=chain[1].pk).counts["for"] == 9
    with broken_at(chain[1]):
        verify()


@pytest.mark.parametrize("column, value", [("outcome", "adopted"), ("title", "Protocole v3"),
                                           ("electorate_size", 40), ("score", "1")])
def test_any_changed_field_is_detected(chain, column, value):
    raw(f"UPDATE commons_decision SET {column} = %s WHERE id = %s", [value, chain[1].pk])
    with broken_at(chain[1]):
        verify()


def test_a_forged_hash_breaks_the_next_link(chain):
    """Rewriting a decision *and* its hash is caught by the next decision's `previous_hash`."""
    raw("UPDATE commons_decision SET outcome = %s WHERE id = %s", ["adopted", chain[1].pk])
    forged = actions.hash_decision(Decision.objects.get(pk=chain[1].pk))
    raw("UPDATE commons_decision SET hash = %s WHERE id = %s", [forged, chain[1].pk])
    with broken_at(chain[2]):
        verify()


def test_a_changed_previous_hash_is_detected(chain):
    raw("UPDATE commons_decision SET previous_hash = %s WHERE id = %s", ["0" * 64, chain[2].pk])
    with broken_at(chain[2]):
        verify()


def test_a_deleted_decision_is_detected(chain):
    raw("DELETE FROM commons_decision WHERE id = %s", [chain[1].pk])
    assert Decision.objects.count() == 2
    with broken_at(chain[2]):  # #3 follows #1: a gap in the sequence
        verify()


def test_a_deleted_newest_decision_is_detected(chain):
    """Cutting off the end of a chain leaves it internally valid; the decided proposal without its
    decision gives it away."""
    raw("DELETE FROM commons_decision WHERE id = %s", [chain[2].pk])
    assert actions.verify_chain(list(Decision.objects.order_by("sequence"))) is None
    with pytest.raises(CommandError, match=rf"proposal {chain[2].proposal_id} .*missing from the register"):
        verify()


def test_reordered_decisions_are_detected(chain):
    # Swap the sequences of #2 and #3 (through a free number: (bureau, sequence) is unique).
    raw("UPDATE commons_decision SET sequence = %s WHERE id = %s", [1000, chain[1].pk])
    raw("UPDATE commons_decision SET sequence = %s WHERE id = %s", [2, chain[2].pk])
    raw("UPDATE commons_decision SET sequence = %s WHERE id = %s", [3, chain[1].pk])
    with broken_at(chain[2], sequence=2):
        verify()


def run_command_line(*argv: str) -> None:
    """`manage.py ...` in-process. `run_from_argv` closes every connection when done, which would end
    the test's transaction (and lose its data) on PostgreSQL, so that one call is stubbed out."""
    with mock.patch.object(connections, "close_all"):
        execute_from_command_line(["manage.py", *argv])


def test_the_command_line_exits_non_zero_on_a_broken_chain(chain, capsys):
    run_command_line("verify_decisions")  # intact: returns normally
    assert "3 decision(s) verified" in capsys.readouterr().out

    raw("UPDATE commons_decision SET title = %s WHERE id = %s", ["Charte (modifiée)", chain[0].pk])
    with pytest.raises(SystemExit) as exit_info:
        run_command_line("verify_decisions")
    assert exit_info.value.code == 1
    assert f"#1 (id {chain[0].pk}," in capsys.readouterr().err
