"""Collectives, informants and consent in the Wagtail admin: coordinators see and edit their own bureau's only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from commons.groups import PARTICIPANT_MODELS, ensure_bureau_groups
from commons.models import Membership, Role
from participants.models import Collective, ConsentForm, ConsentRecord, Informant
from tests.conftest import client_for, count_queries


def url(model, name: str, *args) -> str:
    return reverse(model.snippet_viewset.get_url_name(name), args=args)


def chooser_url(model, name: str, *args) -> str:
    return reverse(model.snippet_viewset.chooser_viewset.get_url_name(name), args=args)


def collective_data(bureau, **overrides) -> dict:
    return {"bureau": str(bureau.pk), "name": "La Ruche solidaire", "legal_form": "scic", "size_band": "10-49",
            "sector": "alimentation", "territory": "Lyon", **overrides}


def consent_data(form, **overrides) -> dict:
    return {"form": str(form.pk), "collective": "", "informant": "", "scopes": ["observation", "quotation"],
            "given_at": "2025-03-01 10:00", "withdrawn_at": "", **overrides}


@pytest.fixture
def admin_user(make_person):
    return make_person(is_superuser=True, is_staff=True)


@pytest.fixture
def collectives(bureau, other_bureau, make_collective):
    """Two collectives of `bureau`, one of `other_bureau`."""
    return {
        "ours": make_collective(bureau, "Ruche du Nord"),
        "ours_too": make_collective(bureau, "Atelier Vélo"),
        "theirs": make_collective(other_bureau, "Secret d'ailleurs"),
    }


@pytest.fixture
def consent_form(bureau):
    return ConsentForm.objects.get_or_create(bureau=bureau, title="Consentement", version=1,
                                             defaults={"text": "Texte."})[0]


# --- The coordination group's permissions ----------------------------------------------------------


def test_coordination_group_manages_participants_and_members_group_does_not(bureau):
    codenames = set(bureau.coordinators_group.permissions.values_list("codename", flat=True))
    expected = {f"{action}_{model}" for model in PARTICIPANT_MODELS for action in ("add", "change", "delete", "view")}
    assert expected <= codenames
    assert not bureau.members_group.permissions.filter(content_type__app_label="participants").exists()


def test_existing_bureaus_get_the_permissions_when_groups_are_ensured_again(bureau):
    group = bureau.coordinators_group
    group.permissions.remove(*Permission.objects.filter(content_type__app_label="participants"))
    ensure_bureau_groups(bureau)
    ensure_bureau_groups(bureau)  # idempotent
    assert group.permissions.filter(content_type__app_label="participants").count() == 16


# --- Collectives -----------------------------------------------------------------------------------


def test_coordinator_lists_only_their_bureau_collectives(client, people, collectives):
    response = client_for(client, people["coordinator"]).get(url(Collective, "list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ruche du Nord" in body and "Atelier Vélo" in body
    assert "Secret d&#x27;ailleurs" not in body and "Secret d'ailleurs" not in body
    assert "Autre bureau" not in body


def test_coordinator_of_the_other_bureau_sees_only_theirs(client, people, collectives):
    response = client_for(client, people["other_member"]).get(url(Collective, "list"))
    body = response.content.decode()
    assert "Ruche du Nord" not in body and "Secret d" in body


@pytest.mark.parametrize("view", ["edit", "delete", "history", "usage"])
def test_coordinator_cannot_open_another_bureau_collective(client, people, collectives, view):
    theirs = collectives["theirs"]
    client_for(client, people["coordinator"])
    assert client.get(url(Collective, view, theirs.pk)).status_code == 404
    assert client.post(url(Collective, view, theirs.pk), collective_data(theirs.bureau, name="Volé")).status_code \
        == 404
    theirs.refresh_from_db()
    assert Collective.objects.filter(pk=theirs.pk, name="Secret d'ailleurs").exists()


def test_coordinator_edits_their_own_collective(client, people, collectives, bureau):
    ours = collectives["ours"]
    client_for(client, people["coordinator"])
    assert client.get(url(Collective, "edit", ours.pk)).status_code == 200
    response = client.post(url(Collective, "edit", ours.pk), collective_data(bureau, name="Ruche renommée"))
    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.name == "Ruche renommée" and ours.code == "C-01"


def test_coordinator_creates_collectives_with_automatic_codes(client, people, bureau):
    client_for(client, people["coordinator"])
    assert client.get(url(Collective, "add")).status_code == 200
    for name in ("Première", "Deuxième"):
        response = client.post(url(Collective, "add"), collective_data(bureau, name=name, code="C-99"))
        assert response.status_code == 302, response.context["form"].errors
    assert list(Collective.objects.filter(bureau=bureau).values_list("name", "code")) == [
        ("Première", "C-01"), ("Deuxième", "C-02")]


def test_forged_bureau_of_another_bureau_is_refused(client, people, bureau, other_bureau):
    client_for(client, people["coordinator"])
    response = client.post(url(Collective, "add"), collective_data(other_bureau))
    assert response.status_code == 200
    assert "bureau" in response.context["form"].errors
    assert not Collective.objects.exists()


def test_a_collective_stays_in_its_bureau(client, people, admin_user, collectives, other_bureau):
    ours = collectives["ours"]
    client_for(client, admin_user)
    response = client.post(url(Collective, "edit", ours.pk), collective_data(other_bureau, name="Ruche"))
    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.bureau_id == collectives["ours_too"].bureau_id and ours.name == "Ruche"


def _expected_refusal(who: str, address: str, object_view: bool) -> tuple[int, str | None]:
    """The one answer each visitor gets from the participants admin.

    Without admin access (anonymous, outsider, observer) Wagtail sends to the login page; a member has
    admin access but no permission on participants: a listing or a form redirects to the dashboard,
    and an object view answers 404 (the object is not one they manage, so it is not acknowledged).
    """
    if who != "member":
        return 302, f"/accounts/login/?next={address}"
    return (404, None) if object_view else (302, "/admin/")


@pytest.mark.parametrize("who", ["anonymous", "outsider", "observer", "member"])
def test_others_have_no_access(client, people, collectives, consent_form, who):
    client_for(client, people[who])
    ours = collectives["ours"]
    record = ours.consents.get()
    for model, obj in ((Collective, ours), (ConsentRecord, record), (ConsentForm, consent_form)):
        for address, object_view in ((url(model, "list"), False), (url(model, "add"), False),
                                     (url(model, "edit", obj.pk), True), (url(model, "delete", obj.pk), True)):
            response = client.get(address)
            status, location = _expected_refusal(who, address, object_view)
            assert (response.status_code, response.get("Location")) == (status, location), (who, address)
            assert "Ruche du Nord" not in response.content.decode()
    address = url(Collective, "add")
    response = client.post(address, collective_data(collectives["ours"].bureau))
    assert (response.status_code, response.get("Location")) == _expected_refusal(who, address, False)
    assert Collective.objects.count() == 3


def test_member_chooser_shows_nothing_and_coordinator_chooser_is_scoped(client, people, collectives):
    client_for(client, people["member"])
    response = client.get(chooser_url(Collective, "choose"))
    assert "C-01" not in response.content.decode()

    client_for(client, people["coordinator"])
    response = client.get(chooser_url(Collective, "choose_results"))
    body = response.content.decode()
    assert response.status_code == 200 and "C-01" in body and "C-02" in body
    assert client.get(chooser_url(Collective, "chosen", collectives["theirs"].pk)).status_code == 404
    assert client.get(chooser_url(Collective, "chosen", collectives["ours"].pk)).status_code == 200


def test_bulk_delete_skips_another_bureau_collectives(client, people, collectives):
    client_for(client, people["coordinator"])
    theirs, ours = collectives["theirs"], collectives["ours_too"]
    address = f"/admin/bulk/participants/collective/delete/?id={theirs.pk}&id={ours.pk}&next=/admin/"
    confirmation = client.get(address)
    assert confirmation.status_code == 200
    # The other bureau's collective is not even named (not listed as « no permission » either).
    assert [item["item"] for item in confirmation.context["items"]] == [ours]
    assert list(confirmation.context["items_with_no_access"]) == []
    response = client.post(address)
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert not Collective.objects.filter(pk=ours.pk).exists()
    assert Collective.objects.filter(pk=theirs.pk, name="Secret d'ailleurs").exists()
    assert Collective.objects.filter(pk=collectives["ours"].pk).exists()


def test_superuser_sees_and_filters_every_bureau(client, admin_user, collectives, other_bureau):
    client_for(client, admin_user)
    body = client.get(url(Collective, "list")).content.decode()
    assert "Ruche du Nord" in body and "Secret d" in body
    body = client.get(url(Collective, "list"), {"bureau": other_bureau.pk}).content.decode()
    assert "Ruche du Nord" not in body and "Secret d" in body


def test_collective_list_filters_and_search(client, people, bureau, make_collective):
    make_collective(bureau, "Coop des Monts", legal_form="scop", territory="Auvergne")
    make_collective(bureau, "Asso des Plaines", legal_form="association", territory="Beauce")
    client_for(client, people["coordinator"])
    body = client.get(url(Collective, "list"), {"legal_form": "scop"}).content.decode()
    assert "Coop des Monts" in body and "Asso des Plaines" not in body
    body = client.get(url(Collective, "list"), {"q": "beauce"}).content.decode()
    assert "Coop des Monts" not in body and "Asso des Plaines" in body
    body = client.get(url(Collective, "list"), {"q": "C-01"}).content.decode()
    assert "Coop des Monts" in body and "Asso des Plaines" not in body


def test_a_demoted_coordinator_loses_access(client, people, collectives, bureau):
    coordinator = people["coordinator"]
    Membership.objects.filter(user=coordinator, bureau=bureau).update(role=Role.MEMBER)
    Membership.objects.get(user=coordinator, bureau=bureau).save()  # the signal syncs the groups
    client_for(client, coordinator)
    response = client.get(url(Collective, "list"))
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_collective_list_queries_do_not_grow(client, people, bureau, make_collective):
    client_for(client, people["coordinator"])
    make_collective(bureau)
    small = count_queries(client, url(Collective, "list"))
    for _ in range(10):
        make_collective(bureau)
    assert count_queries(client, url(Collective, "list")) == small


# --- Informants and consent forms ------------------------------------------------------------------


def test_informants_are_scoped_and_forged_collective_refused(client, people, collectives):
    Informant.objects.create(collective=collectives["ours"], pseudonym="Amandine")
    Informant.objects.create(collective=collectives["theirs"], pseudonym="Bérénice")
    client_for(client, people["coordinator"])
    body = client.get(url(Informant, "list")).content.decode()
    assert "Amandine" in body and "Bérénice" not in body

    data = {"collective": str(collectives["theirs"].pk), "pseudonym": "Camille", "role": "", "identifying_details": ""}
    response = client.post(url(Informant, "add"), data)
    assert response.status_code == 200 and "collective" in response.context["form"].errors
    assert not Informant.objects.filter(pseudonym="Camille").exists()

    data["collective"] = str(collectives["ours"].pk)
    assert client.post(url(Informant, "add"), data).status_code == 302
    assert Informant.objects.get(pseudonym="Camille").collective == collectives["ours"]


def test_informant_bureau_filter_for_superuser(client, admin_user, collectives, other_bureau):
    Informant.objects.create(collective=collectives["ours"], pseudonym="Amandine")
    Informant.objects.create(collective=collectives["theirs"], pseudonym="Bérénice")
    client_for(client, admin_user)
    body = client.get(url(Informant, "list"), {"bureau": other_bureau.pk}).content.decode()
    assert "Amandine" not in body and "Bérénice" in body


def test_consent_forms_are_scoped(client, people, bureau, other_bureau, consent_form):
    ConsentForm.objects.create(bureau=other_bureau, title="Formulaire d'ailleurs", text="…")
    client_for(client, people["coordinator"])
    body = client.get(url(ConsentForm, "list")).content.decode()
    assert "Consentement" in body and "Formulaire d" not in body
    data = {"bureau": str(other_bureau.pk), "title": "Forgé", "version": "1", "text": "T",
            "published_at": "2025-01-01 09:00"}
    response = client.post(url(ConsentForm, "add"), data)
    assert response.status_code == 200 and "bureau" in response.context["form"].errors
    data["bureau"] = str(bureau.pk)
    assert client.post(url(ConsentForm, "add"), data).status_code == 302
    assert ConsentForm.objects.get(title="Forgé").bureau_id == bureau.pk


# --- Consent records -------------------------------------------------------------------------------


def test_consent_record_scopes_save_as_a_json_list(client, people, bureau, consent_form, make_collective):
    collective = make_collective(bureau, scopes=())
    client_for(client, people["coordinator"])
    response = client.post(url(ConsentRecord, "add"),
                           consent_data(consent_form, collective=str(collective.pk),
                                        scopes=["quotation", "observation"]))
    assert response.status_code == 302, response.context["form"].errors
    record = ConsentRecord.objects.get(collective=collective)
    assert record.scopes == ["observation", "quotation"]
    assert record.withdrawn_at is None
    assert record.entered_by == people["coordinator"]  # in their « Mes données » (issue 16 item 1)

    response = client.get(url(ConsentRecord, "edit", record.pk))
    assert response.status_code == 200
    assert response.context["form"]["scopes"].value() == ["observation", "quotation"]
    body = response.content.decode()
    assert 'value="quotation" aria-describedby="panel-child-scopes-helptext" id="id_scopes_3" checked' in body
    assert 'id="id_scopes_1" checked' not in body
    # Editing keeps who entered the record (another coordinator's edit does not take it over).
    record.entered_by = None
    record.save(update_fields=["entered_by"])
    client.post(url(ConsentRecord, "edit", record.pk),
                consent_data(consent_form, collective=str(collective.pk), scopes=["observation"]))
    record.refresh_from_db()
    assert record.scopes == ["observation"] and record.entered_by is None


def test_consent_record_for_an_informant(client, people, bureau, consent_form, make_collective):
    informant = Informant.objects.create(collective=make_collective(bureau, scopes=()), pseudonym="Dom")
    client_for(client, people["coordinator"])
    response = client.post(url(ConsentRecord, "add"),
                           consent_data(consent_form, informant=str(informant.pk), scopes=["interview"]))
    assert response.status_code == 302, response.context["form"].errors
    assert ConsentRecord.objects.get(informant=informant).scopes == ["interview"]


@pytest.mark.parametrize("case", ["both", "none", "withdrawn_before_given", "unknown_scope", "no_scope",
                                  "forged_collective", "forged_form", "form_of_another_bureau"])
def test_consent_record_bad_input_changes_nothing(client, people, bureau, other_bureau, consent_form,
                                                   make_collective, make_person, case):
    ours = make_collective(bureau, scopes=())
    theirs = make_collective(other_bureau, scopes=())
    informant = Informant.objects.create(collective=ours, pseudonym="Eli")
    other_form = ConsentForm.objects.create(bureau=other_bureau, title="Ailleurs", text="…")
    user = people["coordinator"]
    data = consent_data(consent_form, collective=str(ours.pk))
    if case == "both":
        data["informant"] = str(informant.pk)
    elif case == "none":
        data["collective"] = ""
    elif case == "withdrawn_before_given":
        data["withdrawn_at"] = "2025-02-01 10:00"
    elif case == "unknown_scope":
        data["scopes"] = ["observation", "telepathy"]
    elif case == "no_scope":
        data["scopes"] = []
    elif case == "forged_collective":
        data["collective"] = str(theirs.pk)
    elif case == "forged_form":
        data["form"] = str(other_form.pk)
    elif case == "form_of_another_bureau":
        # A coordinator of both bureaus may pick either form, but not one of the other bureau's.
        Membership.objects.create(user=user, bureau=other_bureau, role=Role.COORDINATOR)
        data["form"] = str(other_form.pk)
    before = ConsentRecord.objects.count()
    client_for(client, user)
    response = client.post(url(ConsentRecord, "add"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors
    messages = [str(m) for errors in form.errors.values() for m in errors]
    assert len(messages) == len(set(messages)), messages  # each problem said once
    if case in ("both", "none"):
        assert len(form.non_field_errors()) == 1
    if case == "withdrawn_before_given":
        assert "withdrawn_at" in form.errors
    if case in ("unknown_scope", "no_scope"):
        assert "scopes" in form.errors
    if case in ("forged_form", "form_of_another_bureau"):
        assert "form" in form.errors
    if case == "forged_collective":
        assert "collective" in form.errors
    assert ConsentRecord.objects.count() == before


def test_consent_record_list_is_scoped_and_filters(client, people, bureau, other_bureau, make_collective):
    withdrawn = make_collective(bureau, "Retirée", scopes=("observation",))
    withdrawn.consents.update(withdrawn_at=timezone.now())
    make_collective(bureau, "Citée", scopes=("quotation",))
    make_collective(other_bureau, "Étrangère")
    client_for(client, people["coordinator"])
    response = client.get(url(ConsentRecord, "list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "C-01" in body and "C-02" in body
    assert len(response.context["object_list"]) == 2

    records = lambda **params: {r.collective.name for r in client.get(url(ConsentRecord, "list"), params)  # noqa: E731
                                .context["object_list"]}
    assert records(scope="quotation") == {"Citée"}
    assert records(scope="observation") == {"Retirée"}
    assert records(withdrawn="true") == {"Retirée"}
    assert records(withdrawn="false") == {"Citée"}
    assert records(q="Cit") == {"Citée"}


def test_consent_record_of_another_bureau_cannot_be_edited(client, people, other_bureau, make_collective):
    record = make_collective(other_bureau).consents.get()
    client_for(client, people["coordinator"])
    response = client.post(url(ConsentRecord, "edit", record.pk),
                           consent_data(record.form, collective=str(record.collective_id),
                                        withdrawn_at="2030-01-01 10:00"))
    assert response.status_code == 404
    record.refresh_from_db()
    assert record.withdrawn_at is None


def test_withdrawing_a_consent_in_the_admin(client, people, bureau, make_collective):
    collective = make_collective(bureau)
    record = collective.consents.get()
    client_for(client, people["coordinator"])
    given = timezone.localtime(record.given_at)
    withdrawn = given + timedelta(hours=1)
    data = consent_data(record.form, collective=str(collective.pk), scopes=record.scopes,
                        given_at=given.strftime("%Y-%m-%d %H:%M"), withdrawn_at=withdrawn.strftime("%Y-%m-%d %H:%M"))
    response = client.post(url(ConsentRecord, "edit", record.pk), data)
    assert response.status_code == 302, response.context["form"].errors
    record.refresh_from_db()
    assert record.withdrawn_at is not None


def test_consent_record_list_queries_do_not_grow(client, people, bureau, make_collective):
    client_for(client, people["coordinator"])
    make_collective(bureau)
    informant = Informant.objects.create(collective=make_collective(bureau), pseudonym="Fa")
    form = ConsentForm.objects.get(bureau=bureau)
    ConsentRecord.objects.create(form=form, informant=informant, scopes=["interview"])
    small = count_queries(client, url(ConsentRecord, "list"))
    for i in range(8):
        informant = Informant.objects.create(collective=make_collective(bureau), pseudonym=f"P{i}")
        ConsentRecord.objects.create(form=form, informant=informant, scopes=["interview"])
    assert count_queries(client, url(ConsentRecord, "list")) == small
