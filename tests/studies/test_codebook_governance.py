"""Issue 17, item 1: the codebook under governance.

With a line « codebook change » in the bureau's table, renaming, moving, redefining, merging or
deleting a code becomes a proposal carrying the exact change; adoption applies it through the
codebook services (a merge keeps every coding), rejection changes nothing, a change that no longer
applies at adoption is recorded as such (never a 500). Without the line, the codebook is free, as
before. Creating codes, coding, memos and a colour alone stay free.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from commons import actions, changes
from commons.models import Decision, DecisionRule, KindRule, Proposal
from commons.models.governance import ProposalKind, Status
from commons.rules import ensure_default_rules, rule_for
from studies import codebook as services
from studies.models import Code, CodedObservation, Excerpt, Observation
from tests.conftest import client_for, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def url(study, suffix: str = "") -> str:
    return study.url + study.reverse_subpage("codebook") + suffix


def govern(bureau) -> None:
    """Put the bureau's codebook under its default (majority) rule."""
    ensure_default_rules(bureau)
    KindRule.objects.create(
        bureau=bureau,
        kind=ProposalKind.CODEBOOK,
        rule=DecisionRule.objects.get(bureau=bureau, is_default=True),
    )


def decide(proposal: Proposal, choice: str = "for") -> Decision:
    """Every elector votes `choice`; the last ballot ends the vote, which is then closed."""
    for elector in proposal.electors.select_related("user"):
        actions.cast_ballot(proposal, elector.user, choice=choice)
    return actions.close_proposal(proposal.pk)


@pytest.fixture
def codes(study):
    return {
        "usages": services.create_code(study, name="Usages", definition="Ce que font les gens."),
        "tensions": services.create_code(study, name="Tensions"),
        "redaction": services.create_code(study, name="Rédaction"),
    }


@pytest.fixture
def coded(study, bureau, make_collective, people, codes):
    """An observation coded with « Rédaction » as a whole and by one excerpt."""
    observation = Observation.objects.create(
        study=study,
        collective=make_collective(bureau),
        observer=people["member"],
        setting="meeting",
        title="Réunion",
        body="Une note sur la rédaction assistée des comptes rendus.",
    )
    CodedObservation.objects.create(tag=codes["redaction"], content_object=observation)
    item = Excerpt.objects.create(observation=observation, start=0, end=8, text=observation.plain_text[:8])
    item.codes.add(codes["redaction"])
    return observation


def edit_data(code, **values) -> dict:
    fields = {
        "name": code.name,
        "colour": code.colour,
        "definition": code.definition,
        "parent": code.parent_id or "",
    }
    fields.update(values)
    return {f"code{code.pk}-{key}": value for key, value in fields.items()}


# --- Free without the line ------------------------------------------------------------------------


def test_without_a_rule_the_codebook_stays_free(client, bureau, study, people, codes):
    ensure_default_rules(bureau)  # the default table has no codebook line
    assert rule_for(bureau, ProposalKind.CODEBOOK) is None
    client = client_for(client, people["member"])
    code = codes["usages"]
    response = client.post(url(study, f"{code.pk}/edit/"), edit_data(code, name="Usages quotidiens"))
    assert response.status_code == 302
    assert Code.objects.get(pk=code.pk).name == "Usages quotidiens"
    response = client.post(
        url(study, f"{codes['tensions'].pk}/merge/"),
        {f"merge{codes['tensions'].pk}-target": codes["usages"].pk},
    )
    assert response.status_code == 302 and not Code.objects.filter(pk=codes["tensions"].pk).exists()
    assert not Proposal.objects.exists()
    assert "under the bureau's governance" not in client.get(url(study)).content.decode()
    with pytest.raises(actions.GovernanceError):
        actions.propose_change(
            bureau,
            people["coordinator"],
            kind=ProposalKind.CODEBOOK,
            title="x",
            payload={"op": "delete", "study": study.pk, "code": codes["redaction"].pk},
        )


# --- Renames under vote ---------------------------------------------------------------------------


def test_rename_is_proposed_shown_on_the_code_and_applied_on_adoption(client, bureau, study, people, codes):
    govern(bureau)
    client = client_for(client, people["coordinator"])
    code = codes["usages"]
    response = client.post(url(study, f"{code.pk}/edit/"), edit_data(code, name="Usages au travail"))
    assert response.status_code == 302
    proposal = Proposal.objects.get(kind=ProposalKind.CODEBOOK)
    assert response["Location"].endswith(f"proposals/{proposal.pk}/")
    assert proposal.status == Status.OPEN  # a coordinator's proposal opens at once
    assert proposal.payload == {
        "op": "edit",
        "study": study.pk,
        "code": code.pk,
        "code_name": "Usages",
        "from": {"name": "Usages"},
        "to": {"name": "Usages au travail"},
    }
    assert Code.objects.get(pk=code.pk).name == "Usages"  # nothing before the decision

    page = client.get(url(study)).content.decode()
    assert f'data-pending="{code.pk}"' in page and f"proposals/{proposal.pk}/" in page
    code_page = client.get(url(study, f"{code.pk}/")).content.decode()  # the code's own page too,
    assert f'data-pending="{code.pk}"' in code_page and "Propose to the vote" in code_page  # its form
    assert "under the bureau&#x27;s governance" in page or "under the bureau's governance" in page
    detail = client.get(response["Location"]).content.decode()
    assert "Usages au travail" in detail and 'data-change="pending"' in detail

    decision = decide(proposal)
    assert decision.adopted
    assert Code.objects.get(pk=code.pk).name == "Usages au travail"
    proposal.refresh_from_db()
    assert proposal.change_result["status"] == "applied"
    assert 'data-change="applied"' in client.get(response["Location"]).content.decode()
    assert f'data-pending="{code.pk}"' not in client.get(url(study)).content.decode()
    assert actions.verify_chain(list(Decision.objects.filter(bureau=bureau).order_by("sequence"))) is None


def test_a_members_proposal_waits_as_a_draft_for_a_coordinator(client, bureau, study, people, codes):
    govern(bureau)
    code = codes["usages"]
    response = client_for(client, people["member"]).post(
        url(study, f"{code.pk}/edit/"), edit_data(code, definition="Les usages *au travail*.")
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get(kind=ProposalKind.CODEBOOK)
    assert proposal.status == Status.DRAFT and proposal.payload["to"] == {
        "definition": "Les usages *au travail*."
    }
    assert not proposal.is_editable_draft  # its change is data: not re-edited as free text
    assert proposal.title == "Redefine the code « Usages »"
    actions.open_proposal(proposal, people["coordinator"])
    assert decide(proposal).adopted
    assert Code.objects.get(pk=code.pk).definition == "Les usages *au travail*."


def test_rejection_changes_nothing(bureau, study, people, codes):
    govern(bureau)
    code = codes["usages"]
    proposal = actions.propose_change(
        bureau,
        people["coordinator"],
        kind=ProposalKind.CODEBOOK,
        title="Renommer",
        payload={"op": "edit", "study": study.pk, "code": code.pk, "to": {"name": "Autre nom"}},
    )
    assert not decide(proposal, "against").adopted
    assert Code.objects.get(pk=code.pk).name == "Usages"
    proposal.refresh_from_db()
    assert proposal.change_result == {}


def test_a_refused_change_is_not_proposed(client, bureau, study, people, codes):
    govern(bureau)
    code = codes["usages"]
    response = client_for(client, people["coordinator"]).post(
        url(study, f"{code.pk}/edit/"),
        edit_data(code, name="tensions"),  # clashes, case aside
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert not Proposal.objects.exists()
    with pytest.raises(actions.GovernanceError):  # an observer does not propose codebook changes
        actions.propose_change(
            bureau,
            people["observer"],
            kind=ProposalKind.CODEBOOK,
            title="x",
            payload={"op": "edit", "study": study.pk, "code": code.pk, "to": {"name": "Y"}},
        )
    with pytest.raises(actions.GovernanceError):  # a code of another bureau's study
        actions.propose_change(
            bureau,
            people["coordinator"],
            kind=ProposalKind.CODEBOOK,
            title="x",
            payload={"op": "edit", "study": study.pk + 999, "code": code.pk},
        )
    with pytest.raises(actions.GovernanceError):  # changes nothing
        actions.propose_change(
            bureau,
            people["coordinator"],
            kind=ProposalKind.CODEBOOK,
            title="x",
            payload={"op": "edit", "study": study.pk, "code": code.pk, "to": {"name": "Usages"}},
        )
    assert not Proposal.objects.exists()


def test_creating_coding_and_a_colour_alone_stay_free(client, bureau, study, people, codes):
    govern(bureau)
    client = client_for(client, people["member"])
    response = client.post(
        url(study), {"new-name": "Nouveau code", "new-colour": "#123456", "new-definition": ""}
    )
    assert response.status_code == 302 and Code.objects.filter(study=study, name="Nouveau code").exists()
    code = codes["usages"]
    response = client.post(url(study, f"{code.pk}/edit/"), edit_data(code, colour="#aa0000"))
    assert response.status_code == 302 and Code.objects.get(pk=code.pk).colour == "#aa0000"
    assert not Proposal.objects.exists()


# --- Merges and deletions -------------------------------------------------------------------------


def test_an_adopted_merge_keeps_every_coding(client, bureau, study, people, codes, coded):
    govern(bureau)
    source, target = codes["redaction"], codes["usages"]
    response = client_for(client, people["coordinator"]).post(
        url(study, f"{source.pk}/merge/"), {f"merge{source.pk}-target": target.pk}
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get(kind=ProposalKind.CODEBOOK)
    assert proposal.payload["op"] == "merge" and proposal.payload["target"] == target.pk
    assert Code.objects.filter(pk=source.pk).exists()
    page = client.get(url(study)).content.decode()
    assert f'data-pending="{source.pk}"' in page and f'data-pending="{target.pk}"' in page
    assert decide(proposal).adopted
    assert not Code.objects.filter(pk=source.pk).exists()
    assert CodedObservation.objects.filter(tag=target, content_object=coded).exists()
    assert Excerpt.codes.through.objects.filter(code=target).count() == 1


def test_deleting_an_unused_code_by_vote_and_a_used_one_refused(client, bureau, study, people, codes, coded):
    govern(bureau)
    client = client_for(client, people["coordinator"])
    used = codes["redaction"]
    response = client.get(url(study, f"{used.pk}/delete/"))
    assert response.status_code == 302 and Code.objects.filter(pk=used.pk).exists()
    unused = codes["tensions"]
    confirm = client.get(url(study, f"{unused.pk}/delete/"))
    assert confirm.status_code == 200 and "put it to the vote" in confirm.content.decode()
    assert client.post(url(study, f"{unused.pk}/delete/")).status_code == 302
    proposal = Proposal.objects.get(kind=ProposalKind.CODEBOOK)
    assert proposal.payload["op"] == "delete"
    assert decide(proposal).adopted and not Code.objects.filter(pk=unused.pk).exists()


def test_free_deletion_asks_first(client, bureau, study, people, codes):
    client = client_for(client, people["member"])
    code = codes["tensions"]
    assert client.get(url(study, f"{code.pk}/delete/")).status_code == 200
    assert Code.objects.filter(pk=code.pk).exists()
    assert client.post(url(study, f"{code.pk}/delete/")).status_code == 302
    assert not Code.objects.filter(pk=code.pk).exists()


# --- Stale changes at adoption ----------------------------------------------------------------------


def test_a_stale_change_is_recorded_but_not_applied(client, bureau, study, people, codes):
    govern(bureau)
    author = people["coordinator"]
    usages, tensions = codes["usages"], codes["tensions"]
    rename = actions.propose_change(
        bureau,
        author,
        kind=ProposalKind.CODEBOOK,
        title="Renommer Tensions",
        payload={"op": "edit", "study": study.pk, "code": tensions.pk, "to": {"name": "Frictions"}},
    )
    redefine = actions.propose_change(
        bureau,
        author,
        kind=ProposalKind.CODEBOOK,
        title="Redéfinir Usages",
        payload={"op": "edit", "study": study.pk, "code": usages.pk, "to": {"definition": "Nouvelle"}},
    )
    # Meanwhile: « Tensions » is merged away, « Usages » is redefined otherwise.
    services.merge_codes(Code.objects.get(pk=tensions.pk), Code.objects.get(pk=codes["redaction"].pk))
    services.update_code(Code.objects.get(pk=usages.pk), "Autre définition", usages.colour)

    for proposal, message in ((rename, "no longer exists"), (redefine, "was changed since the proposal")):
        decision = decide(proposal)
        assert decision.adopted  # the decision is recorded
        proposal.refresh_from_db()
        assert proposal.change_result["status"] == "not_applicable"
        assert message in proposal.change_result["message"]
        page = client_for(client, author).get(f"{bureau.url}proposals/{proposal.pk}/")
        assert page.status_code == 200 and 'data-change="not-applicable"' in page.content.decode()
    assert Code.objects.get(pk=usages.pk).definition == "Autre définition"
    assert actions.verify_chain(list(Decision.objects.filter(bureau=bureau).order_by("sequence"))) is None


def test_switched_on_and_off_by_a_rules_change(bureau, study, people, make_person, codes):
    ensure_default_rules(bureau)
    voters = [people["coordinator"], people["member"]]
    majority = DecisionRule.objects.get(bureau=bureau, is_default=True)

    def rules_change(table):
        proposal = actions.create_proposal(
            bureau, voters[0], title="Règles", body="B", kind=ProposalKind.RULES, proposed_rules=table
        )
        actions.open_proposal(proposal, voters[0])
        return decide(proposal)

    assert not changes.is_governed(bureau.pk, ProposalKind.CODEBOOK)
    assert rules_change({ProposalKind.CODEBOOK: majority.pk}).adopted
    assert changes.is_governed(bureau.pk, ProposalKind.CODEBOOK)
    assert rules_change({ProposalKind.CODEBOOK: None}).adopted  # « freely, without a vote »
    assert not changes.is_governed(bureau.pk, ProposalKind.CODEBOOK)


# --- Queries -------------------------------------------------------------------------------------


def test_pages_cost_the_same_queries_at_two_sizes(client, bureau, make_study, people):
    govern(bureau)
    client = client_for(client, people["member"])
    counts, code_counts, detail_counts = [], [], []
    for size in (2, 12):
        study = make_study(bureau)
        made = [services.create_code(study, name=f"Code {n}") for n in range(size)]
        proposals = [
            actions.propose_change(
                bureau,
                people["coordinator"],
                kind=ProposalKind.CODEBOOK,
                title=f"Renommer {n}",
                payload={"op": "edit", "study": study.pk, "code": code.pk, "to": {"name": f"Nom {n}"}},
            )
            for n, code in enumerate(made)
        ]
        counts.append(count_queries(client, url(study)))
        code_counts.append(count_queries(client, url(study, f"{made[-1].pk}/")))
        detail_counts.append(count_queries(client, f"{bureau.url}proposals/{proposals[-1].pk}/"))
    assert counts[0] == counts[1], counts
    assert code_counts[0] == code_counts[1], code_counts
    assert detail_counts[0] == detail_counts[1], detail_counts


def test_an_import_does_not_rename_a_governed_code(bureau, study, codes):
    """A REFI-QDA codebook that renames a code: under governance the rename is reported, not applied."""
    import io

    from studies.exchange.importing import import_file

    govern(bureau)
    code = codes["usages"]
    data = (
        f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        f'<Code guid="{code.uuid}" name="Pratiques" isCodable="true"/></Codes></CodeBook>'
    ).encode()
    report = import_file(study, io.BytesIO(data), filename="c.qdc")
    assert Code.objects.get(pk=code.pk).name == "Usages" and not report.codes_renamed
    assert any("under the bureau's governance" in problem.message for problem in report.problems)
