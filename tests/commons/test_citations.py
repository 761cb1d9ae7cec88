"""Citations in the bureau's Markdown texts (issue 18, part 2): ``[@key]`` formatted by citeproc-py in
the bureau's style (author–date or numeric, French locale), a reference list at the end, unknown
keys shown as such, and every bit of it through `commons.markup`'s sanitiser."""

from __future__ import annotations

import pytest

from commons import actions
from commons.library.citations import Citer, cited_keys
from commons.library.formats import record_of, to_csl
from commons.markup import render_markdown, render_references, render_with_references
from commons.models import DecisionRule, Reference
from commons.models.governance import Method

DUPONT = {"key": "dupont2023", "kind": "article-journal", "title": "L'IA générative au travail (exemple)",
          "year": 2023, "authors": [{"family": "Dupont", "given": "Marie"}, {"family": "Leroy", "given": "Paul"}],
          "container": "Revue d'exemple", "volume": "4", "pages": "10–20"}
OBS = {"key": "obs2020", "kind": "report", "title": "Rapport d'exemple", "year": 2020,
       "authors": [{"literal": "Observatoire d'exemple"}], "publisher": "Observatoire d'exemple"}


def _citer(style: str, *records: dict, text: str = "") -> Citer:
    items = {}
    for record in records:
        full = {name: "" for name in ("container", "volume", "issue", "pages", "publisher", "doi", "url",
                                      "abstract", "language")} | record
        items[record["key"].lower()] = to_csl(full)
    citer = Citer(style=style, items=items)
    citer.register(text)
    return citer


TEXT = "Comme le montrent [@dupont2023, p. 12] et [@obs2020; @dupont2023], puis [@inconnu2000]."


def test_author_date_style_in_french():
    citer = _citer("author-date", DUPONT, OBS, text=TEXT)
    html = str(render_markdown(TEXT, citer))
    assert "(Dupont et Leroy, 2023, p. 12)" in html
    assert "(Observatoire d'exemple, 2020; Dupont et Leroy, 2023)" in html
    assert '<a class="citation" href="#ref-dupont2023"' in html
    references = str(render_references(citer))
    assert '<div class="references"><h2>Références</h2>' in references
    assert '<li id="ref-dupont2023">Dupont, M. et Leroy, P. (2023) «\xa0L\'IA générative' in references
    assert "<i>Revue d'exemple</i>, 4, p. 10" in references
    assert references.index("ref-dupont2023") < references.index("ref-obs2020")


def test_numeric_style_numbers_in_order_of_appearance():
    citer = _citer("numeric", DUPONT, OBS, text=TEXT)
    html = str(render_markdown(TEXT, citer))
    assert ">[1, p. 12]</a>" in html and ">[1, 2]</a>" in html
    references = str(render_references(citer))
    assert "[1] Dupont M. et Leroy P., «\xa0L'IA générative" in references
    assert "<i>Revue d'exemple</i>, vol. 4, 2023" in references
    assert references.index("[1] Dupont") < references.index("[2] Observatoire")


def test_an_unknown_key_is_shown_as_such_never_an_error():
    citer = _citer("numeric", DUPONT, text=TEXT)
    html = str(render_markdown(TEXT, citer))
    assert '<em class="citation-unknown" title="référence inconnue">[@inconnu2000 ?]</em>' in html
    assert "[@obs2020 ?]" in html  # in a group whose other key is known


def test_code_is_not_cited_and_nothing_unsafe_gets_through():
    hostile = dict(DUPONT, title='<script>alert(1)</script><img src=x onerror=alert(2)>')
    text = "`[@dupont2023]` et [@dupont2023] et [@<b onclick=x>]"
    citer = _citer("author-date", hostile, text=text)
    html = str(render_markdown(text, citer)) + str(render_references(citer))
    assert "<code>[@dupont2023]</code>" in html
    assert "<script" not in html and "onerror" not in html and "onclick" not in html and "<img" not in html


def test_without_citer_the_text_is_left_as_written():
    assert "[@dupont2023]" in str(render_markdown("Voir [@dupont2023]."))
    assert cited_keys("[@A; @b, p. 2] [@c]") == ["a", "b", "c"]


@pytest.mark.django_db
def test_a_proposal_stores_its_citations_and_their_list(bureau, people):
    Reference.objects.create(bureau=bureau, **DUPONT)
    rule = DecisionRule.objects.create(bureau=bureau, name="Majorité", method=Method.MAJORITY, is_default=True)
    proposal = actions.create_proposal(bureau, people["member"], title="Lire", body="Lisons [@dupont2023].",
                                       rule=rule)
    assert "(Dupont et Leroy, 2023)" in proposal.body_html
    assert 'id="ref-dupont2023"' in proposal.body_html
    bureau.citation_style = "numeric"
    bureau.save()
    proposal.bureau.citation_style = "numeric"
    proposal.save()
    assert "[1]" in proposal.body_html


@pytest.mark.django_db
def test_citer_for_bureau_reads_only_the_cited_references_in_one_query(bureau, django_assert_num_queries):
    Reference.objects.create(bureau=bureau, **DUPONT)
    Reference.objects.create(bureau=bureau, **OBS)
    with django_assert_num_queries(1):
        citer = Citer.for_bureau(bureau, ["Voir [@DUPONT2023]."])
    assert set(citer.items) == {"dupont2023"}
    assert "Dupont" in str(render_with_references("Voir [@DUPONT2023].", citer))
    assert record_of(Reference.objects.get(key="obs2020"))["publisher"] == "Observatoire d'exemple"
