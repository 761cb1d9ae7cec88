"""The analysis tables' cache (`studies.analysis.cache`): a repeated page is served from it, and no
cached figure outlives a consent withdrawal (even one written with a bare ``update()``, which sends
no signal) or an edit of the material. Query counts of the uncached path at two data sizes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from studies.analysis import cooccurrence, crosstab, frequencies, timeline
from studies.analysis.cache import new_generation
from studies.analysis.filters import scope_for
from studies.models import Excerpt
from tests.conftest import client_for

from .analysis_data import build_study, withdraw

pytestmark = pytest.mark.django_db


def url(study, name: str, query: str = "") -> str:
    return study.url + study.reverse_subpage(name) + (f"?{query}" if query else "")


def fresh(study, query: str = ""):
    return scope_for(study, QueryDict(query))[1]


def shown_codes(response) -> list[tuple]:
    return [(row.code.pk, row.own, row.rolled) for row in response.context["rows"]]


def computed_codes(study) -> list[tuple]:
    return [(row.code.pk, row.own, row.rolled) for row in frequencies.table(fresh(study))[0]]


def queries(client, address: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(address).status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def world(bureau, study, make_person, make_collective):
    return build_study(bureau, study, make_person, make_collective)


def test_a_repeated_page_is_served_from_the_cache(client, people, world):
    client_for(client, people["member"])
    address = url(world.study, "analysis_codes")
    client.get(address)  # warm-up: per-process caches, and the table is computed
    cold_after_new_generation = (new_generation(), queries(client, address))[1]
    warm = queries(client, address)
    assert warm < cold_after_new_generation
    assert shown_codes(client.get(address)) == computed_codes(world.study)


def test_a_withdrawal_without_any_signal_leaves_every_cached_figure_at_once(client, people, world):
    client_for(client, people["member"])
    pages = {
        name: url(world.study, name, query)
        for name, query in [("analysis_codes", ""), ("analysis_cooccurrence", "unit=source"),
                            ("analysis_crosstab", "rows=code&columns=legal_form"), ("analysis_time", "split=purpose"),
                            ("analysis_segments", "")]
    }
    before = {name: client.get(address) for name, address in pages.items()}
    total_before = before["analysis_segments"].context["result"].total
    withdraw(world.collectives[0])  # QuerySet.update(): no signal, the generation is unchanged
    after = {name: client.get(address) for name, address in pages.items()}
    scope = fresh(world.study)
    assert shown_codes(after["analysis_codes"]) == computed_codes(world.study)
    assert shown_codes(after["analysis_codes"]) != shown_codes(before["analysis_codes"])
    assert after["analysis_segments"].context["result"].total == scope.excerpts().count() < total_before
    assert after["analysis_cooccurrence"].context["matrix"] == cooccurrence.matrix(scope, "source")
    assert after["analysis_crosstab"].context["result"] == crosstab.table(scope, "code", "legal_form")
    assert after["analysis_time"].context["result"] == timeline.timeline(scope, "purpose")


def test_deleting_an_excerpt_renews_the_cached_tables(client, people, world):
    client_for(client, people["member"])
    address = url(world.study, "analysis_codes")
    before = shown_codes(client.get(address))
    Excerpt.objects.filter(observation__study=world.study).order_by("pk").first().delete()
    after = shown_codes(client.get(address))
    assert after != before
    assert after == computed_codes(world.study)


def test_coding_an_excerpt_renews_the_cached_tables(client, people, world):
    client_for(client, people["member"])
    address = url(world.study, "analysis_codes")
    before = shown_codes(client.get(address))
    excerpt = Excerpt.objects.filter(observation__study=world.study).exclude(codes=world.codes["tensions"]).first()
    excerpt.codes.add(world.codes["tensions"])  # m2m_changed
    after = shown_codes(client.get(address))
    assert after != before
    assert after == computed_codes(world.study)


@pytest.mark.parametrize(("name", "query"), [
    ("analysis_segments", ""), ("analysis_codes", ""), ("analysis_cooccurrence", ""),
    ("analysis_cooccurrence", "unit=source"), ("analysis_crosstab", ""),
    ("analysis_crosstab", "rows=code&columns=legal_form"), ("analysis_time", "split=code"),
])
def test_uncached_query_counts_do_not_grow_with_the_data(client, people, bureau, study, make_person,
                                                         make_collective, make_study, name, query):
    """The path that computes the table (a new generation before each counted request)."""
    client_for(client, people["member"])
    counts = []
    for target, size, seed in ((study, 6, 1), (make_study(bureau), 60, 2)):
        build_study(bureau, target, make_person, make_collective, observations=size, seed=seed)
        client.get(url(target, name, query))
        new_generation()
        counts.append(queries(client, url(target, name, query)))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 40


def test_the_quick_select_writes_what_django_s_templates_write(world):
    """The filter form's selects are written in Python (`QuickSelectMultiple`): same HTML as Django's."""
    from django import forms

    from participants.formfields import QuickSelectMultiple
    from studies.analysis.filters import FilterForm

    codes = world.codes
    data = QueryDict(f"codes={codes['redaction'].pk}&codes={codes['tensions'].pk}&purposes=writing&sectors=culture")
    form = FilterForm(data, study=world.study)
    quick = [name for name, field in form.fields.items() if isinstance(field.widget, QuickSelectMultiple)]
    assert {"codes", "collectives", "coders", "purposes", "legal_forms", "sectors"} <= set(quick)
    for name in quick:
        field = form.fields[name]
        django_widget = forms.SelectMultiple(attrs=field.widget.attrs, choices=field.widget.choices)
        bound = form[name]
        value = bound.value()
        attrs = {"id": bound.auto_id}
        assert field.widget.render(bound.html_name, value, attrs) == django_widget.render(bound.html_name, value, attrs)
    tricky = QuickSelectMultiple(choices=[("a&b", 'Quote " <tag>'), ("Group", [("x", "X"), ("y", "Y")])],
                                 attrs={"required": True, "data-x": "1", "hidden": False})
    plain = forms.SelectMultiple(choices=tricky.choices, attrs=tricky.attrs)
    assert tricky.render("f", ["a&b", "y"], {"id": "id_f"}) == plain.render("f", ["a&b", "y"], {"id": "id_f"})


def test_the_quick_single_select_writes_what_django_s_templates_write(world):
    from django import forms

    from participants.formfields import QuickSelect
    from studies.analysis.filters import FilterForm
    from studies.analysis.forms import CrosstabForm

    filters = FilterForm(QueryDict("match=overlap&kind=interviews"), study=world.study)
    table = CrosstabForm(QueryDict("rows=code&columns=legal_form"))
    checked = 0
    for form in (filters, table):
        for name, field in form.fields.items():
            if isinstance(field.widget, QuickSelect):
                bound = form[name]
                plain = forms.Select(attrs=field.widget.attrs, choices=field.widget.choices)
                attrs = {"id": bound.auto_id}
                assert field.widget.render(bound.html_name, bound.value(), attrs) == \
                    plain.render(bound.html_name, bound.value(), attrs)
                checked += 1
    assert checked >= 4
