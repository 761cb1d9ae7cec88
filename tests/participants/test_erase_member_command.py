"""`manage.py erase --member <email> --yes` (issue 16, item 5): the leaving erasure from the command line.

The command is written with the informant and collective erasures; it calls
`participants.leaving.member_erasure_plan` and `erase_member`. Until it exists, these tests fail with
« Unknown command: 'erase' ».
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from commons import actions
from commons.models import Ballot, Decision, Role
from participants.models import MemberProfile

EMAIL = "quitte@example.org"


@pytest.fixture
def member(bureau, make_person):
    coordinator = make_person(bureau, Role.COORDINATOR)
    user = make_person(bureau, Role.MEMBER, email=EMAIL)
    make_person(bureau, Role.MEMBER)  # keeps the vote open after two ballots
    proposal = actions.create_proposal(bureau, coordinator, title="Un choix", body="Texte.")
    actions.open_proposal(proposal, by=coordinator)
    actions.cast_ballot(proposal, user, choice="against")
    return user


def test_erase_member_with_yes_erases_and_lists_the_counts(member):
    ballots = Ballot.objects.count()
    hashes = list(Decision.objects.values_list("hash", flat=True))
    out = StringIO()
    call_command("erase", "--member", EMAIL, "--yes", stdout=out)
    output = out.getvalue()
    assert not get_user_model().objects.filter(email__iexact=EMAIL).exists()
    assert not get_user_model().objects.filter(pk=member.pk).exists()
    assert MemberProfile.objects.filter(departed_number=1).exists()
    assert Ballot.objects.count() == ballots
    assert list(Decision.objects.values_list("hash", flat=True)) == hashes
    assert "1" in output and ("vote" in output.lower() or "ballot" in output.lower())


def test_erase_member_of_an_unknown_address_fails_and_changes_nothing(member):
    with pytest.raises(CommandError) as refused:
        call_command("erase", "--member", "personne@example.org", "--yes", stdout=StringIO())
    assert "Unknown command" not in str(refused.value)
    assert get_user_model().objects.filter(pk=member.pk).exists()
