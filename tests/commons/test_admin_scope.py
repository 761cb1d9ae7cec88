"""Admin pages that name objects apply the listing's scope (issue 10, item 4).

Wagtail's bulk-action pages used to look ids up in the whole table and list the objects the person may
not act on by name: another bureau's informants and consent records, the titles of recordings, the
pages of another bureau — to plain members too. Each is tried here as a member of another bureau and
as a plain member; both get a 404 that names nothing, as for an id that does not exist.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.admin.views.bulk_action.registry import bulk_action_registry
from wagtail.documents import get_document_model
from wagtail.models import Collection

from commons.admin_scope import ScopedBulkActionMixin
from participants.models import Collective, ConsentForm, ConsentRecord, Informant
from tests.conftest import client_for

SECRET = "Coopérative Secrète"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def objects(bureau, make_collective, make_study, media):
    """Objects of `bureau` whose names must not reach anyone outside it."""
    from studies.views.interviews import recordings_collection

    collective = make_collective(bureau, SECRET)
    informant = Informant.objects.create(collective=collective, pseudonym="Pseudo-Alix",
                                         identifying_details="Alix Martin")
    Document = get_document_model()
    recording = Document.objects.create(
        title="Recording: entretien avec Alix Martin", collection=recordings_collection(bureau),
        file=SimpleUploadedFile("alix.mp3", b"ID3 frames"),
    )
    shared = Document.objects.create(
        title="Charte du bureau", collection=Collection.objects.get(name=bureau.title),
        file=SimpleUploadedFile("charte.txt", b"Charte"),
    )
    return {
        "collective": collective,
        "informant": informant,
        "consentrecord": ConsentRecord.objects.get(collective=collective),
        "consentform": ConsentForm.objects.get(bureau=bureau),
        "recording": recording,
        "document": shared,
        "page": make_study(bureau, "Étude confidentielle du bureau"),
    }


def _bulk(app: str, model: str, *pks, action: str = "delete") -> str:
    ids = "&".join(f"id={pk}" for pk in pks)
    return f"/admin/bulk/{app}/{model}/{action}/?{ids}"


PARTICIPANTS = ["collective", "informant", "consentrecord", "consentform"]


def _label(objects, name: str) -> str:
    return {
        "collective": SECRET,
        "informant": "Pseudo-Alix",
        "consentrecord": objects["collective"].code,
        "consentform": "Consentement",
        "recording": "Alix Martin",
        "document": "Charte du bureau",
        "page": "Étude confidentielle",
    }[name]


# --- Every bulk action is scoped ---------------------------------------------------------------------


def test_every_registered_bulk_action_is_scoped(db):
    bulk_action_registry._scan_for_bulk_actions()
    registered = [
        action_class
        for models in bulk_action_registry.actions.values()
        for actions in models.values()
        for action_class in actions.values()
    ]
    assert len(registered) >= 14
    unscoped = [cls.__name__ for cls in registered if not issubclass(cls, ScopedBulkActionMixin)]
    assert unscoped == []


# --- Participants: another bureau's coordinator and a plain member see nothing ------------------------


@pytest.mark.parametrize("who", ["other_member", "member"])
@pytest.mark.parametrize("name", PARTICIPANTS)
def test_participants_bulk_pages_name_nothing_outside_the_scope(client, people, objects, who, name):
    client_for(client, people[who])
    response = client.get(_bulk("participants", name, objects[name].pk))
    assert response.status_code == 404
    assert _label(objects, name) not in response.content.decode()
    response = client.post(_bulk("participants", name, objects[name].pk))
    assert response.status_code == 404
    assert type(objects[name]).objects.filter(pk=objects[name].pk).exists()


@pytest.mark.parametrize("name", PARTICIPANTS)
def test_the_bureau_coordinator_still_sees_their_own(client, people, objects, name):
    client_for(client, people["coordinator"])
    response = client.get(_bulk("participants", name, objects[name].pk))
    assert response.status_code == 200
    assert [item["item"] for item in response.context["items"]] == [objects[name]]


def test_ids_of_another_bureau_are_dropped_from_a_mixed_request(client, people, objects, other_bureau,
                                                               make_collective):
    theirs = make_collective(other_bureau, "Leur collectif")
    client_for(client, people["other_member"])  # the coordinator of the other bureau
    response = client.get(_bulk("participants", "collective", objects["collective"].pk, theirs.pk))
    assert response.status_code == 200
    assert [item["item"] for item in response.context["items"]] == [theirs]
    assert list(response.context["items_with_no_access"]) == []
    assert SECRET not in response.content.decode()
    client.post(_bulk("participants", "collective", objects["collective"].pk, theirs.pk))
    assert Collective.objects.filter(pk=objects["collective"].pk).exists()
    assert not Collective.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("bad", ["abc", "99999999999999999999999", "-1", ""])
def test_malformed_or_unknown_ids_are_a_404(client, people, objects, bad):
    client_for(client, people["coordinator"])
    assert client.get(f"/admin/bulk/participants/collective/delete/?id={bad}").status_code == 404


# --- Documents and pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_member", "member", "coordinator"])
@pytest.mark.parametrize("action", ["delete", "add_tags", "add_to_collection"])
def test_recordings_are_named_to_nobody_in_document_bulk_pages(client, people, objects, who, action):
    client_for(client, people[who])
    response = client.get(_bulk("wagtaildocs", "document", objects["recording"].pk, action=action))
    assert response.status_code == 404
    assert "Alix Martin" not in response.content.decode()


def test_bureau_documents_are_named_to_the_bureau_only(client, people, objects):
    address = _bulk("wagtaildocs", "document", objects["document"].pk)
    client_for(client, people["other_member"])
    response = client.get(address)
    assert response.status_code == 404 and "Charte du bureau" not in response.content.decode()
    client_for(client, people["member"])
    response = client.get(address)
    assert response.status_code == 200 and "Charte du bureau" in response.content.decode()


@pytest.mark.parametrize("action", ["delete", "move", "publish", "unpublish"])
def test_pages_of_another_bureau_are_not_named(client, people, objects, action):
    address = _bulk("wagtailcore", "page", objects["page"].pk, action=action)
    client_for(client, people["other_member"])
    response = client.get(address)
    assert response.status_code == 404
    assert "Étude confidentielle" not in response.content.decode()
    client_for(client, people["member"])
    response = client.get(address)
    assert response.status_code == 200
    assert "Étude confidentielle" in response.content.decode()


# --- Site history ------------------------------------------------------------------------------------


@pytest.fixture
def logged(objects, people, other_bureau, make_collective):
    """Log entries about bureau objects, and one about a collective of the other bureau."""
    from wagtail.log_actions import log

    theirs = make_collective(other_bureau, "Leur collectif")
    informant = Informant.objects.create(collective=theirs, pseudonym="Pseudo-Leur")
    for obj in (objects["collective"], objects["informant"], objects["consentrecord"], informant):
        log(obj, "wagtail.edit", user=people["coordinator"])
    return {"ours": objects["informant"], "theirs": informant}


@pytest.mark.parametrize("suffix", ["", "results/", "?export=csv"])
def test_site_history_names_only_what_the_person_may_see(client, people, logged, suffix):
    address = f"/admin/reports/site-history/{suffix}"
    client_for(client, people["other_member"])  # coordinates the other bureau
    response = client.get(address)
    assert response.status_code == 200
    body = (b"".join(response.streaming_content) if response.streaming else response.content).decode()
    assert "Pseudo-Leur" in body
    assert "Pseudo-Alix" not in body
    client_for(client, people["coordinator"])
    response = client.get(address)
    body = (b"".join(response.streaming_content) if response.streaming else response.content).decode()
    assert "Pseudo-Alix" in body and "Pseudo-Leur" not in body


def test_site_history_is_whole_for_platform_admins(client, make_person, logged):
    client_for(client, make_person(is_superuser=True, is_staff=True))
    body = client.get("/admin/reports/site-history/").content.decode()
    assert "Pseudo-Alix" in body and "Pseudo-Leur" in body


# --- Page choosers and the page types report ---------------------------------------------------------


@pytest.fixture
def draft(bureau, make_study):
    page = make_study(bureau, "Brouillon discret du bureau")
    page.unpublish()
    return page


@pytest.mark.parametrize("address", ["/admin/choose-page/search/?q=discret", "/admin/choose-page/{parent}/"])
def test_page_chooser_does_not_name_another_bureau_drafts(client, people, bureau, draft, address):
    address = address.format(parent=bureau.pk)
    response = client_for(client, people["other_member"]).get(address)
    assert response.status_code == 200
    assert "Brouillon discret" not in response.content.decode()
    response = client_for(client, people["member"]).get(address)
    assert "Brouillon discret" in response.content.decode()


def test_page_chooser_still_offers_public_pages_of_other_bureaus(client, people, objects):
    response = client_for(client, people["other_member"]).get("/admin/choose-page/search/?q=confidentielle")
    assert "Étude confidentielle" in response.content.decode()  # live and public: anyone can read it


@pytest.mark.parametrize("suffix", ["", "results/"])
def test_page_types_report_names_only_explorable_pages(client, people, draft, suffix):
    address = f"/admin/reports/page-types-usage/{suffix}"
    response = client_for(client, people["other_member"]).get(address)
    assert response.status_code == 200
    assert "Brouillon discret" not in response.content.decode()
    response = client_for(client, people["member"]).get(address)
    assert "Brouillon discret" in response.content.decode()
