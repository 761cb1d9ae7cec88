"""Erasure of an informant or a collective (issue 16, items 3–5): the material leaves every place it
lived, the published figures stay, a record without personal data remains.

The acceptance test plants a unique marker in every kind of material of the party — observation,
interview transcript, excerpt, memo, a quote in a published report (two revisions, both quoting it),
the recording file, a « Mes données » archive built before — then erases the party and looks for the
marker everywhere: every text and JSON column of every model, every table of the database (raw SQL,
so the search backend's own tables too), the media folder, the export folder, the search backend and
the public pages.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models
from django.test import Client
from wagtail.documents.models import Document as WagtailDocument
from wagtail.fields import StreamField
from wagtail.models import Collection, ModelLogEntry, Revision

from participants.models import Collective, ConsentForm, ConsentRecord, ConsentScope, Informant
from studies import erasure
from studies.models import (
    ErasureRecord,
    Excerpt,
    Interview,
    Memo,
    Observation,
    StudyReportPage,
)
from tests.conftest import client_for, count_queries
from tests.studies.report_helpers import code, coded_note, figure, make_report, quote

pytestmark = pytest.mark.django_db

MARKER = "zorblaxquintette"


# --- Where a marker could hide ---------------------------------------------------------------------


def _text_fields(model) -> list[str]:
    return [
        field.attname
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField, models.JSONField, StreamField))
    ]


def marker_in_models(marker: str) -> list[str]:
    """`model.field` of every row holding `marker` in a char, text or JSON column (every model)."""
    hits = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        names = _text_fields(model)
        if not names:
            continue
        for row in model._base_manager.values_list("pk", *names):
            for name, value in zip(names, row[1:], strict=True):
                if value is not None and marker.lower() in str(value).lower():
                    hits.append(f"{model._meta.label}.{name} (pk {row[0]})")
    return hits


def marker_in_tables(marker: str) -> list[str]:
    """Every table of the database, read with raw SQL (the search backend's tables included)."""
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor, include_views=False):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview):
                        value = bytes(value)
                    text = value.decode("utf-8", "ignore") if isinstance(value, bytes) else str(value)
                    if marker.lower() in text.lower():
                        hits.append(table)
                        break
    return sorted(set(hits))


def marker_in_files(folder: Path, marker: str) -> list[str]:
    """Files under `folder` whose name or bytes hold `marker` (inside ZIP archives too)."""
    hits = []
    needle = marker.encode()
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if marker in path.name or needle in data:
            hits.append(str(path))
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                if any(needle in archive.read(name) for name in archive.namelist()):
                    hits.append(f"{path} (in the archive)")
    return hits


def marker_in_search(marker: str) -> list[str]:
    """What the search backend returns for the marker, for every indexed model we own and pages."""
    from wagtail.models import Page
    from wagtail.search.backends import get_search_backend

    backend = get_search_backend()
    hits = []
    for model in (Observation, Interview, WagtailDocument, Page):
        found = list(backend.search(marker, model.objects.all()))
        hits += [f"{model._meta.label} {obj.pk}" for obj in found]
    return hits


def everywhere(marker: str, *folders: Path) -> dict[str, list[str]]:
    return {
        "models": marker_in_models(marker),
        "tables": marker_in_tables(marker),
        "files": [hit for folder in folders for hit in marker_in_files(folder, marker)],
        "search": marker_in_search(marker),
    }


# --- The world -------------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BEC_DATA_EXPORT_DIR = tmp_path / "exports"
    settings.MEDIA_ROOT.mkdir()
    return tmp_path


def _form(bureau, months=None) -> ConsentForm:
    form, _created = ConsentForm.objects.get_or_create(
        bureau=bureau,
        title="Consentement",
        version=1,
        defaults={"text": "Texte.", "retention_months": months},
    )
    return form


def _informant(collective, pseudonym="Camille", marker=MARKER) -> Informant:
    informant = Informant.objects.create(
        collective=collective, pseudonym=pseudonym, identifying_details=f"Camille Dupont {marker}"
    )
    ConsentRecord.objects.create(
        form=_form(collective.bureau), informant=informant, scopes=list(ConsentScope.values)
    )
    return informant


def _interview(study, informant, author, marker=MARKER, tag=None) -> Interview:
    recording = WagtailDocument.objects.create(
        title="Enregistrement",
        file=ContentFile(b"ID3\x03\x00 " + marker.encode() + b" sound", name="entretien.mp3"),
        collection=Collection.get_first_root_node(),
    )
    interview = Interview.objects.create(
        study=study,
        informant=informant,
        interviewer=author,
        title=f"Entretien {marker}",
        mode="video",
        transcript=f"Nous utilisons l'IA pour {marker} chaque semaine.",
        recording=recording,
    )
    text = interview.plain_text
    excerpt = Excerpt.objects.create(interview=interview, coder=author, start=0, end=len(text), text=text)
    if tag is not None:
        excerpt.codes.add(tag)
    Memo.objects.create(study=study, author=author, interview=interview, body=f"Mémo sur {marker}.")
    return interview


def _published_report_quoting(study, excerpt, author, slug="rapport-marque", comment="") -> StudyReportPage:
    """A published report whose two published revisions quote `excerpt`, plus a draft quoting it."""
    report = make_report(study, [figure(), quote(excerpt, comment)], user=author, slug=slug)
    StudyReportPage.objects.get(pk=report.pk).latest_revision.publish(skip_permission_checks=True)
    page = StudyReportPage.objects.get(pk=report.pk).get_latest_revision_as_object()
    page.body = [figure(), {"type": "text", "value": "Texte revu."}, quote(excerpt, comment)]
    page.save_revision(user=author).publish(skip_permission_checks=True)
    page = StudyReportPage.objects.get(pk=report.pk).get_latest_revision_as_object()
    page.summary = "Brouillon suivant."
    page.save_revision(user=author)
    return StudyReportPage.objects.get(pk=report.pk)


def _archive_built_before(member) -> None:
    from commons.data_export import build_and_send_link

    build_and_send_link(member.pk)


def _frozen(report) -> list[dict]:
    revisions = Revision.objects.filter(object_id=str(report.pk), base_content_type__model="page").order_by(
        "pk"
    )
    return [revision.content.get("frozen_figures") for revision in revisions]


# --- The acceptance test ---------------------------------------------------------------------------


def test_an_erased_informant_leaves_no_trace_and_the_figures_stay(
    bureau, study, people, make_collective, media, django_capture_on_commit_callbacks
):
    collective = make_collective(bureau, "Les Ateliers")
    informant = _informant(collective)
    tag = code(study)
    interview = _interview(study, informant, people["member"], tag=tag)
    excerpt = interview.excerpts.get()
    other = coded_note(study, collective, people["member"], tag, "Une note qui reste.")
    # The team's comment under the quote repeats the informant's words: it lives in every revision.
    report = _published_report_quoting(study, excerpt, people["member"], comment=f"Elle dit « {MARKER} ».")
    _archive_built_before(people["member"])
    public = Client()
    assert MARKER in public.get(report.url).content.decode()
    before = everywhere(MARKER, media)
    assert before["files"] and before["search"] and before["models"]  # the marker was planted for real
    assert sum("wagtailcore.Revision.content" in hit for hit in before["models"]) == 3
    figures_before = _frozen(report)
    live_figures = StudyReportPage.objects.get(pk=report.pk).frozen_figures

    with django_capture_on_commit_callbacks(execute=True):
        record = erasure.erase(informant, by=people["coordinator"])

    assert everywhere(MARKER, media) == {"models": [], "tables": [], "files": [], "search": []}
    for path in ("", "v/1/", "v/2/", "versions/"):
        response = public.get(report.url + path)
        assert response.status_code == 200 and MARKER not in response.content.decode()
    # The quote left every stored revision (three: two published and a draft) and the live page.
    revisions = Revision.objects.filter(object_id=str(report.pk), base_content_type__model="page")
    assert revisions.count() == 3
    for revision in revisions:
        assert f'"excerpt": {excerpt.pk}' not in revision.content["body"]
        assert '"excerpt": null' in revision.content["body"]
    assert record.counts["revisions"] == 3 and record.counts["quotes"] == 1
    # Published figures keep their numbers, and say they predate a withdrawal.
    assert _frozen(report) == figures_before
    assert StudyReportPage.objects.get(pk=report.pk).frozen_figures == live_figures
    html = public.get(report.url).content.decode()
    assert "antérieurs à un retrait" in html
    # The rest of the collective's material stays; the informant and their rows are gone.
    assert Observation.objects.filter(pk=other.observation_id).exists()
    assert Collective.objects.filter(pk=collective.pk).exists()
    assert not Informant.objects.filter(pk=informant.pk).exists()
    assert not Interview.objects.exists() and not WagtailDocument.objects.exists()
    assert not ConsentRecord.objects.filter(informant_id=informant.pk).exists()
    # The record: kind, counts, who, when — nothing personal; and one audit-log entry.
    assert record.party_kind == "informant" and record.erased_by == people["coordinator"]
    assert record.counts == {
        "observations": 0,
        "interviews": 1,
        "recordings": 1,
        "excerpts": 1,
        "memos": 1,
        "quotes": 1,
        "revisions": 3,
        "informants": 0,
        "consents": 1,
        "assessments": 0,
        "evidence": 0,
    }
    assert list(record.reports.all()) == [StudyReportPage.objects.get(pk=report.pk)]
    entry = ModelLogEntry.objects.get(action="bec.erasure")
    assert entry.user_id == people["coordinator"].pk and entry.data["counts"] == record.counts
    assert "Camille" not in str(entry.data) and "Camille" not in entry.label


def test_an_erased_collective_takes_its_observations_and_informants(
    bureau, study, people, make_collective, media, django_capture_on_commit_callbacks
):
    collective = make_collective(bureau, f"Collectif {MARKER}")
    kept = make_collective(bureau, "Collectif qui reste")
    tag = code(study)
    note = coded_note(study, collective, people["member"], tag, f"Ils écrivent avec {MARKER} tous les jours.")
    Memo.objects.create(
        study=study, author=people["member"], observation=note.observation, body=f"Vu {MARKER}."
    )
    _interview(study, _informant(collective), people["member"], tag=tag)
    staying = coded_note(study, kept, people["member"], tag, "Rien à voir.")
    report = _published_report_quoting(study, note, people["member"])
    figures_before = _frozen(report)
    assert marker_in_search(MARKER)

    with django_capture_on_commit_callbacks(execute=True):
        record = erasure.erase(collective, by=people["coordinator"])

    assert everywhere(MARKER, media) == {"models": [], "tables": [], "files": [], "search": []}
    assert "Collectif" not in str(record.counts) and record.party_kind == "collective"
    assert record.counts["observations"] == 1 and record.counts["interviews"] == 1
    assert record.counts["informants"] == 1 and record.counts["excerpts"] == 2 and record.counts["memos"] == 2
    assert record.counts["consents"] == 2
    assert not Collective.objects.filter(pk=collective.pk).exists()
    assert Excerpt.objects.filter(pk=staying.pk).exists()
    assert _frozen(report) == figures_before


def test_a_failure_changes_nothing_and_says_why(
    bureau, study, people, make_collective, media, monkeypatch, django_capture_on_commit_callbacks
):
    collective = make_collective(bureau)
    informant = _informant(collective)
    interview = _interview(study, informant, people["member"])
    excerpt = interview.excerpts.get()
    report = _published_report_quoting(study, excerpt, people["member"])
    bodies = [r.content["body"] for r in Revision.objects.filter(object_id=str(report.pk)).order_by("pk")]

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ErasureRecord.objects, "create", broken)
    with pytest.raises(erasure.ErasureError) as failed, django_capture_on_commit_callbacks(execute=True):
        erasure.erase(informant, by=people["coordinator"])
    assert "nothing was erased" in str(failed.value) or "rien n'a été effacé" in str(failed.value)
    assert (
        Interview.objects.filter(pk=interview.pk).exists()
        and Informant.objects.filter(pk=informant.pk).exists()
    )
    assert [
        r.content["body"] for r in Revision.objects.filter(object_id=str(report.pk)).order_by("pk")
    ] == bodies
    assert marker_in_files(media, MARKER)  # the recording is still there
    assert not ErasureRecord.objects.exists()


# --- The pages ------------------------------------------------------------------------------------


def _erase_url(study, kind, pk) -> str:
    return study.url + study.reverse_subpage(f"erase_{kind}", args=[pk])


def test_the_confirmation_lists_what_will_go_and_get_changes_nothing(
    client, bureau, study, people, make_collective, media
):
    collective = make_collective(bureau)
    informant = _informant(collective)
    _interview(study, informant, people["member"])
    response = client_for(client, people["coordinator"]).get(_erase_url(study, "informant", informant.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Camille" in html and "Effacer définitivement" in html
    assert "Enregistrements : <strong>1</strong>" in html and "Citations dans les rapports : <strong>0" in html
    assert "Entretiens : <strong>1</strong>" in html and "Mémos : <strong>1</strong>" in html
    assert Interview.objects.count() == 1 and Informant.objects.filter(pk=informant.pk).exists()
    # A POST without the confirmation field erases nothing.
    response = client.post(_erase_url(study, "informant", informant.pk), {})
    assert response.status_code == 400 and Interview.objects.count() == 1


def test_a_coordinator_erases_from_the_study_and_the_team_sees_the_record(
    client, bureau, study, people, make_collective, media, django_capture_on_commit_callbacks
):
    collective = make_collective(bureau, "Nom réel du collectif")
    coded_note(study, collective, people["member"], code(study), "Une note.")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(client, people["coordinator"]).post(
            _erase_url(study, "collective", collective.pk), {"confirm": "erase", "reason": "retention"}
        )
    assert response.status_code == 302
    assert not Collective.objects.filter(pk=collective.pk).exists()
    record = ErasureRecord.objects.get()
    assert record.reason == "retention" and list(record.studies.all()) == [study]
    page = client_for(Client(), people["observer"]).get(study.url + "erasures/")
    html = page.content.decode()
    assert page.status_code == 200 and "collectif" in html and "observations : 1" in html.replace("\xa0", " ")
    assert "Nom réel du collectif" not in html and "Effacer…" not in html  # observers: the record only


@pytest.mark.parametrize("who", ["member", "observer", "other_member", "outsider"])
def test_only_the_bureaus_coordinators_erase(
    client, bureau, study, people, make_collective, make_person, who
):
    collective = make_collective(bureau)
    coded_note(study, collective, people["member"], code(study), "Une note.")
    user = make_person() if who == "outsider" else people[who]
    client_for(client, user)
    for method in ("get", "post"):
        response = getattr(client, method)(
            _erase_url(study, "collective", collective.pk), {"confirm": "erase"}
        )
        assert response.status_code == (403 if who in ("member", "observer") else 404)
    assert Collective.objects.filter(pk=collective.pk).exists() and not ErasureRecord.objects.exists()


def test_an_unknown_or_foreign_party_is_a_404(client, bureau, other_bureau, study, people, make_collective):
    foreign = make_collective(other_bureau)
    client_for(client, people["coordinator"])
    assert client.get(_erase_url(study, "collective", 999_999)).status_code == 404
    assert client.post(_erase_url(study, "collective", foreign.pk), {"confirm": "erase"}).status_code == 404
    assert client.get(_erase_url(study, "informant", 999_999)).status_code == 404
    assert Collective.objects.filter(pk=foreign.pk).exists()


def test_the_admin_confirmation_is_for_the_bureaus_coordinators(
    client, bureau, other_bureau, study, people, make_collective, media, django_capture_on_commit_callbacks
):
    collective = make_collective(bureau)
    informant = _informant(collective)
    url = f"/admin/erase/informant/{informant.pk}/"
    assert client_for(Client(), people["other_member"]).get(url).status_code == 404
    assert client_for(Client(), people["member"]).get(url).status_code in (302, 404)  # no admin rights here
    coordinator = client_for(client, people["coordinator"])
    listing = coordinator.get("/admin/snippets/participants/informant/")
    assert listing.status_code == 200 and url in listing.content.decode()
    assert coordinator.get(url).status_code == 200
    assert coordinator.get("/admin/erase/informant/999999/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(url, {"confirm": "erase"})
    assert response.status_code == 302 and not Informant.objects.filter(pk=informant.pk).exists()


def _material(bureau, study, people, make_collective, n: int) -> None:
    tag = code(study, f"code-{n}")
    for i in range(n):
        collective = make_collective(bureau, f"Collectif {n}-{i}")
        coded_note(study, collective, people["member"], tag, f"Note {i}.")
        informant = _informant(collective, f"Personne {i}")
        _interview(study, informant, people["member"], marker=f"m{i}", tag=tag)
        ErasureRecord.objects.create(
            bureau=bureau,
            party_kind="collective",
            erased_by=people["coordinator"],
            counts={"observations": i},
        )


def test_query_counts_do_not_grow_with_the_material(client, bureau, study, people, make_collective, media):
    client_for(client, people["coordinator"])
    _material(bureau, study, people, make_collective, 1)
    first = Collective.objects.order_by("pk").first()
    small = (
        count_queries(client, study.url + "erasures/"),
        count_queries(client, _erase_url(study, "collective", first.pk)),
    )
    _material(bureau, study, people, make_collective, 5)
    for collective in Collective.objects.exclude(pk=first.pk):
        coded_note(study, first, people["member"], code(study, f"x{collective.pk}"), "Encore.")
    large = (
        count_queries(client, study.url + "erasures/"),
        count_queries(client, _erase_url(study, "collective", first.pk)),
    )
    assert large == small


# --- Retention -------------------------------------------------------------------------------------


def test_retention_due_lists_parties_past_their_period(bureau, study, people, make_collective, make_study):
    ConsentForm.objects.create(bureau=bureau, title="Court", version=1, text="T.", retention_months=6)
    collective = make_collective(bureau, "Ancien")
    ConsentRecord.objects.filter(collective=collective).update(form=ConsentForm.objects.get(title="Court"))
    coded_note(study, collective, people["member"], code(study), "Note.")
    assert erasure.retention_due(today=date(2030, 1, 1)) == []  # the study has no end date
    study.ends_on = date(2025, 1, 31)
    study.save(update_fields=["ends_on"])
    (due,) = erasure.retention_due(today=date(2025, 8, 1))
    assert due.party == collective and due.due_on == date(2025, 7, 31) and due.months == 6
    assert erasure.retention_due(today=date(2025, 7, 30)) == []
    # Material in a study that has not ended keeps the whole party.
    running = make_study(bureau)
    coded_note(running, collective, people["member"], code(running), "Encore en cours.")
    assert erasure.retention_due(today=date(2026, 1, 1)) == []


def test_retention_due_command_and_page(client, bureau, study, people, make_collective):
    form = ConsentForm.objects.create(bureau=bureau, title="Court", version=1, text="T.", retention_months=1)
    collective = make_collective(bureau)
    ConsentRecord.objects.filter(collective=collective).update(form=form)
    coded_note(study, collective, people["member"], code(study), "Note.")
    study.ends_on = date(2020, 1, 1)
    study.save(update_fields=["ends_on"])
    out = io.StringIO()
    call_command("retention_due", stdout=out)
    assert collective.code in out.getvalue() and "2020-02-01" in out.getvalue()
    html = client_for(client, people["coordinator"]).get(study.url + "erasures/").content.decode()
    assert "Dépassent leur durée de conservation" in html
    # Pseudonyms only, even for coordinators: the list names collectives by their code.
    assert collective.code in html and collective.name not in html
    assert _erase_url(study, "collective", collective.pk) + "?reason=retention" in html
    out = io.StringIO()
    ConsentForm.objects.update(retention_months=None)
    call_command("retention_due", stdout=out)
    assert "Nothing is past" in out.getvalue()


# --- The command ----------------------------------------------------------------------------------


def test_erase_command_prints_asks_and_erases(bureau, study, people, make_collective, media, monkeypatch):
    collective = make_collective(bureau)
    informant = _informant(collective)
    _interview(study, informant, people["member"])
    out = io.StringIO()
    monkeypatch.setattr("builtins.input", lambda prompt: "non")
    with pytest.raises(CommandError, match="Not confirmed"):
        call_command("erase", informant=informant.pk, stdout=out)
    assert "entretiens: 1" in out.getvalue() and Informant.objects.filter(pk=informant.pk).exists()
    out = io.StringIO()
    call_command("erase", informant=informant.pk, yes=True, stdout=out)
    assert "Erased informant" in out.getvalue() and not Informant.objects.filter(pk=informant.pk).exists()
    record = ErasureRecord.objects.get()
    assert record.erased_by is None and record.counts["interviews"] == 1


def test_erase_command_refuses_unknown_ids(db):
    for option in ("informant", "collective"):
        with pytest.raises(CommandError, match="No .* has the id 424242"):
            call_command("erase", **{option: 424242, "yes": True})
    with pytest.raises(CommandError):
        call_command("erase", "--yes")  # no party named


# --- The demo --------------------------------------------------------------------------------------


def test_the_demo_has_retention_periods_and_one_erasure(client, media):
    from studies.demo_erasure import RETENTION_MONTHS, STUDY_ENDS_ON, WITHDRAWN

    call_command("bec_demo", stdout=io.StringIO())
    call_command("bec_demo", stdout=io.StringIO())  # idempotent
    record = ErasureRecord.objects.get()
    assert record.party_kind == "collective" and record.counts["observations"] == 1
    assert record.erased_by.email == "camille.martin@bec-demo.fr"
    assert not Collective.objects.filter(name=WITHDRAWN["name"]).exists()
    assert set(ConsentForm.objects.values_list("retention_months", flat=True)) == {RETENTION_MONTHS}
    from studies.models import StudyPage

    study = StudyPage.objects.get(slug="usages-ia-generative")
    assert study.ends_on == STUDY_ENDS_ON
    assert study.get_latest_revision_as_object().ends_on == STUDY_ENDS_ON
    client.force_login(record.erased_by)
    html = client.get(study.url + "erasures/").content.decode()
    assert "Camille Martin" in html and WITHDRAWN["name"] not in html
    from html import unescape

    assert "24 mois après la fin de l'étude" in unescape(html) and "30 juin 2027" in html
    assert marker_in_models("Repair Café des Pentes") == []


def test_an_informant_is_due_on_their_own_form_and_their_collective_covers_them(
    bureau, study, people, make_collective, media
):
    collective = make_collective(bureau)  # its form states no period: the collective is never due
    informant = _informant(collective)
    _interview(study, informant, people["member"])
    ConsentForm.objects.filter(records__informant=informant).update(retention_months=12)
    ConsentRecord.objects.filter(collective=collective).update(
        form=ConsentForm.objects.create(bureau=bureau, title="Sans durée", version=1, text="T.")
    )
    study.ends_on = date(2024, 2, 29)
    study.save(update_fields=["ends_on"])
    (due,) = erasure.retention_due(today=date(2025, 3, 1))
    assert due.kind == "informant" and due.party == informant and due.due_on == date(2025, 2, 28)
    # Once the collective's own form states a period that has run, the collective is listed instead.
    ConsentForm.objects.filter(title="Sans durée").update(retention_months=1)
    (due,) = erasure.retention_due(today=date(2025, 3, 1))
    assert due.kind == "collective" and due.party == collective
