"""Every route of a bureau, for every kind of visitor: the one answer each gets.

The walk iterates `BureauPage.get_subpage_urls()`, so a route added without an expectation here
fails `test_every_route_is_walked`, and a route whose view does not state its access with a guard
of `commons.permissions` fails `test_every_declared_route_states_its_access`.

Speed: the bureaus, people and proposals are built once for the module, inside a transaction
rolled back when the module ends (Django's `setUpTestData` pattern); every request runs in a
savepoint rolled back after it, so a successful write by one visitor never changes what the next
one meets.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import override

from bec_site.models import HomePage
from commons import actions
from commons.models import (
    BureauPage,
    College,
    DecisionRule,
    Invitation,
    Membership,
    Proposal,
    Reference,
    Resource,
    Role,
)
from commons.models.governance import Method
from commons.permissions import COORDINATORS_ONLY, LIBRARY_WRITERS_ONLY, MEMBERS_ONLY, VOTERS_ONLY
from participants.models import LeaveRequest, MemberProfile

ROLES = ("anonymous", "outsider", "observer", "member", "coordinator", "other_member")

LOGIN = "login"  # 302 to the login page, with ?next=
DONE = "done"  # 302 somewhere else: the write was accepted
#: 403 pages, by the reason they give (`commons.permissions`): outsiders, observers, non-coordinators.
NOT_A_MEMBER, NOT_A_VOTER, NOT_A_COORDINATOR = "403 members only", "403 voters only", "403 coordinators only"
NOT_A_LIBRARY_WRITER = "403 library writers only"
REASONS = {NOT_A_MEMBER: MEMBERS_ONLY, NOT_A_VOTER: VOTERS_ONLY, NOT_A_COORDINATOR: COORDINATORS_ONLY,
           NOT_A_LIBRARY_WRITER: LIBRARY_WRITERS_ONLY}

PUBLIC = dict.fromkeys(ROLES, 200)
POST_ONLY = dict.fromkeys(ROLES, 405)
MEMBERS_READ = {"anonymous": LOGIN, "outsider": NOT_A_MEMBER, "observer": 200, "member": 200, "coordinator": 200,
                "other_member": NOT_A_MEMBER}
VOTERS_READ = MEMBERS_READ | {"observer": NOT_A_VOTER}
MEMBERS_WRITE = MEMBERS_READ | {"observer": DONE, "member": DONE, "coordinator": DONE}
VOTERS_WRITE = MEMBERS_WRITE | {"observer": NOT_A_VOTER}
COORDINATORS_READ = MEMBERS_READ | {"observer": NOT_A_COORDINATOR, "member": NOT_A_COORDINATOR}
COORDINATORS_WRITE = MEMBERS_WRITE | {"observer": NOT_A_COORDINATOR, "member": NOT_A_COORDINATOR}

#: (route name, method) -> the answer of each visitor. Routes not in READ_ONLY are also POSTed.
EXPECTED = {
    ("index_route", "GET"): PUBLIC,
    ("members", "GET"): MEMBERS_READ,
    ("invite", "GET"): POST_ONLY,
    ("invite", "POST"): COORDINATORS_WRITE,
    ("edit_membership", "GET"): POST_ONLY,
    ("edit_membership", "POST"): COORDINATORS_WRITE,
    ("remove_membership", "GET"): COORDINATORS_READ,  # « are you sure? », then POST
    ("remove_membership", "POST"): COORDINATORS_WRITE,
    # The erasure of a member who asked to leave (issue 16): coordinators only, asking first.
    ("confirm_erasure", "GET"): COORDINATORS_READ,
    ("confirm_erasure", "POST"): COORDINATORS_WRITE,
    ("revoke_invitation", "GET"): COORDINATORS_READ,
    ("revoke_invitation", "POST"): COORDINATORS_WRITE,
    ("proposal_list", "GET"): MEMBERS_READ,
    ("proposal_new", "GET"): VOTERS_READ,
    ("proposal_new", "POST"): VOTERS_WRITE,
    ("proposal_detail", "GET"): MEMBERS_READ,
    ("proposal_vote", "GET"): POST_ONLY,
    ("proposal_vote", "POST"): VOTERS_WRITE,
    ("proposal_comment", "GET"): POST_ONLY,
    ("proposal_comment", "POST"): MEMBERS_WRITE,  # observers take part in the discussion
    ("proposal_open", "GET"): POST_ONLY,
    ("proposal_open", "POST"): COORDINATORS_WRITE,
    ("proposal_extend", "GET"): POST_ONLY,
    ("proposal_extend", "POST"): COORDINATORS_WRITE,
    ("proposal_withdraw", "GET"): COORDINATORS_READ,  # « are you sure? », then POST
    ("proposal_withdraw", "POST"): COORDINATORS_WRITE,
    ("proposal_close", "GET"): POST_ONLY,
    # The draft's author (the coordinator) edits and deletes it; the member may not even see it.
    ("proposal_edit", "GET"): VOTERS_READ | {"member": 404},
    ("proposal_edit", "POST"): VOTERS_WRITE | {"member": 404},
    ("proposal_delete", "GET"): VOTERS_READ | {"member": 404},
    ("proposal_delete", "POST"): VOTERS_WRITE | {"member": 404},
    ("proposal_close", "POST"): COORDINATORS_WRITE,
    ("decision_register", "GET"): PUBLIC,
    ("decision_verify", "GET"): PUBLIC,
    ("decision_csv", "GET"): PUBLIC,
    ("feed", "GET"): PUBLIC,  # the Atom feed of reports and decisions
    # Resources (issue 18): public list and feed; voting members propose; coordinators publish.
    ("resources", "GET"): PUBLIC,
    ("resource_feed", "GET"): PUBLIC,
    ("resource_new", "GET"): VOTERS_READ,
    ("resource_new", "POST"): VOTERS_WRITE,
    ("resource_publish", "GET"): COORDINATORS_READ | {"coordinator": 405},
    ("resource_publish", "POST"): COORDINATORS_WRITE,
    ("resource_unpublish", "GET"): COORDINATORS_READ | {"coordinator": 405},
    ("resource_unpublish", "POST"): COORDINATORS_WRITE,
    # The world's resource is proposed by « member »: its proposer and the coordinators change it.
    ("resource_edit", "GET"): VOTERS_READ,
    ("resource_edit", "POST"): VOTERS_WRITE,
    ("resource_withdraw", "GET"): VOTERS_READ,  # « are you sure? », then POST
    ("resource_withdraw", "POST"): VOTERS_WRITE,
    # The library (issue 18): members read it, observers included; voting members import (an empty
    # POST is the form's 400: nothing written).
    ("library", "GET"): MEMBERS_READ,
    ("reference_detail", "GET"): MEMBERS_READ,
    ("library_export_bib", "GET"): MEMBERS_READ,
    ("library_export_ris", "GET"): MEMBERS_READ,
    ("library_export_json", "GET"): MEMBERS_READ,
    ("library_import", "GET"): MEMBERS_READ | {"observer": NOT_A_LIBRARY_WRITER},
    ("reference_new", "GET"): MEMBERS_READ | {"observer": NOT_A_LIBRARY_WRITER},
    ("reference_new", "POST"): MEMBERS_READ | {"observer": NOT_A_LIBRARY_WRITER, "member": DONE,
                                               "coordinator": DONE},
    ("reference_edit", "GET"): MEMBERS_READ | {"observer": NOT_A_LIBRARY_WRITER},
    ("reference_edit", "POST"): MEMBERS_READ | {"observer": NOT_A_LIBRARY_WRITER, "member": DONE,
                                                "coordinator": DONE},
    # The citation style is the coordinators' (POST only).
    ("library_style", "GET"): COORDINATORS_READ | {"coordinator": 405},
    ("library_style", "POST"): COORDINATORS_READ | {"coordinator": DONE},
    # Deleting asks first (GET), then deletes (POST): the reference is read by no study.
    ("reference_delete", "GET"): MEMBERS_READ | {"observer": NOT_A_LIBRARY_WRITER},
    ("reference_delete", "POST"): MEMBERS_READ | {"observer": NOT_A_LIBRARY_WRITER, "member": DONE,
                                                  "coordinator": DONE},
    ("library_import", "POST"): MEMBERS_READ | {"observer": NOT_A_LIBRARY_WRITER, "member": 400,
                                                "coordinator": 400},
    # Proxies: the coordinator is the holder named in the POST (a proxy to oneself is refused), and
    # the proxy to revoke is the member's (another's is not found).
    ("proxies", "GET"): VOTERS_READ,
    ("proxies", "POST"): VOTERS_WRITE | {"coordinator": 400},
    ("proxy_revoke", "GET"): VOTERS_READ | {"coordinator": 404},
    ("proxy_revoke", "POST"): VOTERS_WRITE | {"coordinator": 404},
}
#: Routes that only read: their GET is walked, a POST to them is not a case of its own.
READ_ONLY = {"index_route", "members", "proposal_list", "proposal_detail", "decision_register",
             "decision_verify", "decision_csv", "feed", "resources", "resource_feed",
             "library", "reference_detail", "library_export_bib", "library_export_ris", "library_export_json"}

ROUTES = [route.name for route in BureauPage.get_subpage_urls()]
CASES = [(name, "GET") for name in ROUTES] + [(name, "POST") for name in ROUTES if name not in READ_ONLY]


def _person(n: int, email: str, bureau: BureauPage | None = None, role: str | None = None,
            college: College | None = None):
    user = get_user_model().objects.create_user(username=f"walker{n}", email=email, password="x-walk-1234")
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    MemberProfile.objects.create(user=user, display_name=f"Marcheur {n}", category="researcher")
    if bureau is not None:
        Membership.objects.create(user=user, bureau=bureau, role=role, college=college)
    return user


def _bureau(home: HomePage, slug: str) -> tuple[BureauPage, College]:
    bureau = BureauPage(title=f"Bureau {slug}", slug=slug, question="Q ?", charter="", governance="")
    bureau.colleges.add(College(name="Tous", weight=100, sort_order=0))
    home.add_child(instance=bureau)
    bureau.save_revision().publish()
    bureau.refresh_from_db()
    return bureau, bureau.colleges.get()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Two bureaus, one person per kind of visitor, an open vote, a draft and a pending invitation."""
    with django_db_blocker.unblock(), transaction.atomic():
        home = HomePage.objects.get()
        bureau, college = _bureau(home, "marche")
        other, other_college = _bureau(home, "ailleurs")
        people = {
            "anonymous": None,
            "outsider": _person(1, "dehors@example.org"),
            "observer": _person(2, "observe@example.org", bureau, Role.OBSERVER),
            "member": _person(3, "membre@example.org", bureau, Role.MEMBER, college),
            "coordinator": _person(4, "coordonne@example.org", bureau, Role.COORDINATOR, college),
            "other_member": _person(5, "autre@example.org", other, Role.COORDINATOR, other_college),
        }
        rule = DecisionRule.objects.create(bureau=bureau, name="Majorité", method=Method.MAJORITY,
                                           is_default=True, min_days_before_early_close=0)
        running = actions.create_proposal(bureau, people["member"], title="En cours", body="Texte.", rule=rule)
        running = actions.open_proposal(running, people["coordinator"], timezone.now() + timedelta(days=7))
        draft = actions.create_proposal(bureau, people["coordinator"], title="Brouillon", body="Texte.",
                                        rule=rule)
        invitation, _token = Invitation.issue(email="invite@example.org", bureau=bureau, role=Role.MEMBER)
        target = Membership.objects.get(user=people["member"], bureau=bureau)
        proxy = actions.give_proxy(bureau, people["member"], people["coordinator"])
        LeaveRequest.objects.create(user=people["member"])  # the member asked to leave the platform
        resource = Resource.objects.create(bureau=bureau, title="Guide", kind="guide", summary="Utile.",
                                           url="https://example.org/guide", proposed_by=people["member"])
        later = timezone.localtime(running.closes_at + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
        reference = Reference.objects.create(bureau=bureau, key="doe2024", title="Un exemple", year=2024)
        routes = {  # route name -> (URL keyword arguments, POST data)
            "reference_detail": ({"reference_id": reference.pk}, {}),
            "reference_edit": ({"reference_id": reference.pk}, {"key": "doe2024", "kind": "book", "title": "Revu",
                                                                "authors_text": "Doe, Jane"}),
            "reference_delete": ({"reference_id": reference.pk}, {}),
            "library_style": ({}, {"citation_style": "numeric"}),
            "reference_new": ({}, {"key": "neuf2025", "kind": "book", "title": "Neuf", "year": "2025"}),
            "invite": ({}, {"email": "nouvelle@example.org", "role": Role.MEMBER, "college": college.pk}),
            "edit_membership": ({"membership_id": target.pk},
                                {f"m{target.pk}-role": Role.MEMBER, f"m{target.pk}-college": college.pk}),
            "remove_membership": ({"membership_id": target.pk}, {}),
            "confirm_erasure": ({"membership_id": target.pk}, {}),
            "revoke_invitation": ({"invitation_id": invitation.pk}, {}),
            "proposal_new": ({}, {"title": "Nouvelle", "body": "Texte.", "kind": "free", "rule": rule.pk,
                                  "options": ""}),
            "proposal_detail": ({"proposal_id": running.pk}, {}),
            "proposal_vote": ({"proposal_id": running.pk}, {"choice": "for", "reason": ""}),
            "proposal_comment": ({"proposal_id": running.pk}, {"body": "Un avis."}),
            "proposal_open": ({"proposal_id": draft.pk}, {"closes_at": ""}),
            "proposal_edit": ({"proposal_id": draft.pk}, {"title": "Brouillon revu", "body": "Texte.",
                                                          "kind": "free", "options": ""}),
            "proposal_delete": ({"proposal_id": draft.pk}, {}),
            "proposal_extend": ({"proposal_id": running.pk}, {"closes_at": later}),
            "proposal_withdraw": ({"proposal_id": running.pk}, {}),
            "proposal_close": ({"proposal_id": running.pk}, {"reason": "Tout le monde s'est exprimé."}),
            "proxies": ({}, {"holder": people["coordinator"].pk}),
            "proxy_revoke": ({"proxy_id": proxy.pk}, {}),
            "resource_new": ({}, {"title": "Outil", "kind": "tool", "summary": "Pratique.",
                                  "url": "https://example.org/outil", "language": "fr", "audience": "everyone",
                                  "themes": "sobriété"}),
            "resource_publish": ({"resource_id": resource.pk}, {}),
            "resource_unpublish": ({"resource_id": resource.pk}, {}),
            "resource_edit": ({"resource_id": resource.pk}, {"title": "Guide revu", "kind": "guide",
                                                              "summary": "Utile.", "url": "https://example.org/g",
                                                              "language": "fr", "audience": "everyone"}),
            "resource_withdraw": ({"resource_id": resource.pk}, {}),
        }
        yield {"bureau": bureau, "people": people, "routes": routes}
        transaction.set_rollback(True)


def _answer(response) -> int | str:
    if response.status_code == 302:
        return LOGIN if response.url.startswith("/accounts/login/?next=") else DONE
    if response.status_code == 403:
        body = response.content.decode()
        with override("fr"):  # the site's language, in which the request ran
            given = [key for key, reason in REASONS.items() if escape(str(reason)) in body]
        return given[0] if len(given) == 1 else f"403 saying {given or 'nothing known'}"
    return response.status_code


def test_every_route_is_walked():
    """A new route must say, here, what each visitor gets."""
    missing = [case for case in CASES if case not in EXPECTED]
    assert not missing, f"routes without an expected answer: {missing}"
    stale = [case for case in EXPECTED if case[0] not in ROUTES]
    assert not stale, f"expectations for routes that no longer exist: {stale}"


def test_every_declared_route_states_its_access():
    """Each view of a declared route carries the guard it was decorated with (`bec_access`)."""
    unguarded = []
    for route in BureauPage.routes:
        from django.utils.module_loading import import_string

        view = import_string(route.callback.view_path)
        if not getattr(view, "bec_access", None):
            unguarded.append(route.name)
    assert not unguarded, f"views that state no access: {unguarded}"


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), CASES)
def test_route_answers_each_visitor(world, name, method):
    bureau, people = world["bureau"], world["people"]
    kwargs, data = world["routes"].get(name, ({}, {}))
    path = "" if name == "index_route" else bureau.reverse_subpage(name, kwargs=kwargs)
    url = bureau.url + path
    got = {}
    for who in ROLES:
        with transaction.atomic():
            client = Client()
            if people[who] is not None:
                client.force_login(people[who])
            response = client.post(url, data) if method == "POST" else client.get(url)
            got[who] = _answer(response)
            transaction.set_rollback(True)
    assert got == EXPECTED[(name, method)], f"{method} {url}"


@pytest.mark.django_db
def test_a_draft_and_another_bureaus_proposal_are_not_found(world):
    """Past the guard, a proposal the visitor may not see is a 404, never its page."""
    bureau, people = world["bureau"], world["people"]
    draft = Proposal.objects.get(bureau=bureau, title="Brouillon")
    foreign_rule = DecisionRule.objects.create(bureau=people["other_member"].memberships.get().bureau,
                                               name="Ailleurs", method=Method.MAJORITY)
    foreign = actions.create_proposal(foreign_rule.bureau, people["other_member"], title="Ailleurs",
                                      body="x", rule=foreign_rule)
    answers = {}
    for who, proposal in (("member", draft), ("observer", draft), ("coordinator", draft),
                          ("coordinator", foreign)):
        client = Client()
        client.force_login(people[who])
        url = bureau.url + bureau.reverse_subpage("proposal_detail", kwargs={"proposal_id": proposal.pk})
        answers[(who, proposal.title)] = _answer(client.get(url))
    assert answers == {("member", "Brouillon"): 404, ("observer", "Brouillon"): 404,
                       ("coordinator", "Brouillon"): 200, ("coordinator", "Ailleurs"): 404}
