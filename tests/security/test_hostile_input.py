"""Hostile input on every route of the site, as every role: never a server error (issue 10, item 7).

The routes are not listed by hand: they are read from the page models (`get_subpage_urls()` of the
bureau, study and protocol pages, each id filled with a real object of the demo data) and from the
admin viewsets of participants and studies. The parameter names are not listed by hand either:
every form field name that any of these pages renders (scraped from the HTML, as a coordinator)
is sent to every route, with each hostile value, in the query string and as POST data, by each
role. A route may refuse (400, 403, 404, 405, a redirect), never answer 500.

The demo data is built once for the module inside a transaction that is rolled back at the end;
every request runs in a savepoint that is rolled back too, so a POST that succeeds does not change
what the next request sees.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import NoReverseMatch, get_resolver, reverse

from bec_site.models import HomePage
from commons import actions as governance
from commons import demo as commons_demo
from commons import demo_governance, demo_library, demo_resources
from commons.models import BureauPage, Membership, Proposal, Proxy, Resource, Role
from commons.models.governance import ProposalKind, ProposalOption, Status
from participants.models import Collective, ConsentForm, ConsentRecord, Informant, MemberProfile
from studies import demo as studies_demo
from studies import demo_assessments, demo_protocol, demo_readings, demo_report
from studies.models import (
    AITool,
    Code,
    Document,
    EngagementPlan,
    Excerpt,
    Interview,
    Observation,
    ProtocolPage,
    StudyPage,
)

pytestmark = [
    pytest.mark.django_db,  # also makes pytest-django create the test database first
    # One worker walks every role: the demo site of the module fixture is then built once per run
    # instead of once per worker (`make test` distributes with `--dist loadgroup`).
    pytest.mark.xdist_group("hostile-input"),
]

ROLES = ("anonymous", "outsider", "observer", "member", "coordinator")
#: Each role's walk is cut into this many slices of the routes, so that the parallel suite's
#: workers share it (a member's or a coordinator's whole walk took minutes on one worker).
SHARDS = 3

#: Each value is sent alone to every parameter name (one request per value, route, method and role).
HOSTILE = {
    "huge": "99999999999999999999",
    "negative": "-1",
    "search-syntax": '" NEAR( * OR ^ (',
    "nul": "1\x00",
    "long": "é" + "x" * 4999,
}

#: Names some routes read although their page may not render them as a form field (filters, paging).
KNOWN_NAMES = {
    "q", "p", "page", "tab", "ordering", "codes", "ai_tools", "collective", "version", "coder_a", "coder_b",
    "next", "id",
}

#: Buttons and hidden fields that choose a view's branch (`form`: which form of the assessment plan
#: page): sent with each value the page gives them, the other fields hostile; in the other requests
#: they are hostile too. (`preview` is left out: it would turn every save into a preview.)
BRANCH_NAMES = {"action", "form"}
SKIPPED_NAMES = {"csrfmiddlewaretoken", "preview"}

_FIELD = re.compile(r"<(?:input|select|textarea|button)\b[^>]*>", re.IGNORECASE)
_NAME = re.compile(r'\bname="([^"]+)"')
_VALUE = re.compile(r'\bvalue="([^"]*)"')


@dataclass
class Site:
    users: dict
    urls: list[str]
    #: Prefixed form fields (« code7-name », « m3-role ») are kept for these ids only, the ids in the URLs.
    ids: set[int] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    #: url -> the form field names its own page renders
    page_names: dict[str, set[str]] = field(default_factory=dict)
    #: url -> (name, value) of the branch buttons and fields (`action`, `form`) its page renders
    branches: dict[str, set[tuple[str, str]]] = field(default_factory=dict)


def _person(n: int, bureau: BureauPage | None = None, role: str | None = None):
    email = f"hostile{n}@example.org"
    user = get_user_model().objects.create_user(username=f"hostile{n}", email=email, password="x-" * 10)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    MemberProfile.objects.create(user=user, display_name=f"Hostile {n}", category="researcher")
    if bureau is not None:
        college = None if role == Role.OBSERVER else bureau.colleges.first()
        Membership.objects.create(user=user, bureau=bureau, role=role, college=college)
    return user


def _route_urls(page, ids: dict[str, list[dict]]) -> list[str]:
    """One URL per route of `page`, per set of ids that fills its captured parameters."""
    urls = []
    for route in page.get_subpage_urls():
        captured = set(route.pattern.converters)
        kind = (route.default_args or {}).get("kind")
        key = f"{kind}:{','.join(sorted(captured))}" if kind else ",".join(sorted(captured))
        for kwargs in ids.get(key, [{}]) if captured else [{}]:
            urls.append(page.url + page.reverse_subpage(route.name, kwargs=kwargs))
    return urls


def _admin_urls(objects: list) -> list[str]:
    """Listing, add, edit, inspect and delete pages of the participants and studies admin."""
    get_resolver().url_patterns  # noqa: B018 — loading the admin URLs names the snippet viewsets' routes
    urls = []
    for obj in objects:
        viewset = getattr(type(obj), "snippet_viewset", None)
        url_name = viewset.get_url_name if viewset else (lambda name: f"observation:{name}")
        for name, args in (("index", ()), ("add", ()), ("edit", (obj.pk,)), ("inspect", (obj.pk,)),
                           ("delete", (obj.pk,))):
            try:
                urls.append(reverse(url_name(name), args=args))
            except NoReverseMatch:  # a view this viewset does not have
                continue
    return urls


_PREFIXED = re.compile(r"^[a-z]+(\d+)-")


def _scrape(site: Site, url: str, content: str) -> None:
    for tag in _FIELD.findall(content):
        name = _NAME.search(tag)
        if not name:
            continue
        name = html.unescape(name.group(1))
        if name in SKIPPED_NAMES:
            continue
        if name in BRANCH_NAMES:
            value = _VALUE.search(tag)
            site.branches.setdefault(url, set()).add((name, html.unescape(value.group(1)) if value else ""))
            continue
        prefixed = _PREFIXED.match(name)
        if prefixed is None or int(prefixed.group(1)) in site.ids:
            site.names.add(name)
            site.page_names.setdefault(url, set()).add(name)


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    dummy_mail = "django.core.mail.backends.dummy.EmailBackend"
    with django_db_blocker.unblock(), override_settings(EMAIL_BACKEND=dummy_mail), transaction.atomic():
        home = HomePage.objects.get()
        bureau = commons_demo.build(home)["bureau"]
        users = {
            "anonymous": None,
            "outsider": _person(1),
            "observer": _person(2, bureau, Role.OBSERVER),
            "member": _person(3, bureau, Role.MEMBER),
            "coordinator": _person(4, bureau, Role.COORDINATOR),
        }
        demo_governance.build(bureau)
        references = demo_library.build(bureau)  # the library and its readings (issue 18)
        study = studies_demo.build(bureau)
        reading = next(r for r in demo_readings.build(study) if r.excerpts.exists())
        protocol = demo_protocol.build(study)
        report = demo_report.build(study)
        published = demo_resources.build(bureau)[0]  # issue 18: the resources, one of them still proposed
        # Issue 19: the demo's two assessments (a frozen one with its adopted plan, a submitted one).
        frozen, submitted = demo_assessments.build(bureau, study)
        plan = EngagementPlan.objects.get(assessment=frozen)
        proposed = Resource.objects.filter(bureau=bureau, status="proposed").first()
        draft = governance.create_proposal(
            bureau, users["member"], title="Brouillon", body="Un brouillon.", kind=ProposalKind.FREE,
            rule=bureau.decision_rules.first(),
        )
        bureau = BureauPage.objects.get(pk=bureau.pk)
        study = StudyPage.objects.get(pk=study.pk)
        protocol = ProtocolPage.objects.get(pk=protocol.pk)

        # A draft, an open vote and a decided choice among options: each state takes other branches.
        proposals = [
            draft,
            Proposal.objects.filter(bureau=bureau, status=Status.OPEN).first(),
            Proposal.objects.filter(bureau=bureau, options__isnull=False).distinct().first(),
        ]
        assert proposals[1] is not None and proposals[2].status not in (Status.DRAFT, Status.OPEN)
        observation = Observation.objects.consented().filter(study=study, excerpts__isnull=False).first()
        interview = Interview.objects.filter(study=study, excerpts__isnull=False).first()
        code = Code.objects.filter(study=study).first()
        document = Document.objects.filter(study=study, excerpts__isnull=False).first()
        membership = Membership.objects.get(user=users["member"], bureau=bureau)
        invitation = bureau.invitations.first()
        ids = {
            "membership_id": [{"membership_id": membership.pk}],
            "invitation_id": [{"invitation_id": invitation.pk}],
            "proxy_id": [{"proxy_id": Proxy.objects.filter(bureau=bureau).first().pk}],  # the demo's (issue 17)
            "proposal_id": [{"proposal_id": p.pk} for p in proposals],
            "number": [{"number": protocol.protocol_versions.order_by("number").last().number}],
            "observation_id": [{"observation_id": observation.pk}],
            "interview_id": [{"interview_id": interview.pk}],
            "code_id": [{"code_id": code.pk}],
            "observations:source_id": [{"source_id": observation.pk}],
            "interviews:source_id": [{"source_id": interview.pk}],
            "observations:excerpt_id,source_id": [
                {"source_id": observation.pk, "excerpt_id": observation.excerpts.first().pk}
            ],
            "interviews:excerpt_id,source_id": [
                {"source_id": interview.pk, "excerpt_id": interview.excerpts.first().pk}
            ],
            # The demo's imported REFI-QDA document (`studies.demo_refi`).
            "documents:source_id": [{"source_id": document.pk}],
            "documents:excerpt_id,source_id": [{"source_id": document.pk, "excerpt_id": document.excerpts.first().pk}],
            # The library (issue 18): a reference, a study's reading of it and one of its excerpts.
            "reference_id": [{"reference_id": references[0].pk}],
            "reading_id": [{"reading_id": reading.pk}],
            "readings:source_id": [{"source_id": reading.pk}],
            "readings:excerpt_id,source_id": [{"source_id": reading.pk, "excerpt_id": reading.excerpts.first().pk}],
            # The erasure confirmations (issue 16): a collective and an informant of the bureau.
            "collective:party_id": [{"party_id": observation.collective_id}],
            "informant:party_id": [{"party_id": interview.informant_id}],
            # Issue 18: a published and a proposed resource; a system of the AI registry.
            "resource_id": [{"resource_id": published.pk}, {"resource_id": proposed.pk}],
            "tool_id": [{"tool_id": AITool.objects.order_by("pk").first().pk}],
            # Issue 19: the assessments, their version, a criterion, a step, an indicator of the plan.
            "version_id": [{"version_id": frozen.version_id}],
            "assessment_id": [{"assessment_id": frozen.pk}, {"assessment_id": submitted.pk}],
            "assessment_id,criterion_id": [
                {"assessment_id": submitted.pk, "criterion_id": frozen.version.criteria.first().pk}
            ],
            "action,assessment_id": [{"assessment_id": submitted.pk, "action": "start_review"}],
            "assessment_id,indicator_id": [{"assessment_id": frozen.pk, "indicator_id": plan.indicators.first().pk}],
        }
        urls = [*_route_urls(bureau, ids), *_route_urls(study, ids), *_route_urls(protocol, ids),
                *_route_urls(report, ids)]
        # A NUL in a page path reaches Wagtail's slug lookup (PostgreSQL refuses NUL in text).
        urls += [f"{bureau.url}%00/", f"{study.url}x%00y/"]
        # A member's own pages of issue 16: « Mes données » (its POST builds an archive) and privacy.
        urls += [reverse("member_data"), reverse("privacy")]
        # The admin's erasure confirmations (`studies.views.erasure.admin_erase_party`).
        urls += [reverse("bec_erase_party", args=["collective", observation.collective_id]),
                 reverse("bec_erase_party", args=["informant", interview.informant_id])]
        admin_objects = [
            Collective.objects.filter(bureau=bureau).first(),
            Informant.objects.filter(collective__bureau=bureau).first(),
            ConsentForm.objects.filter(bureau=bureau).first(),
            ConsentRecord.objects.filter(collective__bureau=bureau).first(),
            AITool.objects.first(),
            observation,
        ]
        urls += _admin_urls(admin_objects)
        assert Excerpt.objects.exists()

        walked = Site(users=users, urls=urls, ids={code.pk, membership.pk})
        client = Client()
        client.force_login(users["coordinator"])
        for url in urls:
            with transaction.atomic():
                response = client.get(url)
                transaction.set_rollback(True)
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                _scrape(walked, url, response.content.decode())
        # The ballot of a choice among options (no such vote is open in the demo data).
        options = ProposalOption.objects.filter(proposal__bureau=bureau)[:2]
        grades = {f"grade-{option.pk}" for option in options}
        walked.names |= KNOWN_NAMES | grades
        for url in walked.urls:
            if "/proposals/" in url:
                walked.page_names.setdefault(url, set()).update(grades)
        yield walked
        transaction.set_rollback(True)


def test_the_walk_covers_the_site(site):
    """The walk reaches every kind of route and knows the forms' fields (else it would prove little)."""
    paths = "\n".join(site.urls)
    for fragment in ("/members/invite/", "/proposals/", "/vote/", "/decisions/", "/observations/",
                     "/excerpts/", "/memos/", "/interviews/", "/codebook/", "/agreement/", "/diff/",
                     "/admin/snippets/participants/consentrecord/", "/admin/snippets/studies/aitool/",
                     "/accounts/profile/data/", "/confidentialite/"):
        assert fragment in paths, fragment
    for name in ("q", "collective", "ai_tool", "codes", "reason", "coder_a", "email", "start", "version"):
        assert name in site.names, name
    assert any(name.endswith("-name") for name in site.names)  # the codebook's prefixed forms
    assert any(("action", "set_codes") in values for values in site.branches.values())
    assert "/assessments/" in paths and "/plan/indicators/" in paths and "/steps/" in paths
    assert any(("form", "action_evidence") in values for values in site.branches.values())
    assert any(("form", "review_held") in values for values in site.branches.values())


def _names_for(site: Site, url: str) -> set[str]:
    """The names a route may read: its page's fields and those of the pages above it (the ballot
    form of `proposals/7/vote/` is on `proposals/7/`), plus the known query-string names."""
    names = set(KNOWN_NAMES)
    for other, found in site.page_names.items():
        if url.startswith(other):
            names |= found
    return names


def _refused(response) -> bool:
    """Refused before any input is read: the login page, 403, 404 (not for this role) or 405."""
    login = response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    return login or response.status_code in (403, 404, 405)


def _send(client, method: str, url: str, data: dict | None):
    """One request in a savepoint rolled back at once: what one request does, the next does not see."""
    with transaction.atomic():
        response = client.get(url, data) if method == "GET" else client.post(url, data or {})
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("shard", range(SHARDS))
@pytest.mark.parametrize("role", ROLES)
def test_hostile_values_never_cause_a_server_error(site, role, shard):
    client = Client()
    if site.users[role] is not None:
        client.force_login(site.users[role])
    failures = []
    for url in site.urls[shard::SHARDS]:
        # A route that refuses this role or method without input refuses it with any input: skip it.
        methods = [method for method in ("GET", "POST") if not _refused(_send(client, method, url, None))]
        for label, value in HOSTILE.items():
            data = dict.fromkeys(_names_for(site, url), value)
            hostile = {**data, **dict.fromkeys(BRANCH_NAMES, value)}
            requests = [(method, hostile) for method in methods]
            if "POST" in methods:
                requests += [("POST", {**hostile, name: branch}) for name, branch in site.branches.get(url, ())]
            for method, payload in requests:
                try:
                    response = _send(client, method, url, payload)
                except Exception as error:  # noqa: BLE001 — every failure is reported at the end
                    failures.append(f"{method} {url} [{label}]: {type(error).__name__}: {error}"[:300])
                    continue
                if response.status_code >= 500:
                    failures.append(f"{method} {url} [{label}]: {response.status_code}")
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:60])
