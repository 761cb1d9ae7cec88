"""Consent in force over time, `has_consent`, withdrawal, and the collectives' pseudonym codes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from participants.models import Collective, ConsentForm, ConsentRecord, ConsentScope, Informant
from participants.models.consent import has_consent


@pytest.fixture
def form(bureau):
    return ConsentForm.objects.create(bureau=bureau, title="Consentement", text="Texte.")


@pytest.fixture
def collective(bureau):
    return Collective.objects.create(bureau=bureau, name="La Ruche", legal_form="scic")


@pytest.fixture
def informant(collective):
    return Informant.objects.create(collective=collective, pseudonym="Amandine")


# --- current() ------------------------------------------------------------------------------------


def test_current_at_various_times(form, collective):
    t0 = timezone.now() - timedelta(days=10)
    t1 = t0 + timedelta(days=5)
    withdrawn = ConsentRecord.objects.create(form=form, collective=collective, scopes=["observation"],
                                             given_at=t0, withdrawn_at=t1)
    open_ended = ConsentRecord.objects.create(form=form, collective=collective, scopes=["interview"],
                                              given_at=t1)
    future = ConsentRecord.objects.create(form=form, collective=collective, scopes=["recording"],
                                          given_at=timezone.now() + timedelta(days=1))

    def current(at=None):
        return set(ConsentRecord.objects.current(at).values_list("pk", flat=True))

    assert current(t0 - timedelta(seconds=1)) == set()
    assert current(t0) == {withdrawn.pk}  # in force from the moment it is given
    assert current(t0 + timedelta(days=1)) == {withdrawn.pk}
    assert current(t1) == {open_ended.pk}  # no longer in force from the moment it is withdrawn
    assert current() == {open_ended.pk}
    assert current(timezone.now() + timedelta(days=2)) == {open_ended.pk, future.pk}
    assert not withdrawn.is_current and open_ended.is_current and not future.is_current


# --- has_consent ------------------------------------------------------------------------------------


def test_has_consent_for_a_collective_per_scope(form, collective, make_collective, bureau):
    ConsentRecord.objects.create(form=form, collective=collective, scopes=["observation", "quotation"])
    assert has_consent(scope=ConsentScope.OBSERVATION, collective=collective)
    assert has_consent(scope="quotation", collective=collective)
    assert not has_consent(scope="interview", collective=collective)
    assert not has_consent(scope="ai_processing", collective=collective)
    other = make_collective(bureau, scopes=())
    assert not has_consent(scope="observation", collective=other)


def test_has_consent_for_an_informant_per_scope(form, collective, informant):
    ConsentRecord.objects.create(form=form, informant=informant, scopes=["interview", "recording"])
    # An informant of a collective needs both parties' consent: theirs alone is not enough.
    assert not has_consent(scope="interview", informant=informant)
    ConsentRecord.objects.create(form=form, collective=collective, scopes=["interview", "recording", "quotation"])
    assert has_consent(scope="interview", informant=informant)
    assert has_consent(scope="recording", informant=informant)
    # The collective's consent does not stand for the informant's.
    assert not has_consent(scope="quotation", informant=informant)
    assert not has_consent(scope="observation", informant=informant)


def test_an_informant_loses_consent_when_their_collective_withdraws(form, collective, informant):
    ConsentRecord.objects.create(form=form, informant=informant, scopes=["interview"])
    theirs = ConsentRecord.objects.create(form=form, collective=collective, scopes=["interview"])
    assert has_consent(scope="interview", informant=informant)
    theirs.withdrawn_at = timezone.now()
    theirs.save()
    assert not has_consent(scope="interview", informant=informant)
    assert has_consent(scope="interview", collective=collective) is False


def test_given_for_takes_one_party_path():
    with pytest.raises(TypeError):
        ConsentRecord.objects.given_for("interview")
    with pytest.raises(TypeError):
        ConsentRecord.objects.given_for("interview", collective="collective", informant="informant")


def test_withdrawal_takes_effect_at_once(form, collective):
    record = ConsentRecord.objects.create(form=form, collective=collective, scopes=["observation"],
                                          given_at=timezone.now() - timedelta(days=30))
    assert has_consent(scope="observation", collective=collective)
    record.withdrawn_at = timezone.now()
    record.save()
    assert not has_consent(scope="observation", collective=collective)
    assert not ConsentRecord.objects.current().filter(collective=collective).exists()
    assert ConsentRecord.objects.filter(pk=record.pk).exists()  # withdrawn, not deleted


def test_a_later_consent_still_counts_after_an_earlier_one_is_withdrawn(form, collective):
    earlier = timezone.now() - timedelta(days=30)
    ConsentRecord.objects.create(form=form, collective=collective, scopes=["observation"], given_at=earlier,
                                 withdrawn_at=earlier + timedelta(days=1))
    assert not has_consent(scope="observation", collective=collective)
    ConsentRecord.objects.create(form=form, collective=collective, scopes=["observation"])
    assert has_consent(scope="observation", collective=collective)


def test_a_consent_given_in_the_future_does_not_count_yet(form, collective):
    ConsentRecord.objects.create(form=form, collective=collective, scopes=["observation"],
                                 given_at=timezone.now() + timedelta(hours=1))
    assert not has_consent(scope="observation", collective=collective)


# --- The model's own rules --------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["both", "none", "withdrawn_before_given", "unknown_scope"])
def test_clean_refuses_bad_records(form, collective, informant, case):
    now = timezone.now()
    record = ConsentRecord(form=form, collective=collective, scopes=["observation"], given_at=now)
    if case == "both":
        record.informant = informant
    elif case == "none":
        record.collective = None
    elif case == "withdrawn_before_given":
        record.withdrawn_at = now - timedelta(minutes=1)
    elif case == "unknown_scope":
        record.scopes = ["observation", "telepathy"]
    with pytest.raises(ValidationError):
        record.clean()


def test_database_refuses_a_consent_of_both_a_collective_and_an_informant(form, collective, informant):
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsentRecord.objects.create(form=form, collective=collective, informant=informant, scopes=["observation"])
    assert not ConsentRecord.objects.exists()


# --- Pseudonym codes --------------------------------------------------------------------------------


def test_codes_are_assigned_per_bureau(bureau, other_bureau):
    first = Collective.objects.create(bureau=bureau, name="A", legal_form="scop")
    second = Collective.objects.create(bureau=bureau, name="B", legal_form="scop")
    elsewhere = Collective.objects.create(bureau=other_bureau, name="C", legal_form="scop")
    assert (first.code, second.code, elsewhere.code) == ("C-01", "C-02", "C-01")


def test_two_saves_from_the_same_starting_state_get_different_codes(bureau):
    # Both built before either is saved, as two concurrent requests would.
    a = Collective(bureau=bureau, name="A", legal_form="scop")
    b = Collective(bureau=bureau, name="B", legal_form="scop")
    a.save()
    b.save()
    assert a.code != b.code
    assert sorted(Collective.objects.values_list("code", flat=True)) == ["C-01", "C-02"]


def test_a_code_taken_meanwhile_is_retried(bureau, monkeypatch):
    Collective.objects.create(bureau=bureau, name="A", legal_form="scop")
    original = Collective._next_code
    calls = []

    def racing_next_code(self):
        calls.append(1)
        # The first attempt computed its code before the other request saved: it is taken now.
        return "C-01" if len(calls) == 1 else original(self)

    monkeypatch.setattr(Collective, "_next_code", racing_next_code)
    late = Collective.objects.create(bureau=bureau, name="B", legal_form="scop")
    assert late.code == "C-02" and len(calls) == 2
    assert Collective.objects.filter(bureau=bureau).count() == 2


def test_codes_are_ordered_numerically_not_lexicographically(bureau):
    codes = [Collective.objects.create(bureau=bureau, name=f"N{i}", legal_form="scop").code for i in range(10)]
    assert codes[8:] == ["C-09", "C-10"]
    assert Collective.objects.create(bureau=bureau, name="N11", legal_form="scop").code == "C-11"
    Collective.objects.create(bureau=bureau, name="N99", legal_form="scop", code="C-99")
    assert Collective.objects.create(bureau=bureau, name="N100", legal_form="scop").code == "C-100"
    # "C-99" sorts after "C-100" as text: the next code must still follow 100.
    assert Collective.objects.create(bureau=bureau, name="N101", legal_form="scop").code == "C-101"


def test_the_code_is_kept_when_a_collective_is_saved_again(collective):
    code = collective.code
    collective.name = "Renommée"
    collective.save()
    collective.refresh_from_db()
    assert collective.code == code
