"""The public pages of a protocol: the version in force, the history, any version as published,
what changed (word diff); the « proposed changes » on a protocol proposal; bounded queries."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from commons import actions
from commons.models import Decision, DecisionRule, Proposal
from commons.rules import ensure_default_rules
from commons.views.decisions import decision_url, register_url
from commons.views.proposals import detail_url
from studies.diffing import word_diff
from studies.models import ProtocolPage, ProtocolVersion
from studies.versions import revision_body, revision_title
from tests.conftest import client_for, count_queries, protocol_body

pytestmark = pytest.mark.django_db

V1_OBJECTIVES = "Comprendre les usages quotidiens de l'IA."
V2_OBJECTIVES = "Comprendre les usages réels de l'IA et la souveraineté des données."
EXTRA_FIELD = {"name": "hebergement", "label": "Hébergement", "field_type": "text", "choices": "",
               "required": False, "help_text": ""}


@pytest.fixture
def protocol(bureau, study, people, make_protocol):
    ensure_default_rules(bureau)
    return make_protocol(study, user=people["coordinator"], objectives=V1_OBJECTIVES)


def edited(page: ProtocolPage, *, objectives: str, summary: str, grid=None, extra=()) -> ProtocolPage:
    page = ProtocolPage.objects.get(pk=page.pk)
    page.body = protocol_body(objectives=objectives, grid=grid) + list(extra)
    page.change_summary = summary
    return page


def publish(page: ProtocolPage, user, **changes) -> ProtocolVersion:
    """Publish a new version directly, without a vote (test set-up: past the publish permission)."""
    page = edited(page, **changes)
    revision = page.save_revision(user=user)
    revision.publish(user=user, skip_permission_checks=True)
    return ProtocolVersion.objects.get(revision=revision)


def submit(page: ProtocolPage, user, **changes):
    """Put a new revision to the bureau's vote (the workflow opens the proposal)."""
    page = edited(page, **changes)
    page.save_revision(user=user)
    state = page.get_workflow().start(page, user)
    return state.current_task_state.specific


def adopt(task_state, people) -> Decision:
    proposal = task_state.proposal
    for who in ("member", "coordinator"):
        actions.cast_ballot(proposal, people[who], choice="for")
    Proposal.objects.filter(pk=proposal.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    return actions.close_proposal(proposal.pk)


@pytest.fixture
def two_versions(protocol, people):
    """v1 (published directly), v2: objectives reworded, a grid field and an ethics section added."""
    publish(
        protocol, people["coordinator"], objectives=V2_OBJECTIVES, summary="Ajout de la souveraineté.",
        grid=[*protocol_body()[2]["value"], EXTRA_FIELD],
        extra=[{"type": "ethics", "value": "<p>Consentement écrit de chaque collectif.</p>"}],
    )
    return ProtocolPage.objects.get(pk=protocol.pk)


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def marked(content: str, tag: str) -> list[str]:
    """The words inside <ins> or <del> (without their visually-hidden « added: » / « removed: »)."""
    found = re.findall(rf'<{tag}(?: class="after-change")?>(.*?)</{tag}>', content, flags=re.S)
    return [re.sub(r'<span class="visually-hidden">.*?</span>', "", chunk).strip() for chunk in found]


# --- Public routes --------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["", "versions/", "v/1/", "v/2/", "v/1/diff/", "v/2/diff/"])
def test_every_route_is_public(client, two_versions, route):
    response = client.get(two_versions.url + route)
    assert response.status_code == 200
    assert "studies/protocol.css" in response.content.decode()


@pytest.mark.parametrize("visitor", ["outsider", "observer", "member", "other_member"])
def test_everyone_reads_the_protocol(client, people, two_versions, visitor):
    response = client_for(client, people[visitor]).get(two_versions.url)
    assert response.status_code == 200
    assert V2_OBJECTIVES in text_of(response)


@pytest.mark.parametrize("route", ["v/99/", "v/99/diff/", "v/0/", "v/0/diff/", "v/3/", "v/-1/", "v/deux/"])
def test_a_version_that_does_not_exist_is_a_404(client, two_versions, route):
    assert client.get(two_versions.url + route).status_code == 404


def test_an_unpublished_protocol_is_not_served(client, study, make_protocol):
    page = make_protocol(study, publish=False)
    assert client.get(f"{study.url}{page.slug}/").status_code == 404


# --- The version in force, any version as published ---------------------------------------------


def test_the_protocol_page_shows_the_version_in_force(client, two_versions):
    response = client.get(two_versions.url)
    content = text_of(response)
    assert V2_OBJECTIVES in content and V1_OBJECTIVES not in content
    assert response.context["version"].number == 2 and response.context["is_current"]
    assert 'class="badge version-badge">v2<' in content
    assert "Ajout de la souveraineté." in content  # the summary
    assert "Consentement écrit de chaque collectif." in content  # the new section
    # every section with its label, in the protocol's order
    keys = [section.key for section in response.context["sections"]]
    assert keys == ["objectives", "method", "ethics", "observation_grid", "interview_guide"]
    # links: history, previous version, what changed
    url = two_versions.url
    for link in (f"{url}versions/", f"{url}v/1/", f"{url}v/2/diff/"):
        assert f'href="{link}"' in content
    assert pending_notice(content) is False


def test_the_grid_is_a_table_and_the_guide_a_list(client, two_versions):
    content = text_of(client.get(two_versions.url))
    grid = content.split('class="protocol-grid"')[1].split("</table>")[0]
    assert "Fréquence d'usage" in grid and "Hébergement" in grid
    assert "<li>quotidienne</li><li>hebdomadaire</li><li>rare</li>" in grid
    assert grid.count("<tr>") == 3  # header + two fields
    guide = content.split('<ol class="interview-guide">')[1].split("</ol>")[0]
    assert "Comment utilisez-vous l'IA ?" in guide
    assert '<ul class="probes"><li>Depuis quand ?</li></ul>' in guide


def test_an_old_version_shows_the_text_as_published_then(client, two_versions):
    response = client.get(two_versions.url + "v/1/")
    content = text_of(response)
    assert V1_OBJECTIVES in content and V2_OBJECTIVES not in content
    assert "Consentement écrit" not in content and "Hébergement" not in content
    assert "Version initiale." in content
    assert not response.context["is_current"]
    assert 'class="notice former-version"' in content
    assert f'href="{two_versions.url}v/2/"' in content  # next version
    assert f'href="{two_versions.url}v/1/diff/"' in content


def test_a_version_is_read_from_its_revision(two_versions):
    for version in ProtocolVersion.objects.filter(protocol=two_versions).select_related("revision"):
        as_published = version.revision.as_object()
        assert revision_body(version.revision).get_prep_value() == as_published.body.get_prep_value()
        assert revision_title(version.revision) == as_published.title


def test_the_current_version_page_says_it_is_in_force(client, two_versions):
    response = client.get(two_versions.url + "v/2/")
    assert response.context["is_current"]
    assert 'class="notice former-version"' not in response.content.decode()


def test_the_admin_preview_shows_the_draft(protocol, people, study):
    draft = edited(protocol, objectives="Un brouillon pas encore publié.", summary="Brouillon.")
    draft.save_revision(user=people["coordinator"])
    response = draft.make_preview_request()
    assert response.status_code == 200
    content = text_of(response)
    assert "Un brouillon pas encore publié." in content and 'class="badge preview-badge"' in content
    new = ProtocolPage(title="Nouveau protocole", slug="nouveau", body=protocol_body())  # preview on create
    new.depth, new.path = study.depth + 1, study.path + "9999"
    new.set_url_path(study)
    assert new.make_preview_request().status_code == 200


# --- What changed --------------------------------------------------------------------------------


def test_the_diff_marks_the_words_added_and_removed(client, two_versions):
    response = client.get(two_versions.url + "v/2/diff/")
    content = text_of(response)
    inserted, deleted = marked(content, "ins"), marked(content, "del")
    assert "réels" in inserted and "quotidiens" in deleted
    assert any("souveraineté des données" in chunk for chunk in inserted)
    assert any("Hébergement" in chunk for chunk in inserted)  # the grid field added
    assert any("Consentement écrit de chaque collectif." in chunk for chunk in inserted)
    assert 'class="visually-hidden">added: </span>' in content or 'class="visually-hidden">ajouté' in content
    statuses = {section.key: section.status for section in response.context["changed_sections"]}
    assert statuses == {"objectives": "changed", "ethics": "added", "observation_grid": "changed"}
    # the unchanged sections are folded away
    unchanged = content.split('<details class="unchanged-sections">')[1].split("</details>")[0]
    assert "Observation participante et entretiens." in unchanged and "<ins>" not in unchanged
    assert [section.key for section in response.context["unchanged_sections"]] == ["method", "interview_guide"]
    assert response.context["words_removed"] == 1  # « quotidiens »
    assert response.context["words_added"] == 6 + 3 + 5  # objectives; the grid field; the ethics section
    assert 'class="badge diff-status diff-status-added"' in content


def test_the_diff_of_the_first_version_is_the_initial_text(client, two_versions):
    response = client.get(two_versions.url + "v/1/diff/")
    content = text_of(response)
    assert 'class="notice first-version"' in content
    assert V1_OBJECTIVES in content
    assert not marked(content, "ins") and not marked(content, "del")
    assert f'href="{two_versions.url}v/2/diff/"' in content  # on to the next changes


def test_a_removed_section_is_marked_removed(client, protocol, people):
    page = edited(protocol, objectives=V1_OBJECTIVES, summary="Sans guide.")
    page.body = [block for block in protocol_body(objectives=V1_OBJECTIVES) if block["type"] != "interview_guide"]
    page.save_revision(user=people["coordinator"]).publish(user=people["coordinator"], skip_permission_checks=True)
    response = client.get(protocol.url + "v/2/diff/")
    assert [(s.key, s.status) for s in response.context["changed_sections"]] == [("interview_guide", "removed")]
    assert any("Comment utilisez-vous l'IA ?" in chunk for chunk in marked(text_of(response), "del"))


# --- History and decisions ------------------------------------------------------------------------


def test_history_lists_numbers_dates_summaries_and_decisions(client, bureau, protocol, people):
    task_state = submit(protocol, people["member"], objectives=V2_OBJECTIVES, summary="Voté par le bureau.")
    decision = adopt(task_state, people)
    v2 = ProtocolVersion.objects.get(protocol=protocol, number=2)
    assert v2.decision == decision
    response = client.get(protocol.url + "versions/")
    content = text_of(response)
    assert [version.number for version in response.context["versions"]] == [2, 1]
    for version, summary in ((1, "Version initiale."), (2, "Voté par le bureau.")):
        row = content.split(f'<tr id="v{version}">')[1].split("</tr>")[0]
        assert f'href="{protocol.url}v/{version}/"' in row
        assert summary in row
        assert f'datetime="{ProtocolVersion.objects.get(protocol=protocol, number=version).published_at:%Y-%m-%d}' in row
        assert f'href="{protocol.url}v/{version}/diff/"' in row
    row_v2 = content.split('<tr id="v2">')[1].split("</tr>")[0]
    assert f'href="{register_url(bureau)}#decision-{decision.sequence}"' in row_v2
    row_v1 = content.split('<tr id="v1">')[1].split("</tr>")[0]
    assert "#decision-" not in row_v1  # published without a vote
    # the version page links its decision too
    assert f"#decision-{decision.sequence}" in client.get(protocol.url + "v/2/").content.decode()
    # and the register has the anchor
    register = client.get(register_url(bureau)).content.decode()
    assert f'id="decision-{decision.sequence}"' in register


def test_decision_url_points_at_the_register_page_that_lists_it(bureau):
    base = register_url(bureau)
    assert decision_url(bureau, 7, newest=10) == f"{base}#decision-7"
    assert decision_url(bureau, 3, newest=120) == f"{base}?page=3#decision-3"
    assert decision_url(bureau, 70, newest=120) == f"{base}?page=2#decision-70"


# --- A vote in progress ---------------------------------------------------------------------------


def pending_notice(content: str) -> bool:
    return 'id="pending-vote"' in content


def test_a_submitted_revision_shows_a_notice_and_the_text_in_force(client, people, protocol):
    task_state = submit(protocol, people["member"], objectives=V2_OBJECTIVES, summary="En cours de vote.")
    proposal_link = detail_url(protocol.study.bureau, task_state.proposal)
    anonymous = text_of(client.get(protocol.url))
    assert pending_notice(anonymous) and proposal_link not in anonymous
    assert V1_OBJECTIVES in anonymous and V2_OBJECTIVES not in anonymous  # the vote has not adopted it yet
    member = text_of(client_for(client, people["member"]).get(protocol.url))
    assert pending_notice(member) and f'href="{proposal_link}"' in member


# --- The proposal page --------------------------------------------------------------------------


def test_the_proposal_page_shows_the_proposed_changes(client, people, protocol):
    task_state = submit(protocol, people["member"], objectives=V2_OBJECTIVES, summary="À voter.")
    url = detail_url(protocol.study.bureau, task_state.proposal)
    content = text_of(client_for(client, people["member"]).get(url))
    assert 'id="changes"' in content
    changes = content.split('id="changes"')[1].split("</section>\n\n")[0]
    assert "réels" in marked(changes, "ins") and "quotidiens" in marked(changes, "del")
    assert "studies/protocol.css" in changes
    assert "v1" in changes  # compared with the version in force


def test_other_proposals_show_no_changes_block(client, people, bureau):
    ensure_default_rules(bureau)
    rule = DecisionRule.objects.get(bureau=bureau, is_default=True)
    proposal = actions.create_proposal(bureau, people["member"], title="Une question", body="Libre.",
                                          rule=rule, kind="free")
    content = client_for(client, people["member"]).get(detail_url(bureau, proposal)).content.decode()
    assert 'id="changes"' not in content


# --- The study page -----------------------------------------------------------------------------


def test_the_study_page_links_the_protocol_in_force(client, study, two_versions):
    content = client.get(study.url).content.decode()
    assert f'href="{two_versions.url}"' in content
    assert "v2" in content


def test_no_protocol_link_before_publication(client, study, make_protocol):
    page = make_protocol(study, publish=False)
    assert f'href="{study.url}{page.slug}/"' not in client.get(study.url).content.decode()


# --- Bounded queries ----------------------------------------------------------------------------


def test_protocol_pages_cost_the_same_queries_with_more_versions(client, people, protocol):
    adopt(submit(protocol, people["member"], objectives="Deuxième version.", summary="v2"), people)
    routes = ["", "versions/", "v/2/", "v/2/diff/"]
    small = {route: count_queries(client, protocol.url + route) for route in routes}
    for n in range(3, 8):
        publish(protocol, people["coordinator"], objectives=f"Version {n}.", summary=f"v{n}")
    adopt(submit(protocol, people["member"], objectives="Huitième version.", summary="v8"), people)
    assert ProtocolVersion.objects.filter(protocol=protocol).count() == 8
    large = {route: count_queries(client, protocol.url + route) for route in routes}
    assert large == small


# --- The word diff itself ---------------------------------------------------------------------------


def test_punctuation_stays_out_of_the_changed_words():
    segments = word_diff("entretiens semi-directifs.", "entretiens semi-directifs et un atelier collectif.")
    assert [(s.op, s.text) for s in segments] == [
        ("equal", "entretiens semi-directifs"), ("insert", " et un atelier collectif"), ("equal", "."),
    ]


def test_a_replaced_phrase_reads_as_one_change():
    segments = word_diff("l'IA générative au quotidien.", "l'IA générative et ce qu'elles savent.")
    assert [(s.op, s.text) for s in segments] == [
        ("equal", "l'IA générative "), ("delete", "au quotidien"), ("insert", "et ce qu'elles savent"),
        ("equal", "."),
    ]


@pytest.mark.parametrize("old, new", [
    ("d. e,       a \n", "c \n    b e, a c"), ("a b\nc d", "a x\ny d"), ("", "un texte"), ("un texte", ""),
])
def test_the_diff_keeps_both_texts(old, new):
    segments = word_diff(old, new)
    assert "".join(s.text for s in segments if s.op != "delete") == new
    assert "".join(s.text for s in segments if s.op != "insert") == old
