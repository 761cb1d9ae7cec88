"""Co-editing the protocol in the Wagtail admin: stale saves refused, grid validated, no publishing by hand."""

from __future__ import annotations

import json

import pytest
from wagtail.models import Revision
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from commons.models import Proposal
from commons.models.governance import ProposalKind
from commons.rules import ensure_default_rules
from studies.models import ProtocolPage, ProtocolVersion

pytestmark = pytest.mark.django_db


def grid_field(name: str, label: str, field_type: str = "text", choices: str = "", required: bool = False) -> dict:
    value = {"name": name, "label": label, "field_type": field_type, "choices": choices, "help_text": ""}
    if required:
        value["required"] = "on"
    return value


def list_block(items: list[dict]) -> dict:
    data = {str(i): {"value": item, "deleted": "", "order": str(i), "id": ""} for i, item in enumerate(items)}
    data["count"] = str(len(items))
    return data


def edit_data(page: ProtocolPage, *, objectives: str, grid=None, summary: str = "", loaded: Revision | None = "latest",
              **extra) -> dict:
    blocks = [("objectives", rich_text(f"<p>{objectives}</p>"))]
    if grid is not None:
        blocks.append(("observation_grid", list_block(grid)))
    data = {
        "title": page.title,
        "slug": page.slug,
        "change_summary": summary,
        "body": streamfield(blocks),
        "comments": inline_formset([]),
    }
    if loaded == "latest":
        loaded = page.revisions.order_by("-created_at", "-pk").first()
    if loaded is not None:
        data["loaded_revision_id"] = str(loaded.pk)
        data["loaded_revision_created_at"] = loaded.created_at.isoformat()
    data.update(extra)
    return nested_form_data(data)


@pytest.fixture
def protocol(bureau, study, people, make_protocol):
    ensure_default_rules(bureau)
    return make_protocol(study, user=people["coordinator"])


def edit_url(page) -> str:
    return f"/admin/pages/{page.pk}/edit/"


def latest_text(page) -> str:
    page = ProtocolPage.objects.get(pk=page.pk).get_latest_revision_as_object()
    return str(page.body[0].value)


def test_members_open_the_editor_with_comments_and_editing_sessions(client, protocol, people):
    client.force_login(people["member"])
    response = client.get(edit_url(protocol))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="comments-data"' in html or "w-comments" in html  # page comments are on
    assert "w-session" in html  # Wagtail's concurrent-editing notices (editing sessions) are on


def test_two_editors_the_stale_save_is_refused_and_nothing_is_lost(client, django_user_model, protocol, people):
    from django.test import Client

    alice, bob = Client(), Client()
    alice.force_login(people["member"])
    bob.force_login(people["coordinator"])
    # Both open the editor on the same revision.
    opened = protocol.revisions.order_by("-created_at", "-pk").first()
    assert alice.get(edit_url(protocol)).status_code == 200
    assert bob.get(edit_url(protocol)).status_code == 200

    saved = alice.post(edit_url(protocol), edit_data(protocol, objectives="Texte d'Alice.", loaded=opened))
    assert saved.status_code == 302
    assert "Texte d'Alice." in latest_text(protocol)
    revisions = protocol.revisions.count()

    refused = bob.post(edit_url(protocol), edit_data(protocol, objectives="Texte de Bob.", loaded=opened))
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "Not saved" in html or "Non enregistré" in html
    assert "Texte de Bob." in html  # Bob's text is still in his form
    assert protocol.revisions.count() == revisions
    assert "Texte d'Alice." in latest_text(protocol)  # Alice's update is not lost

    # Having seen the newer version, Bob saves again on top of it: a deliberate overwrite.
    again = bob.post(edit_url(protocol), edit_data(protocol, objectives="Texte de Bob."))
    assert again.status_code == 302
    assert "Texte de Bob." in latest_text(protocol)


def test_a_save_that_does_not_say_which_revision_it_was_built_on_is_refused(client, protocol, people):
    client.force_login(people["member"])
    before = protocol.revisions.count()
    response = client.post(edit_url(protocol), edit_data(protocol, objectives="Sans révision.", loaded=None))
    assert response.status_code == 200
    assert protocol.revisions.count() == before


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ([grid_field("usage", "Usage"), grid_field("usage", "Usage bis")], "« usage »"),
        ([grid_field("hebergement", "Hébergé en UE ?", "choice", "")], "choix"),
        ([grid_field("outil", "Outil", "teleportation")], "teleportation"),
        ([grid_field("Mauvais Nom", "Nom invalide")], "minuscules"),
        ([grid_field("note", "Note", "text", "a\nb")], "choix"),
    ],
    ids=["duplicate-names", "choice-without-choices", "unknown-type", "bad-name", "choices-on-text"],
)
def test_bad_grid_definitions_are_rejected_in_the_admin(client, protocol, people, grid, message):
    client.force_login(people["member"])
    before = protocol.revisions.count()
    response = client.post(edit_url(protocol), edit_data(protocol, objectives="Grille.", grid=grid))
    assert response.status_code == 200
    assert protocol.revisions.count() == before
    # Block errors reach the editor as JSON (rendered next to the field by Wagtail's client code).
    error = response.context["form"].errors.as_data()["body"][0]
    text = json.dumps(error.as_json_data(), ensure_ascii=False)
    assert message in text, text


def test_a_good_grid_is_saved(client, protocol, people):
    client.force_login(people["member"])
    grid = [
        grid_field("hebergement_ue", "Outil hébergé en UE ?", "choice", "oui\nnon\nne sait pas", required=True),
        grid_field("satisfaction", "Satisfaction", "scale"),
    ]
    response = client.post(edit_url(protocol), edit_data(protocol, objectives="Grille.", grid=grid))
    assert response.status_code == 302
    page = ProtocolPage.objects.get(pk=protocol.pk).get_latest_revision_as_object()
    assert [field["name"] for field in page.grid] == ["hebergement_ue", "satisfaction"]
    assert page.grid[0]["choices"] == ["oui", "non", "ne sait pas"] and page.grid[0]["required"]


def test_nobody_publishes_a_versioned_protocol_by_hand(client, protocol, people, make_person):
    superuser = make_person(is_superuser=True, is_staff=True)
    for user in (people["coordinator"], superuser):
        client.force_login(user)
        client.post(edit_url(protocol), edit_data(protocol, objectives="Publié sans vote.", **{"action-publish": "1"}))
        page = ProtocolPage.objects.get(pk=protocol.pk)
        assert "Publié sans vote." not in str(page.body[0].value)
        assert ProtocolVersion.objects.filter(protocol=protocol).count() == 1
        assert not page.permissions_for_user(user).can_publish()


def test_submitting_from_the_editor_opens_the_vote(client, protocol, people):
    client.force_login(people["member"])
    response = client.post(
        edit_url(protocol),
        edit_data(protocol, objectives="Avec la souveraineté.", summary="Souveraineté", **{"action-submit": "1"}),
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get(kind=ProposalKind.PROTOCOL)
    assert proposal.is_open and proposal.author == people["member"]
    page = ProtocolPage.objects.get(pk=protocol.pk)
    assert page.workflow_in_progress
    assert "Avec la souveraineté." not in str(page.body[0].value)  # not live before the vote


def test_outsiders_cannot_open_the_editor(client, protocol, people):
    # No admin access at all (outsider, observer): the login page; admin access elsewhere: the
    # dashboard, with Wagtail's « no permission » message. Never the editor.
    expected = {
        "outsider": f"/accounts/login/?next={edit_url(protocol)}",
        "observer": f"/accounts/login/?next={edit_url(protocol)}",
        "other_member": "/admin/",
    }
    for who, location in expected.items():
        client.force_login(people[who])
        response = client.get(edit_url(protocol))
        assert (response.status_code, response["Location"]) == (302, location), who


def test_the_revision_under_vote_cannot_be_overwritten(client, protocol, people):
    """Overwriting in place (what autosave does) would change the text people are voting on."""
    client.force_login(people["member"])
    client.post(edit_url(protocol), edit_data(protocol, objectives="Texte soumis.", summary="Soumis",
                                              **{"action-submit": "1"}))
    voted = ProtocolPage.objects.get(pk=protocol.pk).current_workflow_task_state.revision
    page = ProtocolPage.objects.get(pk=protocol.pk)
    response = client.post(edit_url(page), edit_data(page, objectives="Texte substitué.",
                                                     overwrite_revision_id=str(voted.pk)))
    assert (response.status_code, response["Location"]) == (302, edit_url(page))  # saved, as a draft
    voted.refresh_from_db()
    assert "Texte soumis." in str(voted.as_object().body[0].value)
    assert "Texte substitué." in latest_text(protocol)  # kept as a new draft, not lost


def test_a_published_version_cannot_be_rewritten(protocol, people):
    v1 = ProtocolVersion.objects.get(protocol=protocol, number=1)
    page = ProtocolPage.objects.get(pk=protocol.pk)
    page.body = [{"type": "objectives", "value": "<p>Réécrit.</p>"}]
    revision = page.save_revision(user=v1.revision.user, overwrite_revision=v1.revision)
    assert revision.pk != v1.revision_id
    v1.revision.refresh_from_db()
    assert "Réécrit." not in str(v1.revision.as_object().body[0].value)


def test_a_submission_must_say_what_it_changes(client, protocol, people):
    client.force_login(people["member"])
    for summary in ("", "Version initiale."):  # empty, or still the summary of the version in force
        response = client.post(edit_url(protocol), edit_data(protocol, objectives="Autre.", summary=summary,
                                                             **{"action-submit": "1"}))
        assert response.status_code == 200
        assert "change_summary" in response.context["form"].errors
        assert not Proposal.objects.exists()


def test_a_versioned_protocol_is_not_unpublished_or_deleted_by_hand(client, protocol, people, make_person):
    superuser = make_person(is_superuser=True, is_staff=True)
    for user in (people["coordinator"], superuser):
        perms = ProtocolPage.objects.get(pk=protocol.pk).permissions_for_user(user)
        assert not perms.can_unpublish() and not perms.can_delete()
        client.force_login(user)
        client.post(f"/admin/pages/{protocol.pk}/unpublish/")
        client.post(f"/admin/pages/{protocol.pk}/delete/")
        assert ProtocolPage.objects.get(pk=protocol.pk).live


def test_the_editor_has_no_scheduling(client, protocol, people):
    client.force_login(people["member"])
    html = client.get(edit_url(protocol)).content.decode()
    assert 'name="go_live_at"' not in html and 'name="expire_at"' not in html


def test_a_study_with_a_versioned_protocol_is_not_deleted(client, study, protocol, people, make_person):
    from studies.models import StudyPage

    superuser = make_person(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    response = client.post(f"/admin/pages/{study.pk}/delete/")
    assert response.status_code == 302
    assert StudyPage.objects.filter(pk=study.pk).exists()
    assert ProtocolVersion.objects.filter(protocol=protocol).count() == 1
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any(study.title in m for m in messages)


def test_a_study_without_versions_can_be_deleted(client, study, people, make_protocol, make_person):
    from studies.models import StudyPage

    make_protocol(study, publish=False)
    superuser = make_person(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    client.post(f"/admin/pages/{study.pk}/delete/")
    assert not StudyPage.objects.filter(pk=study.pk).exists()


def test_purging_old_revisions_keeps_every_version(protocol, people):
    from django.core.management import call_command

    page = ProtocolPage.objects.get(pk=protocol.pk)
    page.body = [{"type": "objectives", "value": "<p>Deuxième.</p>"}]
    page.change_summary = "v2"
    page.save_revision(user=people["coordinator"]).publish(skip_permission_checks=True)
    page.save_revision(user=people["coordinator"])  # a draft on top
    call_command("purge_revisions", days=0, verbosity=0)
    versions = ProtocolVersion.objects.filter(protocol=protocol).order_by("number")
    assert [v.number for v in versions] == [1, 2]
    assert all(Revision.objects.filter(pk=v.revision_id).exists() for v in versions)
