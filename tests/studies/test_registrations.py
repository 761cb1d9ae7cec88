"""Frozen registrations of protocol versions (issue 17, item 5): proposed from the version's page,
made only by an adopted vote, public and permanent (never edited nor withdrawn: model, queryset,
admin), listed in the register and the Atom feed; a later version is a new registration."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import override

from commons import actions
from commons.models import Proposal
from commons.models.governance import ImmutableError, ProposalKind
from commons.rules import ensure_default_rules
from studies.models import ProtocolVersion, Registration
from studies.registrations import propose_registration
from tests.conftest import client_for

from .test_protocol_pages import V2_OBJECTIVES, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def protocol(bureau, study, people, make_protocol):
    ensure_default_rules(bureau)
    return make_protocol(study, user=people["coordinator"], objectives="Comprendre les usages.")


def v(protocol, number: int) -> ProtocolVersion:
    return ProtocolVersion.objects.get(protocol=protocol, number=number)


def decide(proposal: Proposal, people, choice: str = "for"):
    proposal = actions.open_proposal(proposal, people["coordinator"], timezone.now() + timedelta(days=3))
    for who in ("member", "coordinator"):
        actions.cast_ballot(proposal, people[who], choice=choice)
    Proposal.objects.filter(pk=proposal.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    return actions.close_proposal(proposal.pk)


def url(page, name: str, *args) -> str:
    return page.url + page.reverse_subpage(name, args=args)


def test_an_adopted_registration_freezes_the_version_with_its_hash(client, bureau, protocol, people):
    client_for(client, people["member"])
    assert client.get(url(protocol, "register", 1)).status_code == 200  # asks first
    response = client.post(url(protocol, "register", 1))
    assert response.status_code == 302
    proposal = Proposal.objects.get(kind=ProposalKind.REGISTRATION)
    assert proposal.target == v(protocol, 1) and proposal.status == "draft"
    assert proposal.rule.method == "qualified"  # the table's rule for the kind (like protocol changes)
    page = client.get(response.url).content.decode()
    assert "La version à enregistrer" in page
    decision = decide(proposal, people)
    registration = Registration.objects.get()
    assert registration.decision == decision and registration.number == 1
    assert registration.registered_at == decision.closed_at
    assert "Comprendre les usages." in registration.content_html
    assert registration.sha256 == hashlib.sha256(registration.content_html.encode()).hexdigest()
    client.logout()  # public and permanent
    page = client.get(url(protocol, "registration", 1)).content.decode()
    assert registration.sha256 in page and "Comprendre les usages." in page
    assert "décision n° 1" in page or "décision no 1" in page or f"decision-{decision.sequence}" in page
    # The version page and the register point at it; the feed lists it.
    assert url(protocol, "registration", 1) in client.get(url(protocol, "version", 1)).content.decode()
    register = client.get(bureau.url + bureau.reverse_subpage("decision_register")).content.decode()
    assert url(protocol, "registration", 1) in register
    feed = client.get(bureau.url + bureau.reverse_subpage("feed")).content.decode()
    assert "Enregistrement" in feed and registration.sha256 in feed


def test_a_rejected_registration_registers_nothing(protocol, people):
    decide(propose_registration(v(protocol, 1), people["member"]), people, choice="against")
    assert not Registration.objects.exists()


def test_one_registration_per_version_and_a_later_version_is_a_new_one(protocol, people):
    proposal = propose_registration(v(protocol, 1), people["member"])
    with override("en"), pytest.raises(actions.GovernanceError, match="already proposed"):
        propose_registration(v(protocol, 1), people["coordinator"])
    decide(proposal, people)
    with override("en"), pytest.raises(actions.GovernanceError, match="already registered"):
        propose_registration(v(protocol, 1), people["coordinator"])
    publish(protocol, people["coordinator"], objectives=V2_OBJECTIVES, summary="Deuxième version.")
    decide(propose_registration(v(protocol, 2), people["member"]), people)
    first, second = Registration.objects.order_by("number")
    assert (first.number, second.number) == (1, 2)
    assert V2_OBJECTIVES in second.content_html and V2_OBJECTIVES not in first.content_html
    assert first.sha256 != second.sha256


def test_observers_and_outsiders_do_not_propose(client, protocol, people):
    for who, status in (("observer", 403), ("outsider", 404)):
        client_for(client, people[who])
        assert client.post(url(protocol, "register", 1)).status_code == status
    with override("en"), pytest.raises(actions.GovernanceError, match="voting members"):
        propose_registration(v(protocol, 1), people["observer"])
    assert not Proposal.objects.exists()


def test_a_registration_cannot_be_edited_or_withdrawn(protocol, people):
    decide(propose_registration(v(protocol, 1), people["member"]), people)
    registration = Registration.objects.get()
    registration.content_html = "<p>Autre texte.</p>"
    with pytest.raises(ImmutableError):
        registration.save()
    with pytest.raises(ImmutableError):
        registration.delete()
    with pytest.raises(ImmutableError):
        Registration.objects.update(sha256="0" * 64)
    with pytest.raises(ImmutableError):
        Registration.objects.all().delete()
    fresh = Registration.objects.get()
    assert fresh.intact and "Autre texte" not in fresh.content_html


def test_the_admin_shows_a_registration_read_only(client, protocol, people, django_user_model):
    decide(propose_registration(v(protocol, 1), people["member"]), people)
    registration = Registration.objects.get()
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x-root-1234")
    client.force_login(admin)
    base = "/admin/registration/"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}inspect/{registration.pk}/").status_code == 200
    for path in (f"{base}edit/{registration.pk}/", f"{base}delete/{registration.pk}/", f"{base}new/"):
        assert client.get(path).status_code in (302, 403, 404), path
        assert client.post(path, {"title": "Changé"}).status_code in (302, 403, 404), path
    fresh = Registration.objects.get()
    assert fresh.title == registration.title and fresh.sha256 == registration.sha256


def test_a_registration_proposal_must_name_its_version(bureau, protocol, people):
    with override("en"), pytest.raises(actions.GovernanceError, match="made from the object"):
        actions.create_proposal(
            bureau, people["member"], title="Enregistrer ?", body="x", kind=ProposalKind.REGISTRATION
        )
    assert not Proposal.objects.exists()
    # A forged kind on the new-proposal page is refused by the form (the kind is not offered there).
    from commons.forms import ProposalForm

    form = ProposalForm(
        {"title": "T", "body": "B", "kind": ProposalKind.REGISTRATION, "options": ""}, bureau=bureau
    )
    assert not form.is_valid() and "kind" in form.errors


def test_an_unregistered_version_has_no_registration_page(client, protocol):
    assert client.get(url(protocol, "registration", 1)).status_code == 404
    assert client.get(url(protocol, "registration", 99)).status_code == 404


def test_the_registration_page_costs_the_same_queries_whatever_the_versions(client, protocol, people):
    from tests.conftest import count_queries

    decide(propose_registration(v(protocol, 1), people["member"]), people)
    first = count_queries(client, url(protocol, "registration", 1))
    for n in range(2, 5):
        publish(protocol, people["coordinator"], objectives=f"{V2_OBJECTIVES} {n}", summary=f"Version {n}.")
        decide(propose_registration(v(protocol, n), people["member"]), people)
    assert count_queries(client, url(protocol, "registration", 4)) == first
