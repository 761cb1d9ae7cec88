"""Issue 18, part 3: the bureau's public inventory of resources.

Only published resources reach the public page, its filters and its feed; members propose, a
coordinator publishes at once — or, when the bureau's table has a line for « publication of a
resource », opens a vote whose adoption publishes. Bad input changes nothing; the page costs the
same queries at two sizes and its anonymous copy is renewed when a resource changes.
"""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client
from django.utils import timezone, translation

from commons import actions
from commons import resources as services
from commons.models import DecisionRule, KindRule, Proposal, Resource
from commons.models.governance import ProposalKind, Status
from commons.rules import ensure_default_rules
from tests.conftest import client_for, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def url(bureau, tail: str = "") -> str:
    return f"{bureau.url}resources/{tail}"


def make(bureau, title="Guide", *, published=True, themes=(), **fields) -> Resource:
    values = {"kind": "guide", "summary": "Un **bon** guide.", "url": f"https://example.org/{title}",
              "language": "fr", "audience": "everyone"} | fields  # fmt: skip
    resource = Resource.objects.create(bureau=bureau, title=title, **values)
    if published:
        resource.status, resource.published_at = "published", timezone.now()
        resource.save()
    if themes:
        resource.themes.set(list(themes))
    return resource


def govern(bureau) -> None:
    ensure_default_rules(bureau)
    KindRule.objects.create(
        bureau=bureau, kind=ProposalKind.RESOURCE, rule=DecisionRule.objects.get(bureau=bureau, is_default=True)
    )


def text(response) -> str:
    return unescape(response.content.decode())


def test_the_public_page_shows_published_resources_only(client, bureau, other_bureau, people):
    make(bureau, "Guide public", themes=["sobriété"], licence="CC BY-SA 4.0")
    make(bureau, "Idée en attente", published=False)
    make(other_bureau, "Guide d'ailleurs")
    page = text(client.get(url(bureau)))
    assert "Guide public" in page and "CC BY-SA 4.0" in page and "sobriété" in page
    assert "<strong>bon</strong>" in page  # the summary's Markdown, rendered through commons.markup
    assert "Idée en attente" not in page and "Guide d'ailleurs" not in page
    member_page = text(client_for(client, people["member"]).get(url(bureau)))
    assert "Idée en attente" in member_page and "Guide d'ailleurs" not in member_page
    assert f'href="{url(bureau)}"' in text(Client().get(bureau.url))  # linked from the bureau page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "tool"}, {"Outil"}),
        ({"language": "en"}, {"Dataset"}),
        ({"audience": "researchers"}, {"Dataset"}),
        ({"theme": "SOBRIÉTÉ"}, {"Guide", "Outil"}),
        ({"kind": "guide", "theme": "sobriété"}, {"Guide"}),
    ],
)
def test_filters(client, bureau, query, expected):
    make(bureau, "Guide", themes=["sobriété"])
    make(bureau, "Outil", kind="tool", themes=["sobriété", "données"])
    make(bureau, "Dataset", kind="dataset", language="en", audience="researchers")
    response = client.get(url(bureau), query)
    assert response.status_code == 200
    assert {resource.title for resource in response.context["resources"]} == expected


def test_an_unknown_filter_is_reported_and_left_out(client, bureau):
    make(bureau, "Guide")
    response = client.get(url(bureau), {"kind": "nonsense", "language": "<script>"})
    assert response.status_code == 200
    assert "Some filters are not valid" in text(response)
    assert [resource.title for resource in response.context["resources"]] == ["Guide"]


def test_the_feed_lists_published_resources(client, bureau):
    make(bureau, "Guide public", url="https://example.org/guide-public")
    make(bureau, "Brouillon", published=False)
    response = client.get(url(bureau, "feed/"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    feed = text(response)
    assert "Guide public" in feed and "https://example.org/guide-public" in feed and "Brouillon" not in feed


def test_a_member_proposes_and_a_coordinator_publishes(client, bureau, people):
    data = {"title": "Boussole", "kind": "tool", "summary": "Choisir un outil.", "url": "https://example.org/b",
            "language": "fr", "audience": "collectives", "themes": "choix, sobriété"}  # fmt: skip
    response = client_for(client, people["member"]).post(url(bureau, "new/"), data)
    assert response.status_code == 302
    resource = Resource.objects.get(title="Boussole")
    assert resource.status == "proposed" and resource.proposed_by == people["member"]
    assert sorted(resource.themes.names()) == ["choix", "sobriété"]
    assert "Boussole" not in text(Client().get(url(bureau)))
    response = client_for(client, people["coordinator"]).post(url(bureau, f"{resource.pk}/publish/"))
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.is_published and resource.published_at is not None
    assert not Proposal.objects.exists()  # no line in the table: no vote
    assert "Boussole" in text(Client().get(url(bureau)))
    client_for(client, people["coordinator"]).post(url(bureau, f"{resource.pk}/unpublish/"))
    assert "Boussole" not in text(Client().get(url(bureau)))


def test_bad_input_changes_nothing(client, bureau, people):
    member = client_for(client, people["member"])
    bad = {"title": "", "kind": "spaceship", "summary": " ", "url": "javascript:alert(1)", "language": "fr",
           "audience": "everyone", "themes": ",".join(f"t{i}" for i in range(20))}  # fmt: skip
    response = member.post(url(bureau, "new/"), bad)
    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"title", "kind", "summary", "url", "themes"}
    assert not Resource.objects.exists()
    coordinator = client_for(client, people["coordinator"])
    published = make(bureau, "Déjà public")
    response = coordinator.post(url(bureau, f"{published.pk}/publish/"), follow=True)
    assert "already published" in text(response)
    assert coordinator.post(url(bureau, "999999/publish/")).status_code == 404


def test_with_a_line_in_the_table_publication_goes_to_the_vote(client, bureau, people):
    govern(bureau)
    resource = make(bureau, "Guide voté", published=False)
    response = client_for(client, people["coordinator"]).post(url(bureau, f"{resource.pk}/publish/"))
    proposal = Proposal.objects.get(kind=ProposalKind.RESOURCE)
    assert response.status_code == 302 and response.url.endswith(f"proposals/{proposal.pk}/")
    assert proposal.status == Status.OPEN and proposal.payload["resource"] == resource.pk
    resource.refresh_from_db()
    assert not resource.is_published
    page = text(client_for(client, people["member"]).get(url(bureau)))
    assert "Vote on its publication" in page
    detail = text(client_for(client, people["member"]).get(f"{bureau.url}proposals/{proposal.pk}/"))
    assert "Guide voté" in detail  # the change it carries, on the proposal's page
    # A second « publish » while the vote runs is refused.
    with pytest.raises(services.ResourceError):
        services.publish(resource, people["coordinator"])
    for elector in proposal.electors.select_related("user"):
        actions.cast_ballot(proposal, elector.user, choice="for")
    Proposal.objects.filter(pk=proposal.pk).update(closes_at=timezone.now())
    decision = actions.close_proposal(proposal.pk)
    assert decision.adopted
    resource.refresh_from_db()
    assert resource.is_published
    assert "Guide voté" in text(Client().get(url(bureau)))
    register = text(Client().get(f"{bureau.url}decisions/"))
    assert "Publiée : la ressource « Guide voté »" in register  # an anonymous visitor reads French
    assert f"resources/#resource-{resource.pk}" in register


def test_a_rejected_vote_publishes_nothing(bureau, people):
    govern(bureau)
    resource = make(bureau, "Guide refusé", published=False)
    proposal = services.publish(resource, people["coordinator"])
    for elector in proposal.electors.select_related("user"):
        actions.cast_ballot(proposal, elector.user, choice="against")
    Proposal.objects.filter(pk=proposal.pk).update(closes_at=timezone.now())
    assert not actions.close_proposal(proposal.pk).adopted
    resource.refresh_from_db()
    assert not resource.is_published


def test_a_resource_deleted_during_the_vote_is_not_applicable(bureau, people):
    govern(bureau)
    resource = make(bureau, "Guide effacé", published=False)
    proposal = services.publish(resource, people["coordinator"])
    resource.delete()
    for elector in proposal.electors.select_related("user"):
        actions.cast_ballot(proposal, elector.user, choice="for")
    Proposal.objects.filter(pk=proposal.pk).update(closes_at=timezone.now())
    assert actions.close_proposal(proposal.pk).adopted
    proposal.refresh_from_db()
    assert proposal.change_result["status"] == "not_applicable"


@pytest.mark.parametrize("who", ["anonymous", "coordinator"])
def test_queries_do_not_grow(client, bureau, people, who, settings):
    settings.BEC_PAGE_CACHE = False
    if who != "anonymous":
        client_for(client, people[who])

    def populate(n: int, start: int) -> None:
        for i in range(start, start + n):
            make(bureau, f"R{i}", themes=[f"thème {i}", "commun"], published=bool(i % 2))

    populate(3, 0)
    small = (count_queries(client, url(bureau)), count_queries(client, url(bureau, "feed/")),
             count_queries(client, url(bureau) + "?theme=commun"))  # fmt: skip
    populate(15, 3)
    large = (count_queries(client, url(bureau)), count_queries(client, url(bureau, "feed/")),
             count_queries(client, url(bureau) + "?theme=commun"))  # fmt: skip
    assert large == small


def test_the_cached_page_is_renewed_when_a_resource_changes(bureau, settings):
    settings.BEC_PAGE_CACHE = True
    anonymous = Client()
    make(bureau, "Premier")
    assert "Premier" in text(anonymous.get(url(bureau)))
    make(bureau, "Second", themes=["neuf"])
    page = text(anonymous.get(url(bureau)))
    assert "Second" in page and "neuf" in page
    Resource.objects.get(title="Second").themes.add("encore")
    assert "encore" in text(anonymous.get(url(bureau)))


def english() -> Client:
    fresh = Client()
    fresh.cookies["django_language"] = "en"
    return fresh


EDIT = {"title": "Guide corrigé", "kind": "guide", "summary": "Mieux dit.", "url": "https://example.org/c",
        "language": "fr", "audience": "everyone", "themes": "sobriété"}  # fmt: skip


def test_the_proposer_edits_and_withdraws_their_proposed_resource(client, bureau, people):
    resource = make(bureau, "Mon guide", published=False, proposed_by=people["member"])
    member = client_for(client, people["member"])
    page = text(member.get(url(bureau)))
    assert f"resources/{resource.pk}/edit/" in page and f"resources/{resource.pk}/withdraw/" in page
    edit = member.get(url(bureau, f"{resource.pk}/edit/"))
    assert edit.status_code == 200 and "Mon guide" in text(edit)  # the form holds the current values
    assert member.post(url(bureau, f"{resource.pk}/edit/"), EDIT).status_code == 302
    resource.refresh_from_db()
    assert resource.title == "Guide corrigé" and not resource.is_published  # editing never publishes
    assert list(resource.themes.names()) == ["sobriété"]
    # Withdrawing asks first: the GET deletes nothing.
    ask = member.get(url(bureau, f"{resource.pk}/withdraw/"))
    assert ask.status_code == 200 and "Are you sure?" in text(ask)
    assert Resource.objects.filter(pk=resource.pk).exists()
    assert member.post(url(bureau, f"{resource.pk}/withdraw/")).status_code == 302
    assert not Resource.objects.filter(pk=resource.pk).exists()


def test_bad_edits_change_nothing(client, bureau, people):
    resource = make(bureau, "Mon guide", published=False, proposed_by=people["member"])
    member = client_for(client, people["member"])
    response = member.post(url(bureau, f"{resource.pk}/edit/"), EDIT | {"url": "javascript:alert(1)", "title": ""})
    assert response.status_code == 400 and {"url", "title"} <= set(response.context["form"].errors)
    resource.refresh_from_db()
    assert resource.title == "Mon guide"
    assert member.post(url(bureau, "999999999999999999999/edit/"), EDIT).status_code == 404


@pytest.mark.parametrize("who", ["other voter", "observer", "outsider", "other_member"])
def test_only_the_proposer_and_coordinators_change_a_resource(client, bureau, people, make_person, who):
    from commons.models import Role

    resource = make(bureau, "Mon guide", published=False, proposed_by=people["member"])
    user = make_person(bureau, Role.MEMBER) if who == "other voter" else people[who]
    visitor = client_for(client, user)
    assert visitor.post(url(bureau, f"{resource.pk}/edit/"), EDIT).status_code == 403
    assert visitor.post(url(bureau, f"{resource.pk}/withdraw/")).status_code == 403
    resource.refresh_from_db()
    assert resource.title == "Mon guide"
    if who == "other voter":
        page = text(visitor.get(url(bureau)))
        assert "Mon guide" in page and f"resources/{resource.pk}/edit/" not in page


def test_a_coordinator_of_another_bureau_cannot_reach_this_bureaus_resource(client, bureau, other_bureau, people):
    resource = make(bureau, "Guide d'ici", published=False)
    stranger = client_for(client, people["other_member"])  # coordinator of `other_bureau`
    for action in ("edit/", "withdraw/", "publish/"):
        assert stranger.post(url(other_bureau, f"{resource.pk}/{action}"), EDIT).status_code == 404
    resource.refresh_from_db()
    assert resource.title == "Guide d'ici" and not resource.is_published


def test_once_published_only_coordinators_edit_and_nobody_withdraws(client, bureau, people):
    resource = make(bureau, "Guide public", proposed_by=people["member"])
    member = client_for(client, people["member"])
    assert member.post(url(bureau, f"{resource.pk}/edit/"), EDIT).status_code == 403
    assert member.post(url(bureau, f"{resource.pk}/withdraw/")).status_code == 403
    coordinator = client_for(english(), people["coordinator"])
    assert f"resources/{resource.pk}/edit/" in text(coordinator.get(url(bureau)))
    assert coordinator.post(url(bureau, f"{resource.pk}/edit/"), EDIT).status_code == 302
    resource.refresh_from_db()
    assert resource.title == "Guide corrigé" and resource.is_published
    assert "Guide corrigé" in text(Client().get(url(bureau)))
    response = coordinator.post(url(bureau, f"{resource.pk}/withdraw/"), follow=True)
    assert "Unpublish this resource before withdrawing it" in text(response)
    assert Resource.objects.filter(pk=resource.pk).exists()


def test_nothing_changes_while_the_bureau_votes_on_it(client, bureau, people):
    govern(bureau)
    resource = make(bureau, "Guide voté", published=False, proposed_by=people["member"])
    services.publish(resource, people["coordinator"])
    for who in ("member", "coordinator"):
        visitor = client_for(english(), people[who])
        assert f"resources/{resource.pk}/edit/" not in text(visitor.get(url(bureau)))
        response = visitor.post(url(bureau, f"{resource.pk}/edit/"), EDIT, follow=True)
        assert "it cannot change until the vote is over" in text(response)
        visitor.post(url(bureau, f"{resource.pk}/withdraw/"))
    resource.refresh_from_db()
    assert resource.title == "Guide voté"


def test_themes_are_split_on_commas_only_and_edited_as_typed(client, bureau, people):
    """« protection des données » alone is one theme (taggit's field would make three of it), and the
    edit form shows the themes as they were typed, without taggit's quotes."""
    member = client_for(client, people["member"])
    member.post(url(bureau, "new/"), EDIT | {"title": "Un thème", "themes": "protection des données"})
    resource = Resource.objects.get(title="Un thème")
    assert list(resource.themes.names()) == ["protection des données"]
    member.post(url(bureau, f"{resource.pk}/edit/"), EDIT | {"title": "Un thème",
                                                             "themes": "souveraineté numérique, Gouvernance, gouvernance"})  # fmt: skip
    assert sorted(resource.themes.names()) == ["Gouvernance", "souveraineté numérique"]
    form = member.get(url(bureau, f"{resource.pk}/edit/")).context["form"]
    assert form["themes"].value() == "Gouvernance, souveraineté numérique"


def test_hostile_posts_to_edit_and_withdraw_change_nothing(bureau, people):
    """Arrays, oversized values, unknown choices, a forged (token-less) POST: refused, never a 500."""
    resource = make(bureau, "Mon guide", published=False, proposed_by=people["member"])
    member = client_for(english(), people["member"])
    hostile = EDIT | {"title": "x" * 5000, "kind": ["guide", "tool"], "language": "klingon",
                      "themes": "a" * 2000, "url": "https://" + "e" * 600 + ".org"}  # fmt: skip
    response = member.post(url(bureau, f"{resource.pk}/edit/"), hostile)
    assert response.status_code == 400
    assert {"title", "language", "themes", "url"} <= set(response.context["form"].errors)
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(people["member"])
    assert forged.post(url(bureau, f"{resource.pk}/withdraw/")).status_code == 403
    assert forged.post(url(bureau, f"{resource.pk}/edit/"), EDIT).status_code == 403
    resource.refresh_from_db()
    assert resource.title == "Mon guide"
