"""The study models hold together: pseudonym codes, consent filtering, per-study code names."""

from django.utils import timezone

from participants.models import Collective
from studies.models import Code, Observation


def test_collective_codes_are_sequential_per_bureau(bureau, other_bureau):
    first = Collective.objects.create(bureau=bureau, name="A", legal_form="scop")
    second = Collective.objects.create(bureau=bureau, name="B", legal_form="scic")
    elsewhere = Collective.objects.create(bureau=other_bureau, name="C", legal_form="association")
    assert (first.code, second.code, elsewhere.code) == ("C-01", "C-02", "C-01")


def test_withdrawn_consent_hides_observations_at_once(bureau, study, make_collective, make_person):
    consenting = make_collective(bureau)
    withdrawing = make_collective(bureau)
    for collective in (consenting, withdrawing):
        Observation.objects.create(study=study, collective=collective, setting="meeting", title="t", body="b")
    assert Observation.objects.consented().count() == 2
    withdrawing.consents.update(withdrawn_at=timezone.now())
    assert list(Observation.objects.consented().values_list("collective", flat=True)) == [consenting.pk]


def test_two_studies_may_share_a_code_name(bureau, make_study):
    one, two = make_study(bureau), make_study(bureau)
    Code.objects.create(study=one, name="usages")
    Code.objects.create(study=two, name="usages")
    assert Code.objects.filter(name="usages").count() == 2


def test_plain_text_is_kept_for_offsets(bureau, study, make_collective):
    observation = Observation.objects.create(study=study, collective=make_collective(bureau), setting="online",
                                             title="t", body="**Gras** et *italique*")
    assert observation.plain_text == "Gras et italique"
