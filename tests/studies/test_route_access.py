"""Every route of `StudyPage` and `ProtocolPage`, for every kind of visitor, answers ONE expected status.

The routes are read from the page models (`get_subpage_urls()`), so a route added without an
expectation here fails `test_every_route_has_an_expectation`, and a view that does not state its access
with a decorator of `studies.permissions` fails `test_every_view_states_its_access`.

One world for the whole module (built once with `django_db_blocker`, rolled back at the end); each
request runs in a savepoint that is rolled back, so a write of one visitor never changes what the
next one meets. Writes are posted empty: a contributor gets the form's 400 (nothing saved), except
the excerpt deletion, which needs no data (302).
"""

from __future__ import annotations

import itertools

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.utils.module_loading import import_string

from bec_site.models import HomePage
from commons.models import BureauPage, College, Membership, Reference, Role
from participants.models import Collective, ConsentForm, ConsentRecord, ConsentScope, Informant, MemberProfile
from studies.models import (
    AITool,
    Code,
    Document,
    Excerpt,
    Interview,
    Observation,
    ProtocolPage,
    Reading,
    StudyPage,
    StudyReportPage,
)
from tests.conftest import protocol_body

VISITORS = ("anonymous", "outsider", "observer", "member", "coordinator", "other_member")
LOGIN = "/accounts/login/"

# What each kind of route answers, per visitor. "login" is a 302 to the login page.
PUBLIC = dict.fromkeys(VISITORS, 200)
_OUTSIDE = {"anonymous": "login", "outsider": 404, "other_member": 404}
TEAM = {**_OUTSIDE, "observer": 200, "member": 200, "coordinator": 200}
CONTRIBUTORS = {**_OUTSIDE, "observer": 403, "member": 200, "coordinator": 200}
POST_ONLY_GET = {**_OUTSIDE, "observer": 403, "member": 405, "coordinator": 405}
BAD_WRITE = {**_OUTSIDE, "observer": 403, "member": 400, "coordinator": 400}
GOOD_WRITE = {**_OUTSIDE, "observer": 403, "member": 302, "coordinator": 302}
TEAM_NO_POST = {**_OUTSIDE, "observer": 405, "member": 405, "coordinator": 405}
COORDINATORS = {**_OUTSIDE, "observer": 403, "member": 403, "coordinator": 200}
COORDINATORS_BAD_WRITE = {**_OUTSIDE, "observer": 403, "member": 403, "coordinator": 400}

# route name -> (GET expectation, POST expectation or None for a read-only route)
STUDY_ROUTES: dict[str, tuple[dict, dict | None]] = {
    "index_route": (PUBLIC, None),  # the study's own page (Wagtail's default route)
    "ai_tools": (PUBLIC, None),
    # The AI systems registry (issue 18): public, its system pages and downloads too.
    "ai_tools_csv": (PUBLIC, None),
    "ai_tools_json": (PUBLIC, None),
    "ai_tool_detail": (PUBLIC, None),
    "observation_list": (TEAM, None),
    "observation_create": (CONTRIBUTORS, BAD_WRITE),
    "observation_detail": (TEAM, BAD_WRITE),  # POST without a known action: 400
    "observation_edit": (CONTRIBUTORS, BAD_WRITE),
    "excerpt_create": (POST_ONLY_GET, BAD_WRITE),
    "excerpt_delete": (CONTRIBUTORS, GOOD_WRITE),  # « are you sure? », then POST
    "observation_memo": (POST_ONLY_GET, BAD_WRITE),
    "interview_list": (TEAM, None),
    "interview_create": (CONTRIBUTORS, BAD_WRITE),
    "interview_detail": (TEAM, TEAM_NO_POST),
    "interview_excerpt_create": (POST_ONLY_GET, BAD_WRITE),
    "interview_excerpt_delete": (CONTRIBUTORS, GOOD_WRITE),
    "interview_memo": (POST_ONLY_GET, BAD_WRITE),
    "document_list": (TEAM, None),
    "document_detail": (TEAM, TEAM_NO_POST),
    "document_excerpt_create": (POST_ONLY_GET, BAD_WRITE),
    "document_excerpt_delete": (CONTRIBUTORS, GOOD_WRITE),  # « are you sure? », then POST
    "document_memo": (POST_ONLY_GET, BAD_WRITE),
    "reading_list": (TEAM, None),
    "reading_create": (CONTRIBUTORS, BAD_WRITE),
    "reading_detail": (TEAM, TEAM_NO_POST),
    "reading_edit": (CONTRIBUTORS, BAD_WRITE),
    "reading_excerpt_create": (POST_ONLY_GET, BAD_WRITE),
    "reading_excerpt_delete": (CONTRIBUTORS, GOOD_WRITE),
    "reading_memo": (POST_ONLY_GET, BAD_WRITE),
    # REFI-QDA: the team downloads (pseudonyms only); coordinators import.
    "refi_export_project": (TEAM, None),
    "refi_export_codebook": (TEAM, None),
    "refi_import": (COORDINATORS, COORDINATORS_BAD_WRITE),
    "codebook": (TEAM, BAD_WRITE),
    # A code's page (issue 15): the team reads its memos; its forms post to the routes below.
    "code_detail": (TEAM, TEAM_NO_POST),
    "code_edit": (POST_ONLY_GET, BAD_WRITE),
    "code_merge": (POST_ONLY_GET, BAD_WRITE),
    # The world's code is used: its deletion is refused, back to the codebook with the reason (302).
    "code_delete": (GOOD_WRITE, GOOD_WRITE),
    "code_memo": (POST_ONLY_GET, BAD_WRITE),
    "agreement": (TEAM, None),
    # The analysis pages and their downloads: the team reads them, observers included.
    **{
        f"analysis{table}{download}": (TEAM, None)
        for table in ("", "_segments", "_codes", "_cooccurrence", "_crosstab", "_time")
        for download in (("",) if not table else ("", "_csv", "_xlsx"))
    },
    # The « Échanges » page and its spreadsheets: the team, observers included (pseudonyms only).
    "exchange": (TEAM, None),
    # Erasures (issue 16): the team reads the record; coordinators erase (an empty POST lacks the
    # confirmation field: 400, nothing erased).
    "erasure_list": (TEAM, None),
    "erase_collective": (COORDINATORS, COORDINATORS_BAD_WRITE),
    "erase_informant": (COORDINATORS, COORDINATORS_BAD_WRITE),
    # Assessment grids (issue 19): the team reads, contributors answer and propose, coordinators steer
    # (a member's step other than « submit » is refused with a message: 302).
    "assessments": (TEAM, BAD_WRITE),
    "referential_version": (TEAM, GOOD_WRITE),  # an adopted version: « already adopted », 302
    "assessment_detail": (TEAM, None),
    "assessment_results": (TEAM, None),
    "assessment_evidence": (TEAM, BAD_WRITE),
    "assessment_plan": (TEAM, BAD_WRITE),
    "assessment_overview": (TEAM, None),
    "assessment_upgrade": (COORDINATORS, COORDINATORS_BAD_WRITE),  # no later version: 400
    # The world has one assessment: comparing it with a missing one is a 404 inside the team.
    "assessment_compare": ({**_OUTSIDE, "observer": 404, "member": 404, "coordinator": 404}, None),
    **{f"assessment_{table}_{fmt}": (TEAM, None) for table in ("answers", "scores", "plan") for fmt in ("csv", "xlsx")},  # a draft assessment has no plan: « create the plan first », 400
    # The world's assessment has no plan, hence no indicator: 404 inside the team (the guard answers first).
    "plan_indicator": ({**_OUTSIDE, "observer": 404, "member": 404, "coordinator": 404},
                       {**_OUTSIDE, "observer": 403, "member": 404, "coordinator": 404}),
    "assessment_review": (TEAM, {**_OUTSIDE, "observer": 403, "member": 403, "coordinator": 400}),  # not in review
    "assessment_answer": (TEAM, BAD_WRITE),  # an empty answer: nothing to save, 400
    "assessment_step": (POST_ONLY_GET, GOOD_WRITE),  # « submit » without answers: refused, 302
    **{
        f"exchange_{table}_{fmt}": (TEAM, None)
        for table in ("observations", "coded_segments", "codebook", "interviews")
        for fmt in ("csv", "xlsx")
    },
}
PROTOCOL_ROUTES: dict[str, tuple[dict, dict | None]] = {
    "current": (PUBLIC, None),
    "versions": (PUBLIC, None),
    "version": (PUBLIC, None),
    "version_diff": (PUBLIC, None),
    "index_route": (PUBLIC, None),  # Wagtail's default "" route, shadowed by `current`
}
NOT_FOUND = {"version": 99, "version_diff": 99}
#: A published report: the same public routes as the protocol (`studies.views.reports`).
REPORT_ROUTES: dict[str, tuple[dict, dict | None]] = dict(PROTOCOL_ROUTES)
# The protocol's own routes (issue 17): its registration page (v1 of the world is not registered: 404
# for everyone; a registered one is public, see test_registrations), proposing a registration and
# forking (the study's contributors; the empty fork form is refused with a message).
PROTOCOL_ROUTES |= {
    "registration": (dict.fromkeys(VISITORS, 404), None),
    "register": (CONTRIBUTORS, GOOD_WRITE),
    "fork": (CONTRIBUTORS, BAD_WRITE),
}
NOT_FOUND |= {"registration": 99}
VERSIONED = {*NOT_FOUND, "register"}  # routes that name a version of the protocol

_counter = itertools.count(1)


def _person(bureau: BureauPage | None = None, role: str | None = None):
    n = next(_counter)
    user = get_user_model().objects.create_user(username=f"route{n}", email=f"route{n}@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    MemberProfile.objects.create(user=user, display_name=f"Personne {n}", category="researcher")
    if bureau is not None:
        college = None if role == Role.OBSERVER else bureau.colleges.first()
        Membership.objects.create(user=user, bureau=bureau, role=role, college=college)
    return user


def _bureau(home: HomePage, title: str) -> BureauPage:
    n = next(_counter)
    bureau = BureauPage(title=title, slug=f"route-bureau-{n}", question="?", charter="c", governance="g")
    bureau.colleges.add(College(name="Tous", weight=100, sort_order=0))
    home.add_child(instance=bureau)
    bureau.save_revision().publish()
    bureau.refresh_from_db()
    return bureau


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """A bureau with a person in every role, a study with a published protocol (v1), an observation
    and an interview (both consented), each with an excerpt coded by the member, and a code."""
    with django_db_blocker.unblock(), transaction.atomic():
        home = HomePage.objects.get()
        bureau, other = _bureau(home, "BEC des routes"), _bureau(home, "Autre BEC")
        people = {
            "anonymous": None,
            "outsider": _person(),
            "observer": _person(bureau, Role.OBSERVER),
            "member": _person(bureau, Role.MEMBER),
            "coordinator": _person(bureau, Role.COORDINATOR),
            "other_member": _person(other, Role.COORDINATOR),
        }
        study = StudyPage(title="Étude des routes", slug="etude-des-routes", research_question="?", context="c")
        bureau.add_child(instance=study)
        study.save_revision().publish()
        study.refresh_from_db()
        protocol = ProtocolPage(title="Protocole", slug="protocole", body=protocol_body(),
                                change_summary="Version initiale.", live=False)
        study.add_child(instance=protocol)
        protocol.save_revision().publish()
        protocol.refresh_from_db()

        form = ConsentForm.objects.create(bureau=bureau, title="Consentement", version=1, text="Texte.")
        collective = Collective.objects.create(bureau=bureau, name="Collectif réel", legal_form="association")
        ConsentRecord.objects.create(form=form, collective=collective, scopes=list(ConsentScope.values))
        informant = Informant.objects.create(collective=collective, pseudonym="Camille")
        ConsentRecord.objects.create(form=form, informant=informant, scopes=list(ConsentScope.values))
        member = people["member"]
        observation = Observation.objects.create(
            study=study, collective=collective, observer=member, setting="online", title="Atelier",
            body="Le groupe teste un outil de traduction.",
        )
        interview = Interview.objects.create(
            study=study, informant=informant, interviewer=member, title="Entretien", mode="video",
            transcript="On rédige les demandes avec ChatGPT.",
        )
        tool = AITool.objects.create(name="Outil des routes")
        observation.ai_tools.add(tool)
        document = Document.objects.create(study=study, title="Document importé", plain_text="Un texte importé.")
        reference = Reference.objects.create(bureau=bureau, key="doe2024", title="Un exemple", year=2024)
        reading = Reading.objects.create(study=study, reference=reference, title="Doe 2024",
                                         notes="> Un résumé à coder.")
        code = Code.objects.create(study=study, name="usages", slug="usages")
        excerpts = {}
        for source in (observation, interview, document, reading):
            field = {observation: "observation", interview: "interview", reading: "reading"}.get(source, "document")
            excerpt = Excerpt.objects.create(**{field: source}, coder=member, start=0, end=9,
                                             text=source.plain_text[:9])
            excerpt.codes.add(code)
            excerpts[field] = excerpt
        # A report published as the vote would (the workflow's finish action publishes the revision).
        report = StudyReportPage(title="Rapport", slug="rapport", summary="Résumé.", live=False, body=[
            {"type": "text", "value": "Des constats."},
            {"type": "figure", "value": {"title": "Codes", "table": "codes", "filters": "", "chart": "bar",
                                         "caption": ""}},
            {"type": "quote", "value": {"excerpt": excerpts["observation"].pk, "comment": ""}},
        ], change_summary="Première version.")
        study.add_child(instance=report)
        report.save_revision().publish(skip_permission_checks=True)
        report.refresh_from_db()
        from studies.assessments.services import create_assessment
        from tests.studies.assessment_data import adopted

        assessment = create_assessment(study, adopted(bureau), member, collective=collective)
        yield {
            "assessment": assessment,
            "people": people, "study": study, "protocol": protocol, "report": report, "observation": observation,
            "interview": interview, "document": document, "code": code, "excerpts": excerpts, "tool": tool,
            "reading": reading,
        }
        transaction.set_rollback(True)


def _study_args(name: str, world: dict) -> list:
    """The captured arguments of a study route, pointing at the world's objects."""
    observation, interview, code = world["observation"], world["interview"], world["code"]
    return {
        "observation_detail": [observation.pk],
        "observation_edit": [observation.pk],
        "excerpt_create": [observation.pk],
        "excerpt_delete": [observation.pk, world["excerpts"]["observation"].pk],
        "observation_memo": [observation.pk],
        "interview_detail": [interview.pk],
        "interview_excerpt_create": [interview.pk],
        "interview_excerpt_delete": [interview.pk, world["excerpts"]["interview"].pk],
        "interview_memo": [interview.pk],
        "document_detail": [world["document"].pk],
        "document_excerpt_create": [world["document"].pk],
        "document_excerpt_delete": [world["document"].pk, world["excerpts"]["document"].pk],
        "document_memo": [world["document"].pk],
        "reading_detail": [world["reading"].pk],
        "reading_edit": [world["reading"].pk],
        "reading_excerpt_create": [world["reading"].pk],
        "reading_excerpt_delete": [world["reading"].pk, world["excerpts"]["reading"].pk],
        "reading_memo": [world["reading"].pk],
        "code_detail": [code.pk],
        "code_edit": [code.pk],
        "code_merge": [code.pk],
        "code_delete": [code.pk],
        "code_memo": [code.pk],
        "erase_collective": [observation.collective_id],
        "erase_informant": [interview.informant_id],
        "ai_tool_detail": [world["tool"].pk],
        "referential_version": [world["assessment"].version_id],
        "assessment_detail": [world["assessment"].pk],
        "assessment_results": [world["assessment"].pk],
        "assessment_review": [world["assessment"].pk],
        "assessment_evidence": [world["assessment"].pk],
        "assessment_plan": [world["assessment"].pk],
        "assessment_upgrade": [world["assessment"].pk],
        **{f"assessment_{t}_{f}": [world["assessment"].pk] for t in ("answers", "scores", "plan") for f in ("csv", "xlsx")},
        "plan_indicator": [world["assessment"].pk, 999],
        "assessment_answer": [world["assessment"].pk, world["assessment"].version.criteria.first().pk],
        "assessment_step": [world["assessment"].pk, "submit"],
    }.get(name, [])


def _route_url(page, name: str, args: list) -> str:
    return page.url + page.reverse_subpage(name, args=args)


def _answer(url: str, method: str, user) -> tuple[int, str]:
    """(status, redirect location) of one request, whose database changes are rolled back."""
    client = Client()
    if user is not None:
        client.force_login(user)
    with transaction.atomic():
        response = getattr(client, method)(url)
        transaction.set_rollback(True)
    return response.status_code, response.get("Location", "")


def _check(url: str, method: str, expected: dict, people: dict) -> None:
    answers = {visitor: _answer(url, method, people[visitor]) for visitor in VISITORS}
    wrong = {}
    for visitor, (status, location) in answers.items():
        want = expected[visitor]
        if want == "login":
            if status != 302 or not location.startswith(LOGIN):
                wrong[visitor] = (status, location)
        elif status != want:
            wrong[visitor] = (status, location)
    assert not wrong, f"{method.upper()} {url}: expected {expected}, got {wrong}"


def _names(page_class) -> list[str]:
    # A declared "" route named "index_route" (the study page) shadows Wagtail's default one.
    return sorted({route.name for route in page_class.get_subpage_urls()})


def test_every_route_has_an_expectation():
    assert sorted(_names(StudyPage)) == sorted(STUDY_ROUTES)
    assert sorted(_names(ProtocolPage)) == sorted(PROTOCOL_ROUTES)
    assert sorted(_names(StudyReportPage)) == sorted(REPORT_ROUTES)


@pytest.mark.parametrize("page_class", [StudyPage, ProtocolPage, StudyReportPage])
def test_every_view_states_its_access(page_class):
    """Each declared route's view carries the mark of a `studies.permissions` decorator."""
    unmarked = []
    for route in page_class.get_subpage_urls():
        view_path = getattr(route.callback, "view_path", None)
        if view_path is None:  # Wagtail's own default route: the page itself, public
            assert route.name == "index_route"
            continue
        if not getattr(import_string(view_path), "bec_access", None):
            unmarked.append(view_path)
    assert not unmarked


@pytest.mark.parametrize("name", sorted(STUDY_ROUTES))
def test_study_route(world, db, name):
    get, post = STUDY_ROUTES[name]
    url = _route_url(world["study"], name, _study_args(name, world))
    _check(url, "get", get, world["people"])
    if post is not None:
        _check(url, "post", post, world["people"])


@pytest.mark.parametrize("name", sorted(PROTOCOL_ROUTES))
def test_protocol_route(world, db, name):
    get, post = PROTOCOL_ROUTES[name]
    protocol = world["protocol"]
    args = [1] if name in VERSIONED else []
    _check(_route_url(protocol, name, args), "get", get, world["people"])
    if post is not None:
        _check(_route_url(protocol, name, args), "post", post, world["people"])
    if name in NOT_FOUND:  # a version that does not exist: 404 for everyone
        _check(_route_url(protocol, name, [NOT_FOUND[name]]), "get", dict.fromkeys(VISITORS, 404),
               world["people"])


@pytest.mark.parametrize("name", sorted(REPORT_ROUTES))
def test_report_route(world, db, name):
    get, post = REPORT_ROUTES[name]
    report = world["report"]
    args = [1] if name in NOT_FOUND else []
    _check(_route_url(report, name, args), "get", get, world["people"])
    assert post is None
    if name in NOT_FOUND:  # a version that does not exist: 404 for everyone
        _check(_route_url(report, name, [NOT_FOUND[name]]), "get", dict.fromkeys(VISITORS, 404), world["people"])
