"""BureauPage: groups and admin rights on its own subtree, college weights, Markdown, query counts."""

from __future__ import annotations

import pytest
from wagtail.models import Page

from commons.models import BureauPage, Role
from commons.models.bureau import validate_college_weights
from tests.conftest import count_queries


def test_creating_a_bureau_creates_its_groups_with_permissions_on_its_subtree(bureau):
    assert bureau.members_group and bureau.coordinators_group
    member_perms = set(bureau.members_group.page_permissions.values_list("page_id", "permission__codename"))
    assert member_perms == {(bureau.pk, "add_page"), (bureau.pk, "change_page")}
    coordinator_codenames = set(bureau.coordinators_group.page_permissions.values_list("permission__codename",
                                                                                      flat=True))
    assert {"publish_page", "change_page"} <= coordinator_codenames
    assert bureau.members_group.permissions.filter(codename="access_admin").exists()


def test_members_can_edit_their_bureau_in_the_admin_and_no_other(client, people, bureau, other_bureau):
    member = people["member"]
    assert bureau.permissions_for_user(member).can_edit()
    assert not other_bureau.permissions_for_user(member).can_edit()
    assert not bureau.permissions_for_user(member).can_publish()
    assert bureau.permissions_for_user(people["coordinator"]).can_publish()
    assert not bureau.permissions_for_user(people["observer"]).can_edit()
    assert not bureau.permissions_for_user(people["outsider"]).can_edit()

    client.force_login(member)
    assert client.get(f"/admin/pages/{bureau.pk}/edit/").status_code == 200
    refused = client.get(f"/admin/pages/{other_bureau.pk}/edit/")  # Wagtail: back to the dashboard, with a message
    assert (refused.status_code, refused.url) == (302, "/admin/")


def test_observers_and_outsiders_have_no_admin(client, people):
    for who in ("observer", "outsider"):
        client.force_login(people[who])
        response = client.get("/admin/")  # no access_admin: Wagtail sends them to the login page
        assert (response.status_code, response.url) == (302, "/accounts/login/?next=/admin/"), who


@pytest.mark.parametrize("weights, ok", [([30, 40, 30], True), ([], True), ([100], True),
                                         ([30, 40, 31], False), ([50], False)])
def test_college_weights_must_sum_to_100(weights, ok):
    assert (validate_college_weights(weights) is None) == ok


def test_admin_refuses_colleges_that_do_not_sum_to_100(client, home, make_person, django_user_model):
    admin = make_person(is_superuser=True, is_staff=True)
    client.force_login(admin)
    data = {
        "title": "Nouveau bureau", "slug": "nouveau-bureau", "question": "Q ?", "charter": "", "governance": "",
        "colleges-TOTAL_FORMS": "2", "colleges-INITIAL_FORMS": "0", "colleges-MIN_NUM_FORMS": "0",
        "colleges-MAX_NUM_FORMS": "1000",
        "colleges-0-name": "A", "colleges-0-weight": "60", "colleges-0-description": "", "colleges-0-ORDER": "1",
        "colleges-0-id": "", "colleges-0-DELETE": "",
        "colleges-1-name": "B", "colleges-1-weight": "30", "colleges-1-description": "", "colleges-1-ORDER": "2",
        "colleges-1-id": "", "colleges-1-DELETE": "",
        "comments-TOTAL_FORMS": "0", "comments-INITIAL_FORMS": "0", "comments-MIN_NUM_FORMS": "0",
        "comments-MAX_NUM_FORMS": "1000",
    }
    url = f"/admin/pages/add/commons/bureaupage/{home.pk}/"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "100" in str(response.context["form"].non_field_errors())
    assert not BureauPage.objects.filter(slug="nouveau-bureau").exists()

    data["colleges-1-weight"] = "40"
    response = client.post(url, data)
    assert response.status_code == 302
    created = BureauPage.objects.get(slug="nouveau-bureau")
    assert sorted(c.weight for c in created.colleges.all()) == [40, 60]
    assert created.members_group is not None


def test_charter_is_stored_as_sanitised_html(bureau):
    bureau.charter = "**gras** <script>alert(1)</script> [x](javascript:alert(1))"
    bureau.save()
    bureau.refresh_from_db()
    assert "<strong>gras</strong>" in bureau.charter_html
    assert "<script" not in bureau.charter_html and "javascript:" not in bureau.charter_html


def test_home_page_lists_live_bureaus_in_french(client, bureau, other_bureau):
    other_bureau.unpublish()
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in body
    assert bureau.title in body
    assert other_bureau.title not in body


def test_english_on_request(client, bureau):
    client.cookies["django_language"] = "en"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_browser_language_does_not_override_french(client, bureau):
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="fr">' in body




@pytest.mark.parametrize("who", ["anonymous", "coordinator"])
def test_bureau_and_members_pages_cost_the_same_queries_with_5_and_50_members(client, make_bureau, make_person,
                                                                              who):
    bureau = make_bureau()
    coordinator = make_person(bureau, Role.COORDINATOR)
    for _ in range(4):
        make_person(bureau, Role.MEMBER)
    if who == "coordinator":
        client.force_login(coordinator)
    urls = [bureau.url] + ([bureau.url + "members/"] if who == "coordinator" else [])
    small = [count_queries(client, url) for url in urls]
    for i in range(45):
        make_person(bureau, [Role.MEMBER, Role.OBSERVER][i % 2])
    assert bureau.memberships.active().count() == 50
    large = [count_queries(client, url) for url in urls]
    assert small == large


def test_home_page_queries_do_not_grow_with_bureaus(client, make_bureau):
    make_bureau()
    small = count_queries(client, "/")
    for _ in range(5):
        make_bureau()
    assert count_queries(client, "/") == small


def test_bureau_can_only_live_under_the_home_page(home):
    assert BureauPage.can_create_at(home)
    assert not BureauPage.can_create_at(Page.get_first_root_node())


def test_bureau_page_links_to_its_published_studies(client, bureau, make_study):
    """Studies are reached from their bureau's page; unpublished ones are not listed."""
    shown, hidden = make_study(bureau, "Étude visible"), make_study(bureau, "Étude en préparation")
    hidden.unpublish()
    body = client.get(bureau.url).content.decode()
    assert f'href="{shown.url}"' in body
    assert hidden.title not in body
