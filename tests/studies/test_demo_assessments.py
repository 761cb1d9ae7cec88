"""The demo's assessment grids (issue 19, item 8): the project's own example referential, adopted by
the bureau's vote, and one collective assessed twice a year apart (the first reviewed and frozen)."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest
from django.core.management import call_command
from django.utils import timezone

from commons.models import BureauPage, Decision
from studies.models import Assessment, Referential

pytestmark = pytest.mark.django_db


def test_the_demo_assesses_a_collective_twice_against_its_own_example_referential(client):
    call_command("bec_demo")
    call_command("bec_demo")  # idempotent
    bureau = BureauPage.objects.get(slug="bec-ia-generative-ess")
    referential = Referential.objects.get(bureau=bureau)
    assert referential.example and "exemple" in referential.name
    version = referential.versions.get()
    assert version.adopted and version.decision.bureau == bureau and version.criteria.count() == 12
    first, second = Assessment.objects.order_by("assessed_on")
    assert first.collective == second.collective and first.collective.name == "SCOP Le Panier Vaudais"
    assert second.assessed_on - first.assessed_on == timedelta(days=360)
    assert first.status == "frozen" and second.status == "submitted"
    assert first.frozen_scores["rule_sha256"] == version.rule_sha256
    assert Fraction(second.frozen_scores["self"]["overall"]) > Fraction(first.frozen_scores["final"]["overall"])
    decisions = list(Decision.objects.filter(bureau=bureau).order_by("sequence"))
    assert [d.closed_at for d in decisions] == sorted(d.closed_at for d in decisions)
    assert decisions[-1].closed_at < timezone.now()


def test_the_demo_plan_is_adopted_and_measured(client):
    from studies.models import EngagementPlan

    call_command("bec_demo")
    plan = EngagementPlan.objects.get()
    assert plan.status == "adopted" and plan.decision is not None
    assert plan.objectives.count() == 2 and plan.indicators.count() == 2
    assert [i.measurements.count() for i in plan.indicators.order_by("pk")] == [3, 2]
    done = plan.objectives.get(title__startswith="Décider").actions.get(status="done")
    assert done.evidence.get().url.startswith("https://")
    assert [r.held for r in plan.progress_reviews.all()] == [True, False]
    assert plan.progress_reviews.first().summary
    bureau = BureauPage.objects.get(slug="bec-ia-generative-ess")
    decisions = list(Decision.objects.filter(bureau=bureau).order_by("sequence"))
    assert [d.closed_at for d in decisions] == sorted(d.closed_at for d in decisions)
