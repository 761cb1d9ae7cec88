"""The agreement's summaries (`studies.agreement_summaries`, issue 15): the page's figures, read from
them in SQL (`analysis.agreement_sums`), equal the slow way's (every coder's excerpts read and
measured by `studies.agreement`: `analysis.reliability`) through every coding path — excerpts
created, recoded, edited, flagged, deleted, codes merged and deleted, notes edited and re-anchored
or deleted, consents withdrawn, coders leaving — and `check_summaries` / `rebuild_summaries` say
and repair any difference.
"""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commons.models import Membership, Role
from participants.models import ConsentRecord
from studies import agreement_summaries, codebook
from studies.analysis.agreement_sums import all_coders_alpha, pair_report
from studies.analysis.reliability import slow_all_coders_alpha, slow_pair_report
from studies.anchoring import reanchor_excerpts
from studies.models import Code, CoderCoverage, CoderPair, Excerpt, Observation
from studies.views.agreement import _coders

from .analysis_data import build_study, withdraw

pytestmark = pytest.mark.django_db


def slow_coders(study, consented) -> list[tuple[int, int]]:
    """The page's coders the slow way: active members, counted on their excerpts."""
    members = Membership.objects.active().filter(bureau_id=study.bureau.pk).values("user_id")
    users = (
        get_user_model()
        .objects.filter(pk__in=members, excerpts__observation__in=consented.values("pk"))
        .annotate(excerpt_count=Count("excerpts"))
        .order_by("-excerpt_count", "pk")
    )
    return [(user.pk, user.excerpt_count) for user in users]


def assert_exact(study) -> None:
    assert agreement_summaries.differences(study) == []
    consented = Observation.objects.consented().filter(study=study)
    coders = _coders(study)
    assert [(coder.pk, coder.excerpt_count) for coder in coders] == slow_coders(study, consented)
    ids = [coder.pk for coder in coders]
    codes = list(Code.objects.filter(study=study).order_by("name").values_list("pk", flat=True))
    for a in ids:
        for b in ids:
            if a != b:
                assert pair_report(study, a, b, codes) == slow_pair_report(study, consented, a, b, codes)
    assert all_coders_alpha(study, ids, codes) == slow_all_coders_alpha(study, consented, ids, codes)


@pytest.fixture
def world(bureau, study, make_person, make_collective):
    world = build_study(bureau, study, make_person, make_collective, observations=8, seed=5)
    world.coders.append(make_person(bureau, Role.MEMBER))
    for observation in world.observations[::2]:
        Excerpt.objects.create(observation=observation, coder=world.coders[2], start=5, end=60, text="x").codes.add(
            world.codes["tensions"], world.codes["usages"]
        )
    return world


def test_the_summaries_follow_every_coding_path(world):
    study, codes, coders = world.study, world.codes, world.coders
    assert CoderPair.objects.filter(observation__study=study).exists()
    assert_exact(study)
    observation = world.observations[1]
    excerpt = Excerpt.objects.create(observation=observation, coder=coders[2], start=0, end=30, text="x")
    assert_exact(study)  # coded, without a code yet: the observation counts as coded by them
    excerpt.codes.add(codes["tensions"], codes["controle"])
    assert_exact(study)
    excerpt.codes.remove(codes["controle"])
    excerpt.start, excerpt.end = 10, 2000  # past the end of the text: clipped
    excerpt.save()
    assert_exact(study)
    excerpt.needs_review = True
    excerpt.save()
    assert_exact(study)
    codes["controle"].excerpts.add(*Excerpt.objects.filter(observation__isnull=False)[:3])
    assert_exact(study)
    codes["controle"].excerpts.clear()
    assert_exact(study)
    excerpt.delete()
    assert_exact(study)
    # A note's text edited, its excerpts re-anchored (a bulk update); then the note deleted.
    observation = Observation.objects.get(pk=world.observations[0].pk)
    old_text = observation.plain_text
    observation.body = "Préambule ajouté. " + observation.body[:120]
    observation.save()
    reanchor_excerpts(observation, old_text)
    assert_exact(study)
    observation.delete()
    assert_exact(study)
    # A code merged, another deleted with its codings.
    codebook.merge_codes(codes["synthese"], codes["tensions"])
    assert not CoderCoverage.objects.filter(code_id=codes["synthese"].pk).exists()
    assert_exact(study)
    Code.objects.filter(pk=codes["controle"].pk).delete()
    assert_exact(study)
    # A coder's account deleted: their rows go, the others' count one rater less.
    coders[2].delete()
    assert_exact(study)


def test_consent_and_leaving_apply_at_once(world):
    """Nothing about consent or membership is stored: a bare update() changes the figures at once."""
    study = world.study
    pair = (world.coders[0].pk, world.coders[1].pk)
    codes = list(Code.objects.filter(study=study).values_list("pk", flat=True))
    before = pair_report(study, *pair, codes)[0]
    withdraw(world.collectives[0])
    after = pair_report(study, *pair, codes)[0]
    assert after.observations < before.observations
    assert_exact(study)
    Membership.objects.filter(user=world.coders[2]).update(left_at=timezone.now())
    assert world.coders[2].pk not in [coder.pk for coder in _coders(study)]
    assert_exact(study)


def test_check_and_rebuild_summaries(world):
    study = world.study
    call_command("check_summaries", stdout=StringIO())
    row = CoderCoverage.objects.filter(observation__study=study).first()
    CoderCoverage.objects.filter(pk=row.pk).update(characters=row.characters + 3)
    CoderPair.objects.filter(observation__study=study).first().delete()
    # A row that follows the wrong collective's consent is a difference too.
    moved = CoderCoverage.objects.filter(observation__study=study).exclude(pk=row.pk).first()
    other = next(c for c in world.collectives if c.pk != moved.collective_id)
    CoderCoverage.objects.filter(pk=moved.pk).update(collective=other)
    with pytest.raises(CommandError) as error:
        call_command("check_summaries", stdout=StringIO())
    assert "agreement coverage" in str(error.value) and "agreement pairs" in str(error.value)
    out = StringIO()
    call_command("rebuild_summaries", stdout=out)
    assert "accord entre codeurs" in out.getvalue()  # the French default
    assert_exact(study)
    call_command("check_summaries", stdout=StringIO())


def test_bulk_writers_recompute_once_at_the_end(world):
    from studies import tallies

    study = world.study
    with tallies.deferred(study):
        excerpt = Excerpt.objects.create(
            observation=world.observations[1], coder=world.coders[2], start=0, end=5, text="x"
        )
        excerpt.codes.add(world.codes["tensions"])
        assert agreement_summaries.differences(study) != []
    assert_exact(study)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(st.tuples(st.integers(0, 10), st.integers(0, 10_000)), min_size=1, max_size=10))
def test_random_coding_histories_keep_the_agreement_exact(world, operations):
    """Hypothesis: any sequence of codings, edits, deletions, merges, moves, withdrawals and departures leaves
    the summaries equal to a recomputation, and the page's figures equal to the slow way's."""
    study = world.study
    rng = random.Random(0)
    for operation, seed in operations:
        rng.seed(seed)
        codes = list(Code.objects.filter(study=study))
        observations = list(Observation.objects.filter(study=study))
        excerpts = list(Excerpt.objects.filter(observation__study=study))
        if operation == 0 and observations:
            observation = rng.choice(observations)
            start = rng.randrange(0, 200)
            excerpt = Excerpt.objects.create(
                observation=observation, coder=rng.choice(world.coders), start=start,
                end=start + rng.randint(1, 120), text="x",
            )
            excerpt.codes.set(rng.sample(codes, rng.randint(0, min(3, len(codes)))))
        elif operation == 1 and excerpts:
            rng.choice(excerpts).codes.set(rng.sample(codes, rng.randint(0, min(2, len(codes)))))
        elif operation == 2 and excerpts:
            rng.choice(excerpts).delete()
        elif operation == 3 and excerpts:
            excerpt = rng.choice(excerpts)
            excerpt.start = rng.randrange(0, 150)
            excerpt.end = excerpt.start + rng.randint(1, 150)
            excerpt.needs_review = rng.random() < 0.3
            excerpt.save()
        elif operation == 4 and len(codes) > 2:
            source, target = rng.sample(codes, 2)
            try:
                codebook.merge_codes(source, target)
            except codebook.CodebookError:
                pass
        elif operation == 5 and observations:
            observation = rng.choice(observations)
            old_text = observation.plain_text
            cut = rng.randrange(0, len(observation.body) + 1)
            observation.body = observation.body[:cut] + rng.choice(["", " Ajout.", "x" * 40])
            observation.save()
            reanchor_excerpts(observation, old_text)
        elif operation == 6:
            collective = rng.choice(world.collectives)
            ConsentRecord.objects.filter(collective=collective).update(
                withdrawn_at=None if rng.random() < 0.5 else collective.consents.first().given_at
            )
        elif operation == 7 and len(observations) > 2:
            rng.choice(observations).delete()
        elif operation == 8 and len(codes) > 2:
            Code.objects.filter(pk=rng.choice(codes).pk, parent__isnull=False).delete()
        elif operation == 9:
            Membership.objects.filter(user=rng.choice(world.coders)).update(
                left_at=None if rng.random() < 0.5 else timezone.now()
            )
        elif operation == 10 and observations:  # a note given to another collective: its consent now
            observation = rng.choice(observations)
            observation.collective = rng.choice(world.collectives)
            observation.save()
        assert_exact(study)
