"""A signed-in visitor costs little more than an anonymous one (issue 15, goal 1).

The bench's bare page (`bench/templates/wagtailcore/page.html`: a plain Wagtail page through
base.html) and a bureau page, read anonymously and as a voting member, at two sizes (the member in
one bureau, then in four: more groups, more page permissions). The difference is the user row
(the session comes from the cache) plus, on the bureau page, the member's own membership, which
that page shows; it does not grow with the member's groups and permissions.
"""

from __future__ import annotations

import copy

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page

from commons.models import Membership, Role
from participants import permission_cache

pytestmark = pytest.mark.django_db

SIGN_OUT = "/accounts/logout/"
EDIT_THE_SITE = 'href="/admin/"'
USERBAR = "<wagtail-userbar"


@pytest.fixture
def bare(home, settings):
    """The bench's bare page: a plain Wagtail `Page` rendered through base.html."""
    templates = copy.deepcopy(django_settings.TEMPLATES)
    templates[0]["DIRS"] = [django_settings.BASE_DIR / "bench" / "templates", *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    page = Page(title="Bare", slug="bare")
    home.add_child(instance=page)
    page.save_revision().publish()
    return Page.objects.get(pk=page.pk)


def measure(client: Client, url: str) -> tuple[int, str]:
    client.get(url)  # warm-up: per-process caches (site root paths, content types, the session)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_member_costs_one_query_more_than_an_anonymous_visitor_at_two_sizes(
    bare, bureau, people, make_bureau
):
    """The bare page as a voting member, the bureau page as an observer of it: the user row, and the
    membership the bureau page shows. As a voting member the bureau page also shows Wagtail's userbar
    (they may edit it), whose own queries (admin profile, page permissions, workflow state) are the
    price of that editing tool, bounded and the same at both sizes."""
    member, observer = people["member"], people["observer"]
    sizes = []
    for extra_bureaus in (0, 3):
        for _ in range(extra_bureaus):
            other = make_bureau()
            Membership.objects.create(user=member, bureau=other, role=Role.MEMBER, college=other.colleges.first())
            Membership.objects.create(user=observer, bureau=other, role=Role.OBSERVER)
        assert member.groups.count() == 1 + extra_bureaus
        anonymous = [measure(Client(), url)[0] for url in (bare.url, bureau.url)]
        pages = [measure(signed_in(member), bare.url), measure(signed_in(observer), bureau.url),
                 measure(signed_in(member), bureau.url)]
        assert all(SIGN_OUT in html for _count, html in pages)
        assert [EDIT_THE_SITE in html for _count, html in pages] == [True, False, True]
        assert [USERBAR in html for _count, html in pages] == [False, False, True]
        sizes.append((anonymous, [count for count, _html in pages]))
    assert sizes[0] == sizes[1]
    (anon_bare, anon_bureau), (member_bare, observer_bureau, editor_bureau) = sizes[0]
    assert member_bare - anon_bare <= 1  # the user row: the session is in the cache
    assert observer_bureau - anon_bureau <= 2  # and their membership, which the bureau page shows
    assert editor_bureau - observer_bureau <= 5  # Wagtail's userbar, where the member may edit


def test_the_userbar_is_shown_only_where_the_member_may_edit(bare, bureau, people, make_bureau):
    member = signed_in(people["member"])
    assert USERBAR not in member.get(bare.url).content.decode()  # outside their bureau: nothing to edit
    assert USERBAR in member.get(bureau.url).content.decode()  # their bureau's page: edit, add a page
    other = make_bureau()
    assert USERBAR not in member.get(other.url).content.decode()
    observer = signed_in(people["observer"])  # no access to the admin
    assert USERBAR not in observer.get(bureau.url).content.decode()
    assert USERBAR not in Client().get(bureau.url).content.decode()


def test_a_superuser_gets_the_userbar_everywhere(bare, make_person):
    admin = make_person(is_superuser=True)
    html = signed_in(admin).get(bare.url).content.decode()
    assert USERBAR in html and EDIT_THE_SITE in html


def test_leaving_the_bureau_takes_the_admin_link_away_at_once(bare, bureau, people):
    member = people["member"]
    client = signed_in(member)
    assert EDIT_THE_SITE in client.get(bare.url).content.decode()  # now cached
    membership = Membership.objects.get(user=member, bureau=bureau)
    membership.delete()  # the person leaves their groups (commons.groups.sync_user_groups)
    html = client.get(bare.url).content.decode()
    assert SIGN_OUT in html and EDIT_THE_SITE not in html
    assert USERBAR not in client.get(bureau.url).content.decode()


def test_a_permission_granted_to_a_group_shows_at_once(bare, people):
    outsider = people["outsider"]
    client = signed_in(outsider)
    assert EDIT_THE_SITE not in client.get(bare.url).content.decode()
    group = Group.objects.create(name="Éditeurs")
    outsider.groups.add(group)
    assert EDIT_THE_SITE not in client.get(bare.url).content.decode()
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    assert EDIT_THE_SITE in client.get(bare.url).content.decode()


def test_cached_permissions_are_each_persons_own(people):
    member, outsider = people["member"], people["outsider"]
    permission_cache.load(member)
    permission_cache.load(outsider)
    assert member.has_perm("wagtailadmin.access_admin")
    assert not outsider.has_perm("wagtailadmin.access_admin")
    # A second request (fresh user objects) reads them from the cache, no query, same answers.
    from django.contrib.auth import get_user_model

    fresh = {user.pk: user for user in get_user_model().objects.filter(pk__in=[member.pk, outsider.pk])}
    with CaptureQueriesContext(connection) as ctx:
        for user in fresh.values():
            permission_cache.load(user)
        assert fresh[member.pk].has_perm("wagtailadmin.access_admin")
        assert not fresh[outsider.pk].has_perm("wagtailadmin.access_admin")
    assert len(ctx.captured_queries) == 0
    assert cache.get(permission_cache.GENERATION_KEY)


def test_the_admin_preview_keeps_the_userbar(bare, people):
    """In the editor's preview Wagtail's accessibility checker lives in the userbar: always rendered."""
    from django.template import Context, Template
    from django.test import RequestFactory

    member = people["member"]  # no permission on the bare page
    request = RequestFactory().get(bare.url)
    request.user = member
    template = Template("{% load bec_userbar %}{% bec_userbar %}")
    assert USERBAR not in template.render(Context({"request": request, "page": bare}))
    request.is_preview = True
    assert USERBAR in template.render(Context({"request": request, "page": bare}))
