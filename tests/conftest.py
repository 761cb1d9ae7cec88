"""Shared fixtures: a home page, bureaus with colleges, and people in every role.

`make_bureau()` and `make_person()` build data fast enough to be used at two data sizes in
query-count tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from bec_site.models import HomePage
from commons.models import BureauPage, College, Membership, Role
from participants.models import MemberProfile
from tests.shared import require_shared

# Property tests check properties, not speed: on a loaded machine (two xdist workers on two cores,
# next to other work) Hypothesis's wall-clock deadline and "input generation is slow" health check
# fail tests whose examples are all correct. The number of examples is unchanged.
hypothesis_settings.register_profile(
    "bec", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("bec")

PASSWORD = "correct-horse-battery-staple"
_counter = itertools.count(1)


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`make test`), browser tests share one worker (`--dist loadgroup`): one
    chromium at a time next to the other worker's tests, instead of two competing for the cores."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.xdist_group("browser"))


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """After a transactional test, put back what the migrations created (home page, site, groups).

    A transactional test ends by emptying the database; Django's `serialized_rollback` reloads the
    migrations' data only at the start of the *next transactional* test, and counts on transactional
    tests running last. Under pytest-xdist a worker runs a whole module or group, so an ordinary
    test can follow one (and would find no home page): reload the data as soon as one ends.
    """
    yield
    if not _is_transactional(item):
        return
    from django.db import connections
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        for connection_ in connections.all(initialized_only=True):
            contents = getattr(connection_, "_test_serialized_contents", None)
            if contents:
                connection_.creation.deserialize_db_from_string(contents)


@pytest.fixture(autouse=True)
def _clear_cache():
    """allauth's rate limits live in the cache: start every test with a clean slate."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _french_again():
    """A request in English leaves English active in the thread (the locale middleware activates the
    visitor's language and nothing deactivates it); the next test on the same worker would then
    read English where it expects French. Each test starts and ends in the site's default language."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The project's shared/ folder (XSS corpus, REFI-QDA samples): skips where absent, fails in CI.

    See tests/shared.py; tests needing one file call `require_shared("corpora", "x.txt")` instead.
    """
    return require_shared()


@pytest.fixture
def home(db) -> HomePage:
    return HomePage.objects.get()


@pytest.fixture
def make_bureau(home):
    def make(title: str | None = None, colleges=(("Chercheur·es", 30), ("Structures", 40), ("Bénévoles", 30))):
        n = next(_counter)
        bureau = BureauPage(
            title=title or f"Bureau {n}", slug=f"bureau-{n}", question="Une question ?",
            charter="Une **charte**.", governance="Des règles.",
        )
        for order, (name, weight) in enumerate(colleges):
            bureau.colleges.add(College(name=name, weight=weight, sort_order=order))
        home.add_child(instance=bureau)
        bureau.save_revision().publish()
        bureau.refresh_from_db()
        return bureau

    return make


@pytest.fixture
def make_person(db):
    """A verified user with a profile, optionally a member of `bureau` with `role`."""

    def make(bureau: BureauPage | None = None, role: str | None = None, *, email: str | None = None,
             college: College | None = None, **user_fields):
        n = next(_counter)
        email = email or f"person{n}@example.org"
        user = get_user_model().objects.create_user(
            username=f"person{n}", email=email, password=PASSWORD, **user_fields
        )
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        MemberProfile.objects.create(user=user, display_name=f"Personne {n}", category="researcher")
        if bureau is not None and role is not None:
            if college is None and role != Role.OBSERVER:
                college = bureau.colleges.first()
            Membership.objects.create(user=user, bureau=bureau, role=role, college=college)
        return user

    return make


@pytest.fixture
def bureau(make_bureau) -> BureauPage:
    return make_bureau("BEC test")


@pytest.fixture
def other_bureau(make_bureau) -> BureauPage:
    return make_bureau("Autre bureau")


class People(Mapping):
    """Role -> user, where the other bureau's coordinator is made on first use.

    Most tests never look at `other_member`; building the second bureau it belongs to (a published
    page, its groups, collection and workflow) for each of them was a large share of the suite's
    time. Reading the key, or iterating, makes it then, exactly as the eager fixture did.
    """

    def __init__(self, eager: dict, lazy: dict[str, Callable[[], object]]) -> None:
        self._users = dict(eager)
        self._lazy = dict(lazy)

    def __getitem__(self, role: str):
        if role in self._lazy:
            self._users[role] = self._lazy.pop(role)()
        return self._users[role]

    def __iter__(self):
        return iter([*self._users, *self._lazy])

    def __len__(self) -> int:
        return len(self._users) + len(self._lazy)


@pytest.fixture
def people(request, bureau, make_person) -> People:
    """One person for every kind of visitor the permission tests cover."""
    return People(
        {
            "anonymous": None,
            "outsider": make_person(),
            "observer": make_person(bureau, Role.OBSERVER),
            "member": make_person(bureau, Role.MEMBER),
            "coordinator": make_person(bureau, Role.COORDINATOR),
        },
        lazy={
            "other_member": lambda: make_person(request.getfixturevalue("other_bureau"), Role.COORDINATOR),
        },
    )


def client_for(client, user):
    """Log the Django test client in as `user` (None stays anonymous)."""
    if user is not None:
        client.force_login(user)
    return client


def count_queries(client, url: str) -> int:
    """SQL queries of one GET of `url` (expects 200), after a warm-up request.

    The warm-up fills per-process caches (site root paths, content types) so that counts at two
    data sizes compare the page's own work.
    """
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


# --- studies ---------------------------------------------------------------------------------------


@pytest.fixture
def make_study():
    """A published StudyPage under `bureau`."""
    from studies.models import StudyPage

    def make(bureau: BureauPage, title: str | None = None, **fields):
        n = next(_counter)
        study = StudyPage(title=title or f"Étude {n}", slug=f"etude-{n}", research_question="Comment ?",
                          context="Un *contexte*.", **fields)
        bureau.add_child(instance=study)
        study.save_revision().publish()
        study.refresh_from_db()
        return study

    return make


@pytest.fixture
def make_collective(db):
    """A collective of `bureau`; by default with a current consent for every scope."""
    from participants.models import Collective, ConsentForm, ConsentRecord, ConsentScope

    def make(bureau: BureauPage, name: str | None = None, *, scopes=tuple(ConsentScope.values),
             legal_form: str = "association", **fields):
        collective = Collective.objects.create(bureau=bureau, name=name or f"Collectif {next(_counter)}",
                                               legal_form=legal_form, **fields)
        if scopes:
            form, _created = ConsentForm.objects.get_or_create(
                bureau=bureau, title="Consentement", version=1, defaults={"text": "Texte du formulaire."}
            )
            ConsentRecord.objects.create(form=form, collective=collective, scopes=list(scopes))
        return collective

    return make


@pytest.fixture
def study(bureau, make_study):
    return make_study(bureau, "Usages de l'IA générative")


def protocol_body(*, objectives: str = "Comprendre les usages.", grid=None, guide=None) -> list[dict]:
    """Raw StreamField data for a protocol body (the shape the admin posts once cleaned)."""
    grid = grid if grid is not None else [
        {"name": "frequence", "label": "Fréquence d'usage", "field_type": "choice",
         "choices": "quotidienne\nhebdomadaire\nrare", "required": True, "help_text": ""},
    ]
    guide = guide if guide is not None else [{"question": "Comment utilisez-vous l'IA ?", "probes": ["Depuis quand ?"]}]
    return [
        {"type": "objectives", "value": f"<p>{objectives}</p>"},
        {"type": "method", "value": "<p>Observation participante et entretiens.</p>"},
        {"type": "observation_grid", "value": grid},
        {"type": "interview_guide", "value": guide},
    ]


@pytest.fixture
def make_protocol():
    """A ProtocolPage under `study`, published once (v1) unless `publish=False`."""
    from studies.models import ProtocolPage

    def make(study, *, publish: bool = True, user=None, **body_kwargs):
        page = ProtocolPage(title="Protocole", slug="protocole", body=protocol_body(**body_kwargs),
                            change_summary="Version initiale.", live=False)
        study.add_child(instance=page)
        revision = page.save_revision(user=user)
        if publish:
            revision.publish(user=user)
        page.refresh_from_db()
        return page

    return make
