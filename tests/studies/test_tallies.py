"""The codebook's tallies (`studies.tallies`, issue 15): the counts per code stay exact through
every coding path, consent still applies at once, and `check_summaries` / `rebuild_summaries`
say and repair any difference.

The oracle is the slow way the codebook counted before the tallies: a count over the consented
observations (`coded_with`) and excerpts (`consented_excerpts_q`), computed here on each check.
"""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import OuterRef
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commons.queries import count_of
from participants.models import ConsentRecord
from studies import codebook, tallies
from studies.models import Code, CodedObservation, CodeTally, Excerpt, Observation
from studies.sources import consented_excerpts_q

from .analysis_data import build_study, withdraw


def slow_counts(study) -> dict[int, tuple[int, int]]:
    """Per code: (consented observations coded with it, consented excerpts carrying it), the slow way."""
    observations = Observation.objects.consented().filter(study=study).coded_with(OuterRef("pk"))
    excerpts = Excerpt.codes.through.objects.filter(
        consented_excerpts_q(study, "excerpt__"), code=OuterRef("pk")
    )
    rows = (
        Code.objects.filter(study=study)
        .annotate(o=observations.count_subquery(), e=count_of(excerpts, "code"))
        .values_list("pk", "o", "e")
    )
    return {pk: (o, e) for pk, o, e in rows}


def fast_counts(study) -> dict[int, tuple[int, int]]:
    return {code.pk: (code.observation_count, code.excerpt_count) for code in codebook.counted_codes(study)}


def assert_exact(study) -> None:
    assert tallies.differences(study) == []
    assert fast_counts(study) == slow_counts(study)


@pytest.fixture
def world(bureau, study, make_person, make_collective):
    return build_study(bureau, study, make_person, make_collective, observations=9)


def test_the_tallies_follow_every_coding_path(world):
    study, codes = world.study, world.codes
    assert CodeTally.objects.filter(code__study=study).exists()
    assert_exact(study)
    observation = world.observations[0]
    # An excerpt created, coded, recoded, cleared, deleted.
    excerpt = Excerpt.objects.create(
        observation=observation, coder=world.coders[0], start=0, end=10, text="x"
    )
    excerpt.codes.add(codes["tensions"], codes["controle"])
    assert_exact(study)
    excerpt.codes.remove(codes["controle"])
    assert_exact(study)
    excerpt.codes.set([codes["synthese"]])
    assert_exact(study)
    excerpt.codes.clear()
    assert_exact(study)
    excerpt.codes.add(codes["tensions"])
    excerpt.delete()
    assert_exact(study)
    # From the code's side.
    codes["controle"].excerpts.add(*Excerpt.objects.filter(interview__isnull=False)[:2])
    assert_exact(study)
    codes["controle"].excerpts.clear()
    assert_exact(study)
    # A whole-note code, added and taken off (taggit's manager, and the cluster's save).
    observation.codes.add(codes["tensions"])
    assert_exact(study)
    observation.codes.remove(codes["tensions"])
    assert_exact(study)
    observation.codes.set([codes["usages"], codes["synthese"]])
    observation.save()
    assert_exact(study)
    # A note given to another collective, then deleted with its excerpts.
    observation = Observation.objects.get(pk=observation.pk)
    observation.collective = (
        world.collectives[2] if observation.collective != world.collectives[2] else world.collectives[0]
    )
    observation.save()
    assert_exact(study)
    observation.delete()
    assert_exact(study)
    # An interview deleted.
    world.interviews[0].delete()
    assert_exact(study)


def test_a_merge_moves_the_counts_and_the_merged_code_leaves(world):
    study, codes = world.study, world.codes
    before = slow_counts(study)
    source, target = codes["controle"].pk, codes["tensions"].pk
    codebook.merge_codes(codes["controle"], codes["tensions"])
    assert not CodeTally.objects.filter(code_id=source).exists()
    assert_exact(study)
    assert before[target][1] <= fast_counts(study)[target][1] <= before[target][1] + before[source][1]


def test_a_withdrawal_applies_at_once_even_by_a_bare_update(world):
    study = world.study
    totals = fast_counts(study)
    withdraw(world.collectives[0])  # a bare update(): no signal, no recount
    assert fast_counts(study) == slow_counts(study) != totals
    ConsentRecord.objects.filter(informant=world.informant).update(
        withdrawn_at=None, given_at=world.informant.consents.first().given_at
    )
    # The informant's collective's consent counts too (the DESIGN's rule): withdraw it alone.
    withdraw(world.informant.collective)
    assert fast_counts(study) == slow_counts(study)


def test_check_and_rebuild_summaries(world):
    study = world.study
    out = StringIO()
    call_command("check_summaries", stdout=out)
    assert "exact" in out.getvalue()
    # A tally changed behind the services' back: the check says where and fails; the rebuild repairs.
    row = CodeTally.objects.filter(code__study=study).first()
    CodeTally.objects.filter(pk=row.pk).update(excerpts=row.excerpts + 5)
    with pytest.raises(CommandError) as error:
        call_command("check_summaries", stdout=StringIO())
    assert f"code {row.code_id}" in str(error.value)
    out = StringIO()
    call_command("rebuild_summaries", stdout=out)
    assert study.title in out.getvalue()
    assert_exact(study)
    call_command("check_summaries", stdout=StringIO())


def test_the_codebook_query_reads_the_tallies_at_any_size(
    bureau, make_study, make_person, make_collective, django_assert_num_queries
):
    """One query for the counted codes, however many observations and excerpts the study holds."""
    small = make_study(bureau, "Petite étude")
    big = make_study(bureau, "Grande étude")
    build_study(bureau, small, make_person, make_collective, observations=3, seed=1)
    build_study(bureau, big, make_person, make_collective, observations=30, seed=2)
    for study in (small, big):
        with django_assert_num_queries(1):
            list(codebook.counted_codes(study))
        assert_exact(study)


def test_bulk_writers_recount_once_at_the_end(world):
    study, codes = world.study, world.codes
    with tallies.deferred(study):
        excerpt = Excerpt.objects.create(
            observation=world.observations[1], coder=world.coders[0], start=0, end=5, text="x"
        )
        excerpt.codes.add(codes["tensions"])
        # Inside the block nothing is recounted yet.
        assert tallies.differences(study) != []
    assert_exact(study)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 10_000)), min_size=1, max_size=12))
def test_random_coding_histories_keep_the_tallies_exact(world, operations):
    """Hypothesis: any sequence of codings, uncodings, deletions, merges, moves and withdrawals
    leaves the tallies equal to a recount, and the codebook's figures equal to the slow way's."""
    study = world.study
    rng = random.Random(0)
    for operation, seed in operations:
        rng.seed(seed)
        codes = list(Code.objects.filter(study=study))
        observations = list(Observation.objects.filter(study=study))
        excerpts = list(
            Excerpt.objects.filter(observation__study=study) | Excerpt.objects.filter(interview__study=study)
        )
        if operation == 0 and observations:
            observation = rng.choice(observations)
            excerpt = Excerpt.objects.create(
                observation=observation, coder=world.coders[0], start=0, end=8, text="x"
            )
            excerpt.codes.set(rng.sample(codes, rng.randint(1, min(2, len(codes)))))
        elif operation == 1 and excerpts:
            rng.choice(excerpts).codes.set(rng.sample(codes, rng.randint(0, min(2, len(codes)))))
        elif operation == 2 and excerpts:
            rng.choice(excerpts).delete()
        elif operation == 3 and observations:
            rng.choice(observations).codes.set(rng.sample(codes, rng.randint(0, min(2, len(codes)))))
        elif operation == 4 and len(codes) > 2:
            source, target = rng.sample(codes, 2)
            try:
                codebook.merge_codes(source, target)
            except codebook.CodebookError:
                pass
        elif operation == 5 and observations:
            observation = rng.choice(observations)
            observation.collective = rng.choice(world.collectives)
            observation.save()
        elif operation == 6:
            collective = rng.choice(world.collectives)
            ConsentRecord.objects.filter(collective=collective).update(
                withdrawn_at=None if rng.random() < 0.5 else collective.consents.first().given_at
            )
        elif operation == 7 and observations:
            CodedObservation.objects.filter(content_object=rng.choice(observations)).delete()
        assert_exact(study)
