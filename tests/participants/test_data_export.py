"""« Mes données » (issue 16, items 1 and 5): the archive, the page and `manage.py export_member_data`.

One member (`subject`) holds one row of every kind the archive lists; another member votes and
comments on the same proposal, an invitation names a third address, a collective and an informant
have real names — none of these may be found in the subject's archive. A withdrawn collective's
observation is left out, as everywhere else.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import ModelLogEntry

from commons import actions
from commons.data_export import EXPORT_ACTION, build_member_archive
from commons.models import Comment, Invitation, Resource, Role
from participants.data_export import sections
from participants.models import ConsentForm, ConsentRecord, Informant
from studies.models import Code, Document, ErasureRecord, Excerpt, Interview, Memo, Observation, ProtocolPage
from tests.conftest import client_for, protocol_body

SECTIONS = (
    "profil", "consentements_saisis", "adhesions", "invitations_envoyees", "propositions", "votes",
    "listes_electorales", "historique_des_votes", "commentaires", "procurations", "ressources_proposees", "observations", "entretiens", "extraits_codes",
    "memos", "documents_importes", "versions_publiees", "effacements_realises",
)
#: Strings that belong to other people: none may be in the subject's archive.
OTHERS = ("invitee-secret@example.org", "raison-de-l-autre", "commentaire-autrui", "Collectif Vrai-Nom",
          "Identité Réelle d'Informant", "note-retiree-par-consentement", "Collectif Retiré")


@dataclass
class World:
    subject: object
    other: object


def _fill(bureau, study, make_person, make_collective, subject=None, *, copies: int = 1,
          other_email: str = "autre-membre@example.org") -> World:
    """`copies` rows of every kind for `subject` (made if None), plus other people's rows around them."""
    subject = subject or make_person(bureau, Role.MEMBER, email="sujet@example.org")
    other = make_person(bureau, Role.COORDINATOR, email=other_email)
    collective = make_collective(bureau, f"Collectif Vrai-Nom {other_email}")
    withdrawn = make_collective(bureau, f"Collectif Retiré {other_email}")
    form, _ = ConsentForm.objects.get_or_create(bureau=bureau, title="Entretien", version=1,
                                                defaults={"text": "Texte."})
    informant = Informant.objects.create(collective=collective, pseudonym="Noé",  # unique per collective
                                         identifying_details="Identité Réelle d'Informant")
    ConsentRecord.objects.create(form=form, informant=informant, scopes=["interview"], entered_by=subject)
    code, _ = Code.objects.get_or_create(study=study, name="Rédaction", defaults={"slug": "redaction"})
    for n in range(copies):
        Invitation.issue(email="invitee-secret@example.org", bureau=bureau, role=Role.MEMBER, invited_by=subject)
        proposal = actions.create_proposal(bureau, subject, title=f"Proposition {n} du sujet", body="Corps du sujet")
        actions.open_proposal(proposal, by=other)
        actions.give_proxy(bureau, subject, other, proposal)  # « procurations »: no name of the holder
        actions.cast_ballot(proposal, subject, choice="for", reason="Ma première raison")
        actions.cast_ballot(proposal, subject, choice="against", reason="Ma raison =1+1")
        actions.cast_ballot(proposal, other, choice="for", reason="raison-de-l-autre")
        Comment.objects.create(proposal=proposal, author=subject, body="=HYPERLINK(\"x\") mon commentaire")
        Comment.objects.create(proposal=proposal, author=other, body="commentaire-autrui")
        Resource.objects.create(bureau=bureau, title=f"Ressource {n} du sujet", kind="guide", summary="Utile.",
                                url="https://example.org/r", proposed_by=subject)
        observation = Observation.objects.create(
            study=study, collective=collective, observer=subject, setting="meeting", title=f"Note {n}",
            body="Une note de terrain du sujet, assez longue pour un extrait.",
        )
        Observation.objects.create(study=study, collective=withdrawn, observer=subject, setting="meeting",
                                   title="Retirée", body="note-retiree-par-consentement")
        Interview.objects.create(study=study, informant=informant, interviewer=subject, title=f"Entretien {n}",
                                 transcript="Transcription de l'entretien mené par le sujet.")
        excerpt = Excerpt.objects.create(observation=observation, coder=subject, start=4, end=8,
                                         text="note", memo="mémo d'extrait")
        excerpt.codes.set([code])
        Memo.objects.create(study=study, author=subject, observation=observation, body="Mémo du sujet")
        Document.objects.create(study=study, title=f"Document {n}", plain_text="Un texte importé.",
                                imported_by=subject, origin="compte-rendu.txt")
        ErasureRecord.objects.create(bureau=bureau, party_kind="informant", erased_by=subject,
                                     counts={"interviews": 1})
    if not ProtocolPage.objects.child_of(study).exists():
        protocol = ProtocolPage(title="Protocole", slug="protocole", body=protocol_body(),
                                change_summary="Version initiale.", live=False)
        study.add_child(instance=protocol)
        protocol.save_revision(user=subject).publish()  # published_by is the revision's author
    withdrawn.consents.update(withdrawn_at="2020-01-01T00:00:00Z")
    return World(subject, other)


@pytest.fixture
def world(bureau, study, make_person, make_collective) -> World:
    return _fill(bureau, study, make_person, make_collective)


def _archive(user) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    build_member_archive(user, buffer)
    buffer.seek(0)
    return zipfile.ZipFile(buffer)


def _all_text(archive: zipfile.ZipFile) -> str:
    return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def _csv(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read(f"{name}.csv").decode("utf-8-sig"))))


def test_every_section_is_registered_in_order():
    assert [section.name for section in sections()] == list(SECTIONS)


def test_archive_holds_every_kind_of_the_members_data(world):
    archive = _archive(world.subject)
    assert sorted(archive.namelist()) == sorted(["donnees.json", *(f"{name}.csv" for name in SECTIONS)])
    data = json.loads(archive.read("donnees.json"))
    counts = {name: len(section["rows"]) for name, section in data["sections"].items()}
    assert counts == {
        "profil": 1, "adhesions": 1, "invitations_envoyees": 1, "propositions": 1, "votes": 1,
        "historique_des_votes": 2, "commentaires": 1, "procurations": 1, "observations": 1, "entretiens": 1,
        "extraits_codes": 1, "memos": 1, "listes_electorales": 1, "documents_importes": 1, "versions_publiees": 1,
        "effacements_realises": 1, "consentements_saisis": 1, "ressources_proposees": 1,
    }
    rows = {name: section["rows"] for name, section in data["sections"].items()}
    assert rows["profil"][0]["email"] == "sujet@example.org"
    assert rows["consentements_saisis"][0]["party"] == "Noé"  # the pseudonym, never the identity
    assert rows["consentements_saisis"][0]["scopes"] == ["interview"]
    assert rows["votes"][0] | {"cast_at": None, "updated_at": None} == {
        "bureau": "BEC test", "proposal": "Proposition 0 du sujet", "choice": "contre", "grades": {},
        "reason": "Ma raison =1+1", "cast_at": None, "updated_at": None,
    }
    assert [(change["choice"], change["reason"]) for change in rows["historique_des_votes"]] == [
        ("pour", "Ma première raison"), ("contre", "Ma raison =1+1")]
    assert rows["entretiens"][0]["informant"] == "Noé"
    assert rows["observations"][0]["collective"].startswith("C-")
    assert rows["extraits_codes"][0]["codes"] == ["Rédaction"]
    assert rows["memos"][0]["body"] == "Mémo du sujet"
    assert rows["versions_publiees"][0] | {"published_at": None} == {
        "kind": "protocol", "page": "Protocole", "number": 1, "published_at": None, "summary": "Version initiale."}
    assert data["truncated"] == []
    # The readable CSV holds the same rows, with a header.
    assert _csv(archive, "historique_des_votes")[0] == data["sections"]["historique_des_votes"]["columns"]
    assert len(_csv(archive, "historique_des_votes")) == 3


def test_archive_names_no_other_person(world):
    text = _all_text(_archive(world.subject))
    for foreign in (*OTHERS, world.other.email, world.other.bec_profile.display_name):
        assert foreign not in text


def test_csv_cells_are_neutralised(world):
    archive = _archive(world.subject)
    [_header, row] = _csv(archive, "commentaires")
    assert row[2].startswith("'=HYPERLINK")
    assert _csv(archive, "votes")[1][4] == "Ma raison =1+1"  # not a formula start: left as written


def test_sections_are_bounded_and_say_so(world, settings):
    settings.BEC_DATA_EXPORT_MAX_ROWS = 1
    data = json.loads(_archive(world.subject).read("donnees.json"))
    assert data["truncated"] == ["historique_des_votes"]
    assert len(data["sections"]["historique_des_votes"]["rows"]) == 1


def test_query_count_does_not_grow_with_the_data(bureau, study, make_person, make_collective, make_bureau):
    def queries(user) -> int:
        with CaptureQueriesContext(connection) as ctx:
            build_member_archive(user, io.BytesIO())
        return len(ctx.captured_queries)

    small = _fill(bureau, study, make_person, make_collective, copies=1).subject
    large = _fill(bureau, study, make_person, make_collective,
                  make_person(bureau, Role.MEMBER, email="gros@example.org"), copies=6,
                  other_email="autre-2@example.org").subject
    queries(small)  # warm-up: content types of the audit log are cached per process
    assert queries(large) == queries(small) <= 26


def test_export_is_logged_without_its_content(world):
    _archive(world.subject)
    entry = ModelLogEntry.objects.get(action=EXPORT_ACTION)
    assert entry.object_id == str(world.subject.pk)
    assert "sujet" not in json.dumps(entry.data) and "Corps" not in json.dumps(entry.data)


# --- the page -------------------------------------------------------------------------------------


URL = "/accounts/profile/data/"


def test_url_is_the_one_named():
    assert reverse("member_data") == URL


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_login(client, db, method):
    response = getattr(client, method)(URL)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_profile_page_links_to_my_data(client, world):
    page = client_for(client, world.subject).get(reverse("participants_profile")).content.decode()
    assert f'href="{URL}"' in page


def test_member_downloads_their_own_archive_only(client, world):
    client_for(client, world.subject)
    page = client.get(URL)
    assert page.status_code == 200 and "<form method=\"post\"" in page.content.decode()
    # Naming another person changes nothing: the view exports whoever is signed in.
    response = client.post(f"{URL}?user={world.other.pk}", {"user": world.other.pk, "email": world.other.email})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    text = _all_text(archive)
    assert "sujet@example.org" in text and world.other.email not in text
    assert ModelLogEntry.objects.filter(action=EXPORT_ACTION, object_id=str(world.subject.pk)).count() == 1


def test_other_member_gets_their_own_not_the_subjects(client, world):
    response = client_for(client, world.other).post(URL)
    text = _all_text(zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))))
    assert "sujet@example.org" not in text and "Proposition 0 du sujet" in text  # a title is not personal
    assert "Ma raison" not in text


def test_export_is_rate_limited(client, world, settings):
    settings.BEC_DATA_EXPORT_PER_HOUR = 2
    client_for(client, world.subject)
    assert [client.post(URL).status_code for _ in range(3)] == [200, 200, 429]
    assert ModelLogEntry.objects.filter(action=EXPORT_ACTION).count() == 2


def test_other_methods_are_refused(client, world):
    assert client_for(client, world.subject).put(URL).status_code == 405


def _link(message) -> str:
    line = next(line for line in message.body.splitlines() if "/accounts/profile/data/" in line)
    return "/" + line.strip().split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def background(settings, tmp_path):
    """Every account is « large »: the page builds in the background (immediate backend in tests)."""
    settings.BEC_DATA_EXPORT_BACKGROUND_ROWS = 3
    settings.BEC_DATA_EXPORT_DIR = tmp_path / "exports"
    return tmp_path / "exports"


def test_large_account_gets_an_emailed_link_that_only_they_can_open(client, world, background, make_person):
    client_for(client, world.subject)
    response = client.post(URL)
    assert response.status_code == 302 and response.url == URL
    [message] = mail.outbox
    assert message.to == ["sujet@example.org"]
    link = _link(message)
    [archive_file] = list(background.glob("*.zip"))
    # The member opens it.
    download = client.get(link)
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    text = _all_text(zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))))
    assert "sujet@example.org" in text and world.other.email not in text
    # Anyone else gets nothing: another member, an anonymous visitor, a tampered link.
    client.force_login(world.other)
    assert client.get(link).status_code == 410
    client.logout()
    assert client.get(link).status_code == 302
    client.force_login(world.subject)
    assert client.get(link[:-3] + "abc/").status_code == 410
    assert archive_file.is_file()
    assert ModelLogEntry.objects.filter(action=EXPORT_ACTION, data__via="background").count() == 1


def test_expired_links_answer_410_and_their_archives_are_deleted(client, world, background, settings):
    client_for(client, world.subject).post(URL)
    link = _link(mail.outbox[0])
    settings.BEC_DATA_EXPORT_LINK_HOURS = 0
    assert client.get(link).status_code == 410
    from commons.data_export import forget_old_archives

    assert forget_old_archives(now=__import__("time").time() + 1) == 1
    assert list(background.glob("*.zip")) == []


def test_a_small_account_is_not_sent_to_the_background(client, world, settings, tmp_path):
    settings.BEC_DATA_EXPORT_DIR = tmp_path / "exports"
    response = client_for(client, world.subject).post(URL)
    assert response.status_code == 200 and not mail.outbox and not (tmp_path / "exports").exists()


# --- the command ----------------------------------------------------------------------------------


def test_command_writes_the_same_archive(world, tmp_path):
    target = tmp_path / "sujet.zip"
    out = io.StringIO()
    call_command("export_member_data", "--email", "SUJET@example.org", "--output", str(target), stdout=out)
    archive = zipfile.ZipFile(target)
    assert sorted(archive.namelist()) == sorted(["donnees.json", *(f"{name}.csv" for name in SECTIONS)])
    assert "sujet@example.org" in _all_text(archive)
    printed = out.getvalue()
    assert f"Wrote {target}" in printed and "historique_des_votes.csv: 2 row(s)" in printed
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left
    assert ModelLogEntry.objects.filter(action=EXPORT_ACTION, data__via="command").count() == 1


def test_command_refuses_an_unknown_address(db, tmp_path):
    with pytest.raises(CommandError, match="No member has the address 'nobody@example.org'"):
        call_command("export_member_data", "--email", "nobody@example.org", "--output", str(tmp_path / "x.zip"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["missing-folder/x.zip", "."])
def test_command_refuses_an_unwritable_path(world, tmp_path, where):
    target = tmp_path / where
    with pytest.raises(CommandError, match="Cannot write|is a folder"):
        call_command("export_member_data", "--email", "sujet@example.org", "--output", str(target))
    assert not ModelLogEntry.objects.filter(action=EXPORT_ACTION).exists()


def test_command_refuses_a_folder_it_cannot_write(world):
    """/proc refuses new files even to root: the error is the command's message, not a traceback."""
    with pytest.raises(CommandError, match="Cannot write /proc/export.zip"):
        call_command("export_member_data", "--email", "sujet@example.org", "--output", "/proc/export.zip")


def test_command_options_are_required(db):
    with pytest.raises(CommandError):
        call_command("export_member_data", "--email", "sujet@example.org")


# --- the privacy page -----------------------------------------------------------------------------


def test_privacy_page_is_public_and_states_the_settings(client, db, settings):
    settings.BEC_INVITATION_DAYS = 9
    settings.BEC_DATA_EXPORT_PER_HOUR = 3
    settings.BEC_PRIVACY_CONTACT = "dpo@bec.example"
    page = client.get(reverse("privacy"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Données personnelles" in text
    assert "fonctionne 9 jours" in text and "3 archives" in text and "dpo@bec.example" in text
    assert "pseudonymes seulement" in text  # the « who sees what » table


def test_privacy_page_is_linked_from_every_page_footer(client, world):
    privacy = reverse("privacy")
    for url in ("/", reverse("participants_profile"), URL, privacy):
        page = client_for(client, world.subject).get(url).content.decode()
        footer = page[page.index('<footer class="site-footer'):]
        assert f'href="{privacy}"' in footer, url


def test_invitation_email_links_to_the_privacy_page(client, bureau, people):
    client_for(client, people["coordinator"]).post(
        bureau.url + "members/invite/",
        {"email": "invitee@example.org", "role": Role.MEMBER, "college": bureau.colleges.first().pk},
    )
    [message] = mail.outbox
    link = next(line for line in message.body.splitlines() if line.strip().endswith(reverse("privacy")))
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    client.logout()
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("token", ["x", "a:b:c", "é" * 20, "%00", "x" * 5000, "eyJ1IjoxfQ:1abc:def", "..%2F..%2Fetc"])
def test_hostile_download_links_are_refused_not_errors(client, world, background, token):
    response = client_for(client, world.subject).get(f"{URL}{token}/")
    assert response.status_code in (400, 404, 410)  # a NUL in the path is refused before the view (400)


def test_the_page_writes_the_row_limit_as_a_french_number(client, people, settings):
    """« 20 000 lignes », not « 20000 lignes »: numbers on the page follow the reader's language."""
    settings.BEC_DATA_EXPORT_MAX_ROWS = 20000
    client.force_login(people["member"])
    html = client.get("/accounts/profile/data/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "20\u202f000" in html or "20\xa0000" in html or "20&nbsp;000" in html, "no thousands separator"
    assert "20000" not in html
