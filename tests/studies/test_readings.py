"""Readings and citations in the studies (issue 18): a reference read and coded like the field material,
shown in the analysis as its own kind; reports and protocols citing the bureau's library."""

from __future__ import annotations

import pytest
from django.utils.html import escape
from django.utils.http import urlencode

from commons.models import Reference
from studies.analysis import frequencies
from studies.analysis.filters import scope_for
from studies.models import Excerpt, Reading, StudyReportPage
from tests.conftest import client_for, count_queries
from tests.studies.report_helpers import code, make_report

pytestmark = pytest.mark.django_db

ABSTRACT = "Un résumé d'exemple : les bénévoles rédigent avec un assistant."


def _reference(bureau, key: str = "dupont2023", **fields) -> Reference:
    values = {"title": "L'IA au travail associatif (exemple)", "year": 2023, "abstract": ABSTRACT,
              "authors": [{"family": "Dupont", "given": "Marie"}], "container": "Revue d'exemple"} | fields
    return Reference.objects.create(bureau=bureau, key=key, **values)


def _url(page, name: str, *args) -> str:
    return page.url + page.reverse_subpage(name, args=list(args))


def test_a_reading_starts_from_the_abstract_and_is_coded(client, bureau, study, people):
    reference = _reference(bureau)
    client_for(client, people["member"])
    response = client.post(_url(study, "reading_create"), {"reference": reference.pk, "notes": ""})
    assert response.status_code == 302
    reading = Reading.objects.get(study=study)
    assert reading.plain_text == ABSTRACT and reading.title.startswith("Dupont (2023)")
    tag = code(study, "rédaction")
    response = client.post(_url(study, "reading_excerpt_create", reading.pk),
                           {"start": 0, "end": 16, "codes": [tag.pk], "version": reading.version})
    assert response.status_code == 302, response.content.decode()[:500]
    excerpt = Excerpt.objects.get(reading=reading)
    assert excerpt.text == ABSTRACT[:16] and list(excerpt.codes.all()) == [tag]
    page = client.get(_url(study, "reading_detail", reading.pk)).content.decode()
    assert "[@dupont2023]" in page and "rédaction" in page
    # The bureau's library names the study's reading and the codes used there.
    detail = client.get(bureau.url + bureau.reverse_subpage("reference_detail", args=[reference.pk]))
    assert escape(study.title) in detail.content.decode() and "rédaction" in detail.content.decode()


def test_a_reference_already_read_cannot_be_read_twice_and_other_bureaus_are_not_offered(
    client, bureau, other_bureau, study, people
):
    reference = _reference(bureau)
    foreign = _reference(other_bureau, key="ailleurs2020")
    Reading.objects.create(study=study, reference=reference, title="x", notes="x")
    client_for(client, people["member"])
    for target in (reference, foreign):
        response = client.post(_url(study, "reading_create"), {"reference": target.pk, "notes": ""})
        assert response.status_code == 400
    assert Reading.objects.count() == 1


def test_editing_the_notes_reanchors_and_refuses_a_stale_save(client, bureau, study, people):
    reading = Reading.objects.create(study=study, reference=_reference(bureau), title="x", notes="> " + ABSTRACT)
    excerpt = Excerpt.objects.create(reading=reading, start=0, end=6, text=ABSTRACT[:6], coder=people["member"])
    client_for(client, people["member"])
    url = _url(study, "reading_edit", reading.pk)
    response = client.post(url, {"notes": "Avant. " + "\n\n> " + ABSTRACT, "version": 1})
    assert response.status_code == 302
    excerpt.refresh_from_db()
    assert (excerpt.start, excerpt.needs_review) == (len("Avant.\n\n"), False)
    stale = client.post(url, {"notes": "Écrasé.", "version": 1})
    assert stale.status_code == 409
    assert "Avant." in Reading.objects.get(pk=reading.pk).notes


def test_the_analysis_shows_readings_as_their_own_kind(client, bureau, study, people):
    reading = Reading.objects.create(study=study, reference=_reference(bureau), title="x", notes=ABSTRACT)
    tag = code(study, "rédaction")
    Excerpt.objects.create(reading=reading, start=0, end=6, text=ABSTRACT[:6], coder=people["member"]).codes.add(tag)
    from django.http import QueryDict

    _form, scope = scope_for(study, QueryDict("kind=readings"))
    rows, sources = frequencies.table(scope)
    row = next(r for r in rows if r.code == tag)
    assert (row.own.readings, row.own.excerpts, sources) == (1, 1, 1)
    _form, field_only = scope_for(study, QueryDict(""))
    assert next(r for r in frequencies.table(field_only)[0] if r.code == tag).own.excerpts == 0
    # A filter on the field (a collective, a date) leaves the readings out instead of failing.
    _form, none = scope_for(study, QueryDict("kind=readings&date_from=2020-01-01"))
    assert not none.excerpts().exists()
    client_for(client, people["observer"])
    for name in ("analysis_codes", "analysis_segments", "analysis_cooccurrence", "analysis_time", "analysis_crosstab"):
        response = client.get(_url(study, name) + "?" + urlencode({"kind": "readings"}))
        assert response.status_code == 200, name
    segments = client.get(_url(study, "analysis_segments") + "?kind=readings").content.decode()
    assert ABSTRACT[:6] in segments


# --- Citations in reports and protocols -----------------------------------------------------------


def _publish(report) -> StudyReportPage:
    revision = StudyReportPage.objects.get(pk=report.pk).latest_revision
    revision.publish(skip_permission_checks=True)
    return StudyReportPage.objects.get(pk=report.pk)


@pytest.mark.parametrize(("style", "cited"), [("author-date", "(Dupont, 2023, p. 4)"), ("numeric", "[1, p. 4]")])
def test_a_report_cites_with_one_reference_list_at_the_end(client, bureau, study, people, style, cited):
    bureau.citation_style = style
    bureau.save()
    _reference(bureau)
    _reference(bureau, key="martin2021", title="Un autre exemple", year=2021,
               authors=[{"family": "Martin", "given": "Luc"}])
    report = _publish(make_report(study, [
        {"type": "text", "value": "Premier constat [@dupont2023, p. 4]."},
        {"type": "heading", "value": "Suite"},
        {"type": "text", "value": "Puis [@martin2021] et [@absent1999]."},
    ], user=people["member"]))
    page = client.get(report.url).content.decode()
    assert cited in page
    assert '<em class="citation-unknown" title="référence inconnue">[@absent1999 ?]</em>' in page
    references = page[page.index('id="references"'):]
    assert "Références" in references and 'id="ref-dupont2023"' in references and 'id="ref-martin2021"' in references
    assert page.index("Puis") < page.index('id="references"')  # at the end of the report
    if style == "numeric":
        assert "[2]" in page and references.index("[1] Dupont") < references.index("[2] Martin")


def test_a_report_page_reads_no_reference_whatever_the_library_size(client, bureau, study, people):
    """Citations are frozen with the revision: the page's queries do not depend on the library."""
    counts = []
    for n in (1, 30):
        for i in range(Reference.objects.count(), n):
            _reference(bureau, key=f"ref{i}", title=f"Titre {i}")
        body = [{"type": "text", "value": " ".join(f"[@ref{i}]" for i in range(n)) + " [@dupont2023]"}]
        report = _publish(make_report(study, body, user=people["member"], slug=f"rapport-{n}"))
        counts.append(count_queries(client, report.url))
    assert counts[0] == counts[1]


def test_the_protocol_cites_the_library(client, bureau, study, people, make_protocol):
    _reference(bureau)
    protocol = make_protocol(study, user=people["coordinator"],
                             objectives="<p>Prolonger [@dupont2023, chap. 2] et [@nulle2000].</p>")
    page = client.get(protocol.url).content.decode()
    assert "(Dupont, 2023, chap. 2)" in page
    assert "[@nulle2000 ?]" in page and 'id="ref-dupont2023"' in page
    small = count_queries(client, protocol.url)
    for i in range(30):
        _reference(bureau, key=f"autre{i}", title=f"Autre {i}")
    assert count_queries(client, protocol.url) == small


def test_the_reading_list_query_count_does_not_grow(client, bureau, study, people):
    client_for(client, people["observer"])
    url = _url(study, "reading_list")

    def add(n: int) -> None:
        for i in range(Reading.objects.count(), Reading.objects.count() + n):
            reading = Reading.objects.create(study=study, reference=_reference(bureau, key=f"k{i}"), title=f"L{i}",
                                             notes=ABSTRACT)
            Excerpt.objects.create(reading=reading, start=0, end=3, text=ABSTRACT[:3])

    add(2)
    small = count_queries(client, url)
    add(20)
    assert count_queries(client, url) == small
    assert "L21" in client.get(url).content.decode()


def test_the_study_context_cites_the_library(bureau, study):
    _reference(bureau)
    study.context = "Voir [@dupont2023]."
    study.save()
    assert "(Dupont, 2023)" in study.context_html and 'id="ref-dupont2023"' in study.context_html


def test_an_import_refreshes_a_cached_protocol_page(client, bureau, study, people, make_protocol, settings):
    """The protocol cites per view and is cached for anonymous visitors: a new reference shows at once."""
    from commons.library.importing import apply_import, plan_import

    settings.BEC_PAGE_CACHE = True
    protocol = make_protocol(study, user=people["coordinator"], objectives="<p>Voir [@neuf2025] [@autre2024].</p>")
    assert "[@neuf2025 ?]" in client.get(protocol.url).content.decode()
    Reference.objects.bulk_create([Reference(bureau=bureau, key="autre2024", title="Autre", year=2024)])  # no signal
    assert "[@autre2024 ?]" in client.get(protocol.url).content.decode()  # the cached copy
    apply_import(bureau, plan_import(bureau, "bibtex", "@book{neuf2025, title={Neuf (exemple)}, author={Neuf, Ana}, year=2025}"))
    page = client.get(protocol.url).content.decode()
    assert "(Neuf, 2025)" in page and "[@autre2024 ?]" not in page


# --- Deleting a reference ---------------------------------------------------------------------------


def test_deleting_a_reference_asks_first_and_names_the_texts_citing_it(client, bureau, study, people,
                                                                        make_protocol):
    from commons import actions

    reference = _reference(bureau)
    Reading.objects.create(study=study, reference=reference, title="Lecture", notes="Rien de codé.")
    make_report(study, [{"type": "text", "value": "Voir [@DUPONT2023, p. 4]."}], user=people["member"])
    make_protocol(study, user=people["coordinator"], objectives="<p>Prolonger [@dupont2023].</p>")
    proposal = actions.create_proposal(bureau, people["member"], title="Citer Dupont", body="Selon [@dupont2023].")
    actions.create_proposal(bureau, people["member"], title="Autre clé", body="Selon [@dupont2023x].")
    client_for(client, people["member"])
    url = _url(bureau, "reference_delete", reference.pk)
    assert f'href="{url}"' in client.get(_url(bureau, "reference_detail", reference.pk)).content.decode()
    page = client.get(url).content.decode()
    assert "Confirmez-vous ?" in page and Reference.objects.filter(pk=reference.pk).exists()
    for label in ("le rapport «", "le protocole «", escape(f"« {proposal.title} »")):
        assert label in page, label
    assert "Autre clé" not in page and "référence inconnue" in page
    response = client.post(url)
    assert response.status_code == 302
    assert not Reference.objects.filter(pk=reference.pk).exists() and not Reading.objects.filter(study=study).exists()


def test_a_reference_whose_reading_is_coded_is_not_deleted(client, bureau, study, people):
    reference = _reference(bureau)
    reading = Reading.objects.create(study=study, reference=reference, title="Lecture", notes=ABSTRACT)
    Excerpt.objects.create(reading=reading, start=0, end=5, text=ABSTRACT[:5])
    client_for(client, people["coordinator"])
    url = _url(bureau, "reference_delete", reference.pk)
    for method in (client.get, client.post):
        response = method(url, follow=True)
        page = response.content.decode()
        assert response.status_code == 200 and "extraits codés" in page and escape(study.title) in page
    assert Reference.objects.filter(pk=reference.pk).exists() and Excerpt.objects.filter(reading=reading).exists()
