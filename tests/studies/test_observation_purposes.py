"""Issue 15: an observation's purposes kept as `ObservationPurpose` rows, so that filtering by one
reads an index (SQLite and PostgreSQL) instead of scanning every JSON list as text.

The JSON list stays the form's source of truth; these tests check that the rows follow it through
`Observation.save` (form creation and edits), `bec_seed`'s bulk writes, the demo and the data
migration, and that `purpose_q` (the one purpose filter) selects exactly what the old ``LIKE`` did.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.db.models.lookups import Contains
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studies.analysis.filters import purpose_q
from studies.models import Excerpt, Observation, ObservationPurpose, Purpose
from studies.models.observations import purpose_set
from tests.conftest import client_for

PURPOSES = list(Purpose.values)
TABLE = ObservationPurpose._meta.db_table


def _url(study, suffix: str = "") -> str:
    return f"{study.url}observations/{suffix}"


@pytest.fixture
def collective(bureau, make_collective):
    return make_collective(bureau, "La Coop des Communs", legal_form="scic")


def _observe(study, collective, purposes, title="Une note") -> Observation:
    return Observation.objects.create(
        study=study,
        collective=collective,
        setting="meeting",
        title=title,
        body="Une note.",
        purposes=purposes,
    )


def _rows() -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for observation_id, purpose in ObservationPurpose.objects.values_list("observation_id", "purpose"):
        found.setdefault(observation_id, set()).add(purpose)
    return found


def _expected() -> dict[int, set[str]]:
    return {
        pk: set(purpose_set(purposes))
        for pk, purposes in Observation.objects.values_list("pk", "purposes")
        if purpose_set(purposes)
    }


def _old_like(path: str, purpose: str) -> Contains:
    """The filter `purpose_q` replaced: the JSON list read as text, matched with LIKE."""
    return Contains(Cast(path, TextField()), f'"{purpose}"')


# --- The table follows the list ------------------------------------------------------------------


def test_purpose_set_keeps_distinct_slugs_and_drops_junk():
    assert purpose_set(["writing", "admin", "writing"]) == {"writing", "admin"}
    assert purpose_set(None) == purpose_set("writing") == purpose_set({}) == frozenset()
    assert purpose_set(["", 3, None, "x" * 33, "search"]) == {"search"}


def test_save_keeps_the_rows_in_step(study, collective):
    observation = _observe(study, collective, ["writing", "summarising"])
    assert _rows() == {observation.pk: {"writing", "summarising"}}
    observation.purposes = ["summarising", "admin"]
    observation.save()
    assert _rows() == {observation.pk: {"summarising", "admin"}}
    loaded = Observation.objects.get(pk=observation.pk)
    loaded.purposes.append("search")  # changed in place: still seen as a change
    loaded.save()
    assert _rows() == {observation.pk: {"summarising", "admin", "search"}}
    loaded.purposes = []
    loaded.save()
    assert _rows() == {}
    observation.delete()
    assert not ObservationPurpose.objects.exists()


def test_save_without_a_change_of_purposes_does_not_touch_the_rows(study, collective):
    observation = _observe(study, collective, ["writing"])
    loaded = Observation.objects.get(pk=observation.pk)
    loaded.title = "Autre titre"
    with CaptureQueriesContext(connection) as queries:
        loaded.save()
        Observation.objects.get(pk=observation.pk).save(update_fields=["title"])
    assert not [q for q in queries.captured_queries if TABLE in q["sql"]]
    assert _rows() == {observation.pk: {"writing"}}


def test_refresh_from_db_of_other_fields_keeps_an_unsaved_change_of_purposes(study, collective):
    observation = _observe(study, collective, ["writing"])
    Observation.objects.filter(pk=observation.pk).update(purposes=["admin"])
    ObservationPurpose.objects.filter(observation=observation).update(purpose="admin")  # in step
    observation.refresh_from_db()
    observation.purposes = ["images"]
    observation.refresh_from_db(fields=["title"])
    observation.save()
    assert _rows() == {observation.pk: {"images"}}


def test_an_instance_built_by_hand_is_compared_with_the_table(study, collective):
    observation = _observe(study, collective, ["writing", "admin"])
    by_hand = Observation.objects.get(pk=observation.pk)
    del by_hand._loaded_purposes  # as if built without loading (e.g. Observation(pk=…, …))
    by_hand.purposes = ["admin", "images"]
    by_hand.save()
    assert _rows() == {observation.pk: {"admin", "images"}}


def test_form_creation_and_edits_keep_the_rows_in_step(client, people, study, collective):
    client = client_for(client, people["member"])
    data = {
        "observed_on": "2026-03-12",
        "collective": str(collective.pk),
        "setting": "meeting",
        "title": "Réunion du conseil",
        "body": "Le bureau rédige le compte rendu.",
        "visibility": "team",
        "purposes": ["writing", "summarising"],
    }
    assert client.post(_url(study, "new/"), data).status_code == 302
    observation = Observation.objects.get()
    assert _rows() == {observation.pk: {"writing", "summarising"}}
    edited = {**data, "purposes": ["translating"], "version": "1"}
    assert client.post(_url(study, f"{observation.pk}/edit/"), edited).status_code == 302
    assert _rows() == {observation.pk: {"translating"}}
    listed = client.get(_url(study), {"purpose": "translating"}).context["observations"]
    assert [o.pk for o in listed] == [observation.pk]
    assert not list(client.get(_url(study), {"purpose": "writing"}).context["observations"])
    cleared = {key: value for key, value in data.items() if key != "purposes"} | {"version": "2"}
    assert client.post(_url(study, f"{observation.pk}/edit/"), cleared).status_code == 302
    assert _rows() == {}


# --- Same rows as the old LIKE filter -------------------------------------------------------------

purpose_lists = st.lists(st.sampled_from(PURPOSES), max_size=4)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lists=st.lists(purpose_lists, min_size=1, max_size=8),
    edits=st.lists(st.tuples(st.integers(min_value=0, max_value=7), purpose_lists), max_size=5),
)
def test_purpose_q_selects_what_the_like_filter_selected(study, collective, people, lists, edits):
    with transaction.atomic():
        observations = [
            _observe(study, collective, purposes, f"Note {n}") for n, purposes in enumerate(lists)
        ]
        for observation in observations:
            Excerpt.objects.create(
                observation=observation, start=0, end=3, text="Une", coder=people["member"]
            )
        for index, purposes in edits:  # edits of a note's purposes, through a fresh load as the form does
            edited = Observation.objects.get(pk=observations[index % len(observations)].pk)
            edited.purposes = purposes
            edited.save()
        for purpose in PURPOSES:
            by_table = set(Observation.objects.filter(purpose_q("pk", purpose)).values_list("pk", flat=True))
            by_like = set(
                Observation.objects.filter(_old_like("purposes", purpose)).values_list("pk", flat=True)
            )
            assert by_table == by_like
            # From an excerpt, through its observation (the analysis filters' path).
            excerpts = Excerpt.objects.filter(purpose_q("observation__pk", purpose))
            old = Excerpt.objects.filter(_old_like("observation__purposes", purpose))
            assert set(excerpts.values_list("pk", flat=True)) == set(old.values_list("pk", flat=True))
        assert _rows() == _expected()
        transaction.set_rollback(True)


# --- Bulk writers and the migration ----------------------------------------------------------------


def test_bec_seed_writes_the_rows(db):
    call_command("bec_seed", observations=40, batch_size=15)
    assert Observation.objects.count() == 40
    assert _rows() == _expected() != {}


def test_the_demo_keeps_the_rows_in_step(db):
    call_command("bec_demo")
    assert _rows() == _expected() != {}


def _migration():
    """The data migration's module, found by name (the lead may renumber it at merge)."""
    folder = Path(importlib.import_module("studies.migrations").__file__).parent
    (path,) = folder.glob("*_observation_purposes.py")
    return importlib.import_module(f"studies.migrations.{path.stem}")


def test_the_migration_fills_the_table_in_chunks_and_can_run_again(study, collective, monkeypatch):
    for n, purposes in enumerate([["writing"], [], ["admin", "writing", "admin"], ["search"], ["images"]]):
        _observe(study, collective, purposes, f"Note {n}")
    junk = _observe(study, collective, ["coding"], "Junk")
    Observation.objects.filter(pk=junk.pk).update(purposes=["ideation", 3, "x" * 40])
    ObservationPurpose.objects.all().delete()  # as before the migration
    migration = _migration()
    monkeypatch.setattr(migration, "CHUNK", 2)
    migration.fill_purposes(apps, None)
    assert _rows() == _expected()
    assert _rows()[junk.pk] == {"ideation"}
    migration.fill_purposes(apps, None)  # a second run adds nothing
    assert ObservationPurpose.objects.count() == sum(len(v) for v in _expected().values())


def test_check_and_rebuild_summaries_repair_rows_a_bare_update_left_behind(study, collective):
    from io import StringIO

    from django.core.management.base import CommandError

    kept = _observe(study, collective, ["writing"], "Gardée")
    stale = _observe(study, collective, ["writing", "admin"], "Périmée")
    call_command("check_summaries", stdout=StringIO())
    Observation.objects.filter(pk=stale.pk).update(purposes=["images"])  # bypasses save
    with pytest.raises(CommandError, match=f"observation {stale.pk}"):
        call_command("check_summaries", stdout=StringIO())
    out = StringIO()
    call_command("rebuild_summaries", stdout=out)
    assert "1" in out.getvalue()
    assert _rows() == {kept.pk: {"writing"}, stale.pk: {"images"}}
    call_command("check_summaries", stdout=StringIO())


# --- The index ------------------------------------------------------------------------------------


def test_the_table_has_its_index_and_unique_constraint(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    by_columns = {tuple(c["columns"]): c for c in constraints.values()}
    assert by_columns[("purpose", "observation_id")]["index"]
    assert by_columns[("observation_id", "purpose")]["unique"]


@pytest.mark.postgres
def test_postgresql_filters_purposes_through_the_index(study, collective):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN is only read on PostgreSQL")
    for n in range(50):
        _observe(study, collective, [PURPOSES[n % len(PURPOSES)]], f"Note {n}")
    query = Observation.objects.filter(study=study).filter(purpose_q("pk", "writing")).values("pk")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TABLE}")
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows: make the planner show its options
        sql, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "studies_obspurpose_" in plan, plan
    assert "LIKE" not in plan and "~~" not in plan
