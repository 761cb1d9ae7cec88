"""The public decision register: open to everyone, paginated, bounded queries, its integrity check and
its CSV export (BOM, formula injection neutralised)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from commons import actions
from commons.models import Decision, DecisionRule, Role
from commons.models.governance import Method
from tests.conftest import client_for, count_queries

VISITORS = ["anonymous", "outsider", "observer", "member", "coordinator", "other_member"]
FORMULA = '=HYPERLINK("http://evil.example","Cliquez")'


def _url(bureau, suffix: str = "") -> str:
    return f"{bureau.url}decisions/{suffix}"


def _rule(bureau, method: str = Method.MAJORITY, **fields) -> DecisionRule:
    rule = DecisionRule.objects.filter(bureau=bureau, method=method).first()
    if rule is None:
        rule = DecisionRule.objects.create(
            bureau=bureau, name=f"Règle {method}", method=method, quorum="1/2",
            use_colleges=method != Method.MAJORITY_JUDGMENT,
            is_default=not DecisionRule.objects.filter(bureau=bureau).exists(), **fields,
        )
    return rule


def decide(bureau, author, voters, *, title: str = "Adopter la grille", choice: str = "for",
           method: str = Method.MAJORITY, **rule_fields) -> Decision:
    """Draft, open, vote, then close at a frozen time after the deadline: one recorded decision."""
    rule = _rule(bureau, method, **rule_fields)
    options = ("Lyon", "Grenoble") if method == Method.MAJORITY_JUDGMENT else ()
    proposal = actions.create_proposal(bureau, author, title=title, body="Texte", rule=rule, options=options)
    proposal = actions.open_proposal(proposal, author, timezone.now() + timedelta(hours=1))
    ids = [str(pk) for pk in proposal.options.values_list("pk", flat=True)]
    for voter in voters:
        if ids:
            actions.cast_ballot(proposal, voter, grades=dict(zip(ids, ["good", "poor"], strict=True)))
        else:
            actions.cast_ballot(proposal, voter, choice=choice)
    with mock.patch("django.utils.timezone.now", return_value=proposal.closes_at + timedelta(minutes=1)):
        return actions.close_proposal(proposal.pk)


@pytest.fixture
def voters(people):
    return [people["member"], people["coordinator"]]


@pytest.fixture
def decisions(bureau, people, voters):
    return [
        decide(bureau, people["coordinator"], voters, title="Adopter la grille d'observation v2"),
        decide(bureau, people["coordinator"], voters[:1], title="Publier le rapport d'étape", choice="against"),
        decide(bureau, people["coordinator"], voters, title="Lieu de la restitution",
               method=Method.MAJORITY_JUDGMENT),
    ]


@pytest.mark.parametrize("who", VISITORS)
def test_register_is_public(client, people, bureau, decisions, who):
    response = client_for(client, people[who]).get(_url(bureau))
    assert response.status_code == 200
    body = response.content.decode()
    for decision in decisions:
        assert f'id="decision-{decision.sequence}"' in body
        assert f'title="{decision.hash}"' in body and decision.hash[:12] in body
    assert "Adopter la grille d&#x27;observation v2" in body
    assert 'data-outcome="adopted"' in body and 'data-outcome="rejected"' in body
    # the previous-hash link points at the previous decision
    assert f'href="?page=1#decision-{decisions[1].sequence}"' in body
    # members reach the proposal from the register; the public reads the title only
    assert (f'href="{bureau.url}proposals/{decisions[0].proposal_id}/"' in body) == (
        who in ("observer", "member", "coordinator"))


@pytest.mark.parametrize("who", VISITORS)
@pytest.mark.parametrize("suffix", ["verify/", "csv/"])
def test_verify_and_csv_are_public(client, people, bureau, decisions, who, suffix):
    assert client_for(client, people[who]).get(_url(bureau, suffix)).status_code == 200


def test_register_shows_counts_rule_and_electorate(client, bureau, decisions):
    response = client.get(_url(bureau))
    rows = {d.sequence: d for d in response.context["decisions"]}
    first, second, third = rows[1], rows[2], rows[3]
    assert {key: count for key, _label, count in first.tally_rows} == {"for": 2, "against": 0, "abstain": 0}
    assert (first.electorate_size, first.ballots_cast) == (2, 2)
    assert {key: count for key, _label, count in second.tally_rows}["against"] == 1
    assert second.outcome == "rejected"
    assert [label for _pos, label, _grade in third.ranking_rows] == ["Lyon", "Grenoble"]
    assert first.rule_name == "Règle majority" and first.quorum_label == "50 %"
    assert first.college_weights == [("Chercheur·es", 30)]
    body = response.content.decode()
    assert "Lyon" in body and "Grenoble" in body


def test_register_is_per_bureau(client, people, bureau, other_bureau, decisions, make_person):
    voter = make_person(other_bureau, Role.MEMBER)
    elsewhere = decide(other_bureau, people["other_member"], [voter], title="Décision d'un autre bureau")
    assert elsewhere.sequence == 1  # each bureau has its own chain
    body = client.get(_url(bureau)).content.decode()
    assert "autre bureau" not in body
    assert "autre bureau" in client.get(_url(other_bureau)).content.decode()


def test_empty_register(client, bureau):
    response = client.get(_url(bureau))
    assert response.status_code == 200
    assert response.context["decisions"] == []
    verify = client.get(_url(bureau, "verify/"))
    assert 'data-verdict="intact"' in verify.content.decode() and verify.context["checked"] == 0




@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_register_costs_the_same_queries_with_3_and_30_decisions(client, people, bureau, voters, who):
    client_for(client, people[who])
    urls = [_url(bureau), _url(bureau, "verify/"), _url(bureau, "csv/")]
    for i in range(3):
        decide(bureau, people["coordinator"], voters, title=f"Décision {i}",
               method=[Method.MAJORITY, Method.MAJORITY_JUDGMENT][i % 2])
    small = [count_queries(client, url) for url in urls]
    for i in range(27):
        decide(bureau, people["coordinator"], voters, title=f"Décision {i + 3}",
               method=[Method.MAJORITY, Method.MAJORITY_JUDGMENT][i % 2])
    assert Decision.objects.filter(bureau=bureau).count() == 30
    large = [count_queries(client, url) for url in urls]
    assert small == large


def test_register_is_paginated_by_50(client, people, bureau, voters):
    for i in range(52):
        decide(bureau, people["coordinator"], voters[:1], title=f"Décision {i + 1}")
    first = client.get(_url(bureau))
    assert [d.sequence for d in first.context["decisions"]][:2] == [52, 51]
    assert len(first.context["decisions"]) == 50
    # the oldest decision on page 1 links to its predecessor on page 2
    assert 'href="?page=2#decision-2"' in first.content.decode()
    second = client.get(_url(bureau) + "?page=2")
    assert [d.sequence for d in second.context["decisions"]] == [2, 1]
    assert client.get(_url(bureau) + "?page=abc").status_code == 200


# --- Integrity ------------------------------------------------------------------------------------


def test_verify_page_reports_an_intact_register(client, bureau, decisions):
    response = client.get(_url(bureau, "verify/"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-verdict="intact"' in body and 'data-verdict="broken"' not in body
    assert response.context["checked"] == 3


def test_verify_page_names_the_first_tampered_decision(client, bureau, decisions):
    tampered = decisions[1]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE commons_decision SET counts = %s WHERE id = %s",
                       [json.dumps({"for": 9, "against": 0, "abstain": 0, "block": 0}), tampered.pk])
    response = client.get(_url(bureau, "verify/"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-verdict="broken"' in body and f'data-sequence="{tampered.sequence}"' in body
    assert "Publier le rapport d&#x27;étape" in body
    assert 'data-verdict="intact"' not in body
    assert response.context["broken"].pk == tampered.pk


def test_verify_page_detects_a_deleted_decision(client, bureau, decisions):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM commons_decision WHERE id = %s", [decisions[0].pk])
    response = client.get(_url(bureau, "verify/"))
    assert response.context["broken"].pk == decisions[1].pk


# --- CSV export -----------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_csv_export(client, bureau, decisions):
    response = client.get(_url(bureau, "csv/"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == [
        "sequence", "closed_at", "title", "kind", "outcome", "reason", "method", "quorum", "threshold",
        "for", "against", "abstain", "block", "ranking", "electorate_size", "ballots_cast", "previous_hash", "hash",
    ]
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [r["sequence"] for r in records] == ["1", "2", "3"]
    first, second, third = records
    assert first["title"] == "Adopter la grille d'observation v2"  # accents and quotes intact
    assert (first["outcome"], first["method"], first["quorum"], first["for"], first["against"]) == (
        "adopted", "majority", "1/2", "2", "0")
    assert (first["electorate_size"], first["ballots_cast"]) == ("2", "2")
    assert second["outcome"] == "rejected" and second["previous_hash"] == first["hash"]
    assert (third["method"], third["ranking"], third["for"]) == ("majority_judgment", "Lyon > Grenoble", "")
    assert third["hash"] == decisions[2].hash
    assert datetime.fromisoformat(first["closed_at"]) == decisions[0].closed_at


@pytest.mark.parametrize("title", [FORMULA, "+33 6 12 34 56 78", "-2+3", "@SUM(A1:A9)"])
def test_csv_neutralises_formulas(client, people, bureau, voters, title):
    decide(bureau, people["coordinator"], voters, title=title)
    record = _csv(client.get(_url(bureau, "csv/")))[1]
    assert record[2] == "'" + title


def test_csv_keeps_ordinary_titles_untouched(client, people, bureau, voters):
    decide(bureau, people["coordinator"], voters, title="Élargir l'étude aux SCIC — « 2026 »")
    assert _csv(client.get(_url(bureau, "csv/")))[1][2] == "Élargir l'étude aux SCIC — « 2026 »"


@pytest.mark.parametrize("who", ["anonymous", "outsider", "member"])
def test_decisions_csv_at_the_issue_url(client, people, bureau, decisions, who):
    """`<bureau>/decisions.csv` answers the same export as `decisions/csv/`, to everyone."""
    if people[who] is not None:
        client.force_login(people[who])
    response = client.get(f"{bureau.url}decisions.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert _csv(response) == _csv(client.get(_url(bureau, "csv/")))


def test_decisions_csv_of_an_unknown_or_unpublished_bureau_is_404(client, bureau, decisions):
    assert client.get("/no-such-bureau/decisions.csv").status_code == 404
    bureau.unpublish()
    assert client.get(f"{bureau.url_path.removeprefix('/accueil')}decisions.csv").status_code == 404


def test_register_links_to_the_csv(client, bureau, decisions):
    assert f'href="{bureau.url}decisions.csv"' in client.get(_url(bureau)).content.decode()


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Budget 2027;=1+1;", "Budget 2027;'=1+1;"),
        ("Budget, +33 6 12; -2 | @SUM(A1)", "Budget, '+33 6 12; '-2 | '@SUM(A1)"),
        ("a;\t=1", "a;'\t'=1"),
    ],
)
def test_csv_neutralises_formulas_after_a_separator(client, people, bureau, voters, title, expected):
    """A spreadsheet set to split on `;` (or `,`) would run `=1+1` as its own cell (issue 10, item 8)."""
    decide(bureau, people["coordinator"], voters, title=title)
    assert _csv(client.get(_url(bureau, "csv/")))[1][2] == expected


def test_csv_quotes_every_cell(client, bureau, decisions):
    """Every cell is quoted, numbers included: no reader splits a text on its own separator."""
    text = client.get(_url(bureau, "csv/")).content.decode("utf-8").removeprefix("\ufeff")
    for line in text.splitlines():
        cells = line.split('","')
        assert line.startswith('"') and line.endswith('"'), line
        assert len(cells) == 18, line
