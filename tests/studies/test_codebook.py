"""The codebook: services (create, rename, move, merge, describe, memos), the page and its routes.

Every refused input leaves the database exactly as it was (`snapshot`); merging keeps every coding;
the page costs the same number of queries whatever the size of the codebook.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone, translation

from commons.models import Role
from studies import codebook as services
from studies.models import Code, CodedObservation, Excerpt, Memo, Observation
from tests.conftest import client_for, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    """Messages are checked in English: the services' (translation.override) and the pages' (cookie)."""
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield

HOSTILE = (
    "Avant <script>alert('x')</script> après\n\n"
    "[clic](javascript:alert(1)) et [autre](JaVaScRiPt:alert(2))\n\n"
    '<img src="x" onerror="alert(3)"> <a href="#" onclick="alert(4)">lien</a>\n\n'
    '<div onmouseover="alert(5)">survol</div> <svg onload="alert(6)"></svg>\n\n'
    "![image](javascript:alert(7))"
)


def assert_harmless(html: str) -> None:
    lowered = html.lower()
    assert "<script" not in lowered
    assert "javascript:" not in lowered
    assert not re.search(r"<[^>]*\son\w+\s*=", lowered), html
    assert "<svg" not in lowered and "<img" not in lowered


def url(study, suffix: str = "") -> str:
    return study.url + study.reverse_subpage("codebook") + suffix


def snapshot(*studies) -> tuple:
    """Everything the codebook services may touch, to assert that a refusal changed nothing."""
    ids = [study.pk for study in studies]
    return (
        sorted(Code.objects.filter(study__in=ids).values_list(
            "pk", "name", "slug", "parent_id", "colour", "definition", "definition_html")),
        sorted(CodedObservation.objects.values_list("pk", "tag_id", "content_object_id")),
        sorted(Excerpt.codes.through.objects.values_list("excerpt_id", "code_id")),
        sorted(Memo.objects.values_list("pk", "code_id", "observation_id", "body", "body_html")),
    )


@pytest.fixture
def observation_factory(bureau, study, make_collective, make_person):
    collective = make_collective(bureau)
    observer = make_person(bureau, Role.MEMBER)

    def make(target_study=None, collective_=None, body="Une note sur les usages de l'IA au quotidien."):
        return Observation.objects.create(
            study=target_study or study, collective=collective_ or collective, observer=observer,
            setting="meeting", title="Réunion", body=body,
        )

    return make


def excerpt(observation, *codes, start=0, end=8):
    item = Excerpt.objects.create(observation=observation, start=start, end=end,
                                  text=observation.plain_text[start:end])
    item.codes.add(*codes)
    return item


# --- Services: creating ---------------------------------------------------------------------------


def test_create_code_with_parent_colour_and_definition(study):
    family = services.create_code(study, name="  Usages  ")
    code = services.create_code(study, name="Rédaction", parent=family, colour="#AA3300",
                                definition="Écrire **avec** l'IA.")
    assert family.name == "Usages" and family.parent is None and family.colour == services.DEFAULT_COLOUR
    code.refresh_from_db()
    assert (code.parent_id, code.colour, code.slug) == (family.pk, "#aa3300", "rédaction")
    assert code.definition_html == "<p>Écrire <strong>avec</strong> l'IA.</p>"


def test_slugs_stay_unique_within_a_study(study):
    one = services.create_code(study, name="Effets / usages")
    two = services.create_code(study, name="Effets usages")
    assert one.slug == "effets-usages" and two.slug == "effets-usages-2"


@pytest.mark.parametrize("name", ["Usages", "usages", "USAGES", " usages "])
def test_duplicate_name_in_the_same_study_is_refused(study, name):
    services.create_code(study, name="Usages")
    before = snapshot(study)
    with pytest.raises(services.CodebookError, match="already exists"):
        services.create_code(study, name=name)
    assert snapshot(study) == before


def test_duplicate_name_ignores_case_of_accented_letters(study):
    services.create_code(study, name="Économie")
    before = snapshot(study)
    with pytest.raises(services.CodebookError):
        services.create_code(study, name="économie")
    assert snapshot(study) == before


def test_the_same_name_in_another_study_is_fine(bureau, study, make_study):
    other = make_study(bureau)
    services.create_code(study, name="Usages")
    code = services.create_code(other, name="usages")
    assert code.study_id == other.pk and code.slug == "usages"


@pytest.mark.parametrize("name", ["", "   ", None, "x" * 101])
def test_empty_or_long_name_is_refused(study, name):
    before = snapshot(study)
    with pytest.raises(services.CodebookError):
        services.create_code(study, name=name)
    assert snapshot(study) == before


@pytest.mark.parametrize("colour", ["red", "#12345", "#1234567", "#GGGGGG", "", "#12345g", "'); x"])
def test_bad_colour_is_refused(study, colour):
    code = services.create_code(study, name="Usages")
    before = snapshot(study)
    with pytest.raises(services.CodebookError, match="#RRGGBB"):
        services.create_code(study, name="Autre", colour=colour)
    with pytest.raises(services.CodebookError, match="#RRGGBB"):
        services.update_code(code, "définition", colour)
    assert snapshot(study) == before
    assert code.colour == services.DEFAULT_COLOUR


def test_parent_from_another_study_is_refused(bureau, study, make_study):
    other = make_study(bureau)
    foreign = services.create_code(other, name="Ailleurs")
    code = services.create_code(study, name="Ici")
    before = snapshot(study, other)
    with pytest.raises(services.CodebookError, match="another study"):
        services.create_code(study, name="Nouveau", parent=foreign)
    with pytest.raises(services.CodebookError, match="another study"):
        services.move_code(code, foreign)
    with pytest.raises(services.CodebookError, match="another study"):
        services.edit_code(code, name="Ici", definition="", colour="#000000", parent=foreign)
    assert snapshot(study, other) == before
    assert code.parent is None


def test_overlong_definition_and_memo_are_refused(study):
    code = services.create_code(study, name="Usages")
    before = snapshot(study)
    with pytest.raises(services.CodebookError):
        services.create_code(study, name="Autre", definition="x" * (services.MAX_DEFINITION + 1))
    with pytest.raises(services.CodebookError):
        services.add_code_memo(code, None, "x" * (services.MAX_MEMO + 1))
    with pytest.raises(services.CodebookError, match="empty"):
        services.add_code_memo(code, None, "   ")
    assert snapshot(study) == before


# --- Services: renaming and moving ----------------------------------------------------------------


def test_rename_updates_the_slug_and_keeps_uniqueness(study):
    code = services.create_code(study, name="Usages")
    services.create_code(study, name="Tensions")
    services.rename_code(code, "Usages quotidiens")
    code.refresh_from_db()
    assert (code.name, code.slug) == ("Usages quotidiens", "usages-quotidiens")
    services.rename_code(code, "usages QUOTIDIENS")  # a change of case of its own name is fine
    before = snapshot(study)
    for name in ("tensions", "TENSIONS", " ", ""):
        with pytest.raises(services.CodebookError):
            services.rename_code(code, name)
    assert snapshot(study) == before
    assert code.name == "usages QUOTIDIENS"


def test_move_under_another_family_and_back_to_the_top(study):
    usages = services.create_code(study, name="Usages")
    tensions = services.create_code(study, name="Tensions")
    code = services.create_code(study, name="Rédaction", parent=usages)
    services.move_code(code, tensions)
    assert Code.objects.get(pk=code.pk).parent_id == tensions.pk
    services.move_code(code, None)
    assert Code.objects.get(pk=code.pk).parent_id is None


def test_a_parent_that_would_make_a_cycle_is_refused(study):
    a = services.create_code(study, name="A")
    b = services.create_code(study, name="B", parent=a)
    c = services.create_code(study, name="C", parent=b)
    before = snapshot(study)
    for code, parent in ((a, a), (a, b), (a, c), (b, c), (b, b)):
        with pytest.raises(services.CodebookError, match="cannot be placed under"):
            services.move_code(code, parent)
        with pytest.raises(services.CodebookError, match="cannot be placed under"):
            services.edit_code(code, name="Nouveau nom", definition="x", colour="#000000", parent=parent)
    assert snapshot(study) == before
    assert (a.parent, b.parent_id, a.name) == (None, a.pk, "A")


def test_edit_code_changes_everything_or_nothing(study):
    usages = services.create_code(study, name="Usages")
    services.create_code(study, name="Tensions")
    code = services.create_code(study, name="Rédaction")
    services.edit_code(code, name="Écriture", definition="*Écrire*", colour="#102030", parent=usages)
    code.refresh_from_db()
    assert (code.name, code.parent_id, code.colour, code.definition_html) == (
        "Écriture", usages.pk, "#102030", "<p><em>Écrire</em></p>")
    before = snapshot(study)
    with pytest.raises(services.CodebookError):  # a good definition and colour, but a duplicate name
        services.edit_code(code, name="tensions", definition="autre", colour="#ffffff", parent=None)
    assert snapshot(study) == before
    assert (code.name, code.colour, code.parent_id) == ("Écriture", "#102030", usages.pk)


# --- Services: hostile Markdown -------------------------------------------------------------------


def test_hostile_markdown_in_definition_and_memo_is_stored_harmless(study, people):
    code = services.create_code(study, name="Usages", definition=HOSTILE)
    assert_harmless(code.definition_html)
    assert "survol" in code.definition_html  # the text is kept, the markup is not
    services.update_code(code, HOSTILE + "\n\nbis", "#123456")
    assert_harmless(Code.objects.get(pk=code.pk).definition_html)
    memo = services.add_code_memo(code, people["member"], HOSTILE)
    assert_harmless(Memo.objects.get(pk=memo.pk).body_html)
    assert code.definition == HOSTILE + "\n\nbis"  # the source is kept for editing


# --- Services: merging ----------------------------------------------------------------------------


def test_merge_keeps_every_coding(study, people, observation_factory):
    family = services.create_code(study, name="Usages")
    source = services.create_code(study, name="Rédaction", parent=family)
    target = services.create_code(study, name="Écriture", parent=family)
    other = services.create_code(study, name="Tensions")
    child = services.create_code(study, name="Courriels", parent=source)
    grandchild = services.create_code(study, name="Relances", parent=child)

    only_source, only_target, both, neither = (observation_factory() for _ in range(4))
    for observation, codes in ((only_source, [source]), (only_target, [target]), (both, [source, target]),
                               (neither, [other])):
        for code in codes:
            CodedObservation.objects.create(tag=code, content_object=observation)
    excerpts = [
        excerpt(only_source, source),
        excerpt(both, source, target),
        excerpt(neither, source, other),
        excerpt(only_target, target, start=2, end=9),
        excerpt(neither, other, start=3, end=10),
    ]
    memo_source = services.add_code_memo(source, people["member"], "Sur la rédaction")
    memo_target = services.add_code_memo(target, people["member"], "Sur l'écriture")
    observation_memo = Memo.objects.create(study=study, observation=both, body="Note")

    coded_before = set(CodedObservation.objects.filter(tag__in=[source, target])
                       .values_list("content_object_id", flat=True))
    excerpts_before = set(Excerpt.objects.filter(codes__in=[source, target]).values_list("pk", flat=True))
    other_before = (set(CodedObservation.objects.filter(tag=other).values_list("content_object_id", flat=True)),
                    set(other.excerpts.values_list("pk", flat=True)))

    result = services.merge_codes(source, target)

    assert result == services.MergeResult(observations=2, excerpts=3, memos=1, children=1)
    assert not Code.objects.filter(pk=source.pk).exists()
    for observation in (only_source, only_target, both):
        assert CodedObservation.objects.filter(content_object=observation, tag=target).count() == 1
    assert set(CodedObservation.objects.filter(tag=target).values_list("content_object_id", flat=True)) \
        == coded_before
    for item in excerpts[:4]:
        assert list(item.codes.filter(pk=target.pk).values_list("pk", flat=True)) == [target.pk]
    assert set(target.excerpts.values_list("pk", flat=True)) == excerpts_before
    assert set(excerpts[2].codes.values_list("pk", flat=True)) == {other.pk, target.pk}
    assert (set(CodedObservation.objects.filter(tag=other).values_list("content_object_id", flat=True)),
            set(other.excerpts.values_list("pk", flat=True))) == other_before
    assert set(target.memos.values_list("pk", flat=True)) == {memo_source.pk, memo_target.pk}
    assert Memo.objects.get(pk=observation_memo.pk).observation_id == both.pk
    child.refresh_from_db()
    grandchild.refresh_from_db()
    assert (child.parent_id, grandchild.parent_id) == (target.pk, child.pk)
    assert Code.objects.get(pk=target.pk).parent_id == family.pk


def test_merging_into_itself_another_study_or_a_descendant_is_refused(bureau, study, make_study,
                                                                      observation_factory):
    other_study = make_study(bureau)
    source = services.create_code(study, name="Usages")
    child = services.create_code(study, name="Rédaction", parent=source)
    grandchild = services.create_code(study, name="Courriels", parent=child)
    foreign = services.create_code(other_study, name="Usages")
    observation = observation_factory()
    CodedObservation.objects.create(tag=source, content_object=observation)
    excerpt(observation, source, child)
    Memo.objects.create(study=study, code=source, body="memo")
    before = snapshot(study, other_study)
    cases = [(source, source, "into itself"), (source, foreign, "same study"), (foreign, source, "same study"),
             (source, child, "own sub-code"), (source, grandchild, "own sub-code")]
    for merged, into, message in cases:
        with pytest.raises(services.CodebookError, match=message):
            services.merge_codes(merged, into)
    assert snapshot(study, other_study) == before


# --- The page -------------------------------------------------------------------------------------


def test_page_shows_the_tree_with_consented_counts(bureau, study, people, make_collective, observation_factory,
                                                   client):
    usages = services.create_code(study, name="Usages", definition="Ce que font les gens.", colour="#aa0000")
    redaction = services.create_code(study, name="Rédaction", parent=usages)
    courriels = services.create_code(study, name="Courriels", parent=redaction)
    services.create_code(study, name="Tensions")
    withdrawn = make_collective(bureau)
    seen = [observation_factory() for _ in range(2)]
    hidden = observation_factory(collective_=withdrawn)
    for observation in (*seen, hidden):
        CodedObservation.objects.create(tag=redaction, content_object=observation)
        excerpt(observation, redaction)
    withdrawn.consents.update(withdrawn_at=timezone.now())
    services.add_code_memo(redaction, people["member"], "Un **memo**")

    response = client_for(client, people["observer"]).get(url(study))
    assert response.status_code == 200
    html = response.content.decode()
    item = re.search(rf'id="code-{redaction.pk}".*?(?=<li class="code"|</section>)', html, re.S).group(0)
    assert re.search(r'data-count="observations">2<', item) and re.search(r'data-count="excerpts">2<', item)
    assert re.search(r'data-count="memos">1<', item) and f'href="{url(study, f"{redaction.pk}/")}"' in item
    assert "Ce que font les gens." in html and "#aa0000" in html
    # families in name order, sub-codes nested under their family with their depth
    tensions = Code.objects.get(name="Tensions")
    positions = [html.index(f'id="code-name-{code.pk}"') for code in (tensions, usages, redaction, courriels)]
    assert positions == sorted(positions)
    assert f'id="code-{courriels.pk}" style="--depth: 2"' in html
    assert "/edit/" not in html and "/merge/" not in html  # observers read only
    # the memos are read on the code's own page, the team's observers included, without the forms
    code_page = client.get(url(study, f"{redaction.pk}/")).content.decode()
    assert "<strong>memo</strong>" in code_page and 'data-count="observations">2<' in code_page
    assert 'action="' + url(study, f"{redaction.pk}/") not in code_page  # no form for observers


def test_the_codebook_lists_the_codes_and_links_to_their_page(study, people, client):
    """No form per code on the codebook (issue 15): « Edit » and « Merge… » lead to the code's page."""
    codes = [services.create_code(study, name=f"Code {n}") for n in range(3)]
    html = client_for(client, people["member"]).get(url(study)).content.decode()
    assert f'action="{url(study)}"' in html  # the new code's form stays
    for code in codes:
        assert f'href="{url(study, f"{code.pk}/#edit")}"' in html
        assert f'href="{url(study, f"{code.pk}/#merge")}"' in html
        assert 'action="' + url(study, f"{code.pk}/") not in html  # no form of one code


def test_contributors_see_the_forms(study, people, client):
    code = services.create_code(study, name="Usages")
    member = client_for(client, people["member"])
    assert f'action="{url(study)}"' in member.get(url(study)).content.decode()
    html = member.get(url(study, f"{code.pk}/")).content.decode()
    for action in (url(study, f"{code.pk}/edit/"), url(study, f"{code.pk}/merge/"),
                   url(study, f"{code.pk}/memos/")):
        assert f'action="{action}"' in html
    assert f'href="{url(study)}#code-{code.pk}"' in html  # the way back
    assert f'href="{url(study, f"{code.pk}/delete/")}"' in html  # unused: it may be deleted


def test_edit_form_does_not_offer_a_cycle(study, people, client):
    a = services.create_code(study, name="A")
    b = services.create_code(study, name="B", parent=a)
    other = services.create_code(study, name="Z")
    html = client_for(client, people["member"]).get(url(study, f"{a.pk}/")).content.decode()
    select = re.search(rf'<select name="code{a.pk}-parent".*?</select>', html, re.S).group(0)
    assert f'value="{other.pk}"' in select
    assert f'value="{a.pk}"' not in select and f'value="{b.pk}"' not in select


def test_hostile_markdown_never_reaches_the_page(study, people, client):
    code = services.create_code(study, name="Usages", definition=HOSTILE)
    services.add_code_memo(code, people["member"], HOSTILE)
    observer = client_for(client, people["observer"])
    html = observer.get(url(study)).content.decode() + observer.get(url(study, f"{code.pk}/")).content.decode()
    assert "<script>alert" not in html and "javascript:alert" not in html.lower()
    assert "onerror=" not in html and "onmouseover=" not in html and 'onclick="alert' not in html


def _codebook_of_size(study, people, observation_factory, codes: int, observations: int) -> None:
    families = [services.create_code(study, name=f"Famille {n}") for n in range(max(1, codes // 5))]
    made = list(families)
    while len(made) < codes:
        parent = made[len(made) % len(made)] if len(made) % 3 else families[len(made) % len(families)]
        made.append(services.create_code(study, name=f"Code {len(made)}", parent=parent, definition="*déf*"))
    for n in range(observations):
        observation = observation_factory()
        CodedObservation.objects.create(tag=made[n % codes], content_object=observation)
        excerpt(observation, made[n % codes], made[(n + 1) % codes])
    for code in made[:: max(1, codes // 3)]:
        services.add_code_memo(code, people["member"], "Un memo")
        services.add_code_memo(code, people["coordinator"], "Un autre")


@pytest.mark.parametrize("kind", ["observer", "member"])
def test_page_query_count_does_not_grow(bureau, make_study, people, make_collective, make_person, client, kind):
    counts, code_counts = [], []
    for codes, observations in ((5, 3), (25, 30)):
        study = make_study(bureau)
        collective = make_collective(bureau)

        def factory(study=study, collective=collective):
            return Observation.objects.create(study=study, collective=collective, setting="online",
                                              title="t", body="Une note assez longue pour coder.")

        _codebook_of_size(study, people, factory, codes, observations)
        counts.append(count_queries(client_for(client, people[kind]), url(study)))
        memoed = Code.objects.filter(study=study, memos__isnull=False).order_by("pk").last()
        code_counts.append(count_queries(client_for(client, people[kind]), url(study, f"{memoed.pk}/")))
    assert counts[0] == counts[1], counts
    assert code_counts[0] == code_counts[1], code_counts


# --- Routes: permissions --------------------------------------------------------------------------


def _route(study, route: str):
    """(method, url, data) of one route, with the data a contributor's request would carry."""
    code = services.create_code(study, name=f"Code {Code.objects.count()}")
    target = services.create_code(study, name=f"Cible {Code.objects.count()}")
    return {
        "view": ("get", url(study), {}),
        "code": ("get", url(study, f"{code.pk}/"), {}),
        "create": ("post", url(study), {"new-name": "Nouveau", "new-colour": "#123456", "new-definition": "d"}),
        "edit": ("post", url(study, f"{code.pk}/edit/"),
                 {f"code{code.pk}-name": "Renommé", f"code{code.pk}-colour": "#123456"}),
        "merge": ("post", url(study, f"{code.pk}/merge/"), {f"merge{code.pk}-target": target.pk}),
        "memo": ("post", url(study, f"{code.pk}/memos/"), {f"memo{code.pk}-body": "Un memo"}),
    }[route]


ROUTES = ["view", "code", "create", "edit", "merge", "memo"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("kind", ["anonymous", "outsider", "other_member", "observer", "member", "coordinator"])
def test_permission_matrix(study, people, client, kind, route):
    method, address, data = _route(study, route)
    before = snapshot(study)
    response = getattr(client_for(client, people[kind]), method)(address, data)
    if kind == "anonymous":
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    elif kind in ("outsider", "other_member"):
        assert response.status_code == 404
    elif kind == "observer":
        assert response.status_code == (200 if method == "get" else 403)
    else:
        assert response.status_code == (200 if method == "get" else 302), response.content[:2000]
        if method == "post":
            assert response.url.startswith(url(study) + "#code-")
    if kind != "member" and kind != "coordinator":
        assert snapshot(study) == before
    elif method == "post":
        assert snapshot(study) != before


@pytest.mark.parametrize("route", ["edit", "merge", "memo"])
def test_post_only_routes_refuse_get(study, people, client, route):
    _method, address, _data = _route(study, route)
    assert client_for(client, people["member"]).get(address).status_code == 405
    client.logout()
    assert client.get(address).status_code == 302


@pytest.mark.parametrize("route", ["edit", "merge", "memo"])
def test_a_code_of_another_study_is_404(bureau, other_bureau, study, make_study, people, client, route):
    for elsewhere in (make_study(bureau), make_study(other_bureau)):
        _method, address, data = _route(elsewhere, route)
        suffix = address[len(url(elsewhere)):]  # "<id of a code of the other study>/edit/"
        before = snapshot(study, elsewhere)
        response = client_for(client, people["member"]).post(url(study, suffix), data)
        assert response.status_code == 404
        assert snapshot(study, elsewhere) == before


# --- Routes: bad input gives a clear error and changes nothing ------------------------------------


def _post(client, user, address, data):
    return client_for(client, user).post(address, data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"new-name": "usages"}, "already exists"),
        ({"new-name": "USAGES "}, "already exists"),
        ({"new-name": "  "}, "needs a name"),
        ({"new-name": "Autre", "new-colour": "rouge"}, "#RRGGBB"),
        ({"new-name": "Autre", "new-parent": "999999"}, "among the codes of this study"),
        ({"new-name": "Autre", "new-parent": "abc"}, "whole number"),
    ],
)
def test_create_bad_input(study, people, client, data, message):
    services.create_code(study, name="Usages")
    before = snapshot(study)
    response = _post(client, people["member"], url(study), {"new-colour": "#123456", **data})
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert snapshot(study) == before


def test_create_with_a_parent_of_another_study_is_refused(bureau, study, make_study, people, client):
    foreign = services.create_code(make_study(bureau), name="Ailleurs")
    before = snapshot(study)
    response = _post(client, people["member"], url(study),
                     {"new-name": "Ici", "new-colour": "#123456", "new-parent": foreign.pk})
    assert response.status_code == 400 and "among the codes of this study" in response.content.decode()
    assert snapshot(study) == before


def test_create_the_same_name_as_in_another_study(bureau, study, make_study, people, client):
    services.create_code(make_study(bureau), name="Usages")
    response = _post(client, people["member"], url(study), {"new-name": "Usages", "new-colour": "#123456"})
    assert response.status_code == 302
    assert Code.objects.get(study=study).name == "Usages"


def test_edit_bad_input(study, people, client):
    a = services.create_code(study, name="A")
    b = services.create_code(study, name="B", parent=a)
    services.create_code(study, name="Tensions")
    before = snapshot(study)
    cases = [
        (a, {"name": "tensions"}, "already exists"),
        (a, {"name": ""}, "needs a name"),
        (a, {"name": "A", "colour": "#12"}, "#RRGGBB"),
        (a, {"name": "A", "parent": b.pk}, "cannot be placed under"),
        (a, {"name": "A", "parent": a.pk}, "cannot be placed under"),
        (b, {"name": "B", "parent": 999999}, "among the codes of this study"),
    ]
    for code, fields, message in cases:
        data = {f"code{code.pk}-{key}": value for key, value in {"colour": "#123456", **fields}.items()}
        response = _post(client, people["member"], url(study, f"{code.pk}/edit/"), data)
        assert response.status_code == 400, fields
        html = response.content.decode()
        assert message in html, fields
        assert f'<form method="post" action="{url(study, f"{code.pk}/edit/")}"' in html  # the code's page
    assert snapshot(study) == before


def test_edit_saves_name_parent_colour_and_definition(study, people, client):
    usages = services.create_code(study, name="Usages")
    code = services.create_code(study, name="Redaction")
    data = {f"code{code.pk}-name": "Rédaction", f"code{code.pk}-parent": usages.pk,
            f"code{code.pk}-colour": "#ABCDEF", f"code{code.pk}-definition": HOSTILE}
    response = _post(client, people["coordinator"], url(study, f"{code.pk}/edit/"), data)
    assert response.status_code == 302
    code.refresh_from_db()
    assert (code.name, code.slug, code.parent_id, code.colour) == ("Rédaction", "rédaction", usages.pk, "#abcdef")
    assert_harmless(code.definition_html)


def test_merge_bad_input(bureau, study, make_study, people, client):
    source = services.create_code(study, name="Usages")
    child = services.create_code(study, name="Rédaction", parent=source)
    foreign = services.create_code(make_study(bureau), name="Ailleurs")
    before = snapshot(study)
    for target, message in ((source.pk, "into itself"), (child.pk, "own sub-code"),
                            (foreign.pk, "among the codes of this study"), ("", "choose the code")):
        response = _post(client, people["member"], url(study, f"{source.pk}/merge/"),
                         {f"merge{source.pk}-target": target})
        assert response.status_code == 400
        assert message in response.content.decode().replace("&#x27;", "'"), target
        assert response.context["code"] == source and response.context["code"].merge_form.is_bound  # its page
    assert snapshot(study) == before


def test_merge_through_the_page(study, people, client, observation_factory):
    source = services.create_code(study, name="Rédaction")
    target = services.create_code(study, name="Écriture")
    observation = observation_factory()
    CodedObservation.objects.create(tag=source, content_object=observation)
    CodedObservation.objects.create(tag=target, content_object=observation)
    item = excerpt(observation, source)
    response = _post(client, people["member"], url(study, f"{source.pk}/merge/"),
                     {f"merge{source.pk}-target": target.pk})
    assert response.status_code == 302 and response.url.endswith(f"#code-{target.pk}")
    assert not Code.objects.filter(pk=source.pk).exists()
    assert list(observation.coded_items.values_list("tag_id", flat=True)) == [target.pk]
    assert list(item.codes.values_list("pk", flat=True)) == [target.pk]
    page = client.get(response.url)
    assert "« Rédaction » was merged into « Écriture »" in page.content.decode()


def test_memo_bad_input_and_hostile_markdown(study, people, client):
    code = services.create_code(study, name="Usages")
    before = snapshot(study)
    response = _post(client, people["member"], url(study, f"{code.pk}/memos/"), {f"memo{code.pk}-body": "  "})
    # The same memo form as on a source's page: the error next to the field, the page's notice above.
    assert response.status_code == 400 and response.context["code"].memo_form.has_error("body")
    assert "The memo is empty." in response.content.decode()
    assert "The memo was not saved." in response.content.decode()
    assert snapshot(study) == before
    response = _post(client, people["member"], url(study, f"{code.pk}/memos/"), {f"memo{code.pk}-body": HOSTILE})
    assert response.status_code == 302
    memo = Memo.objects.get(code=code)
    assert memo.author == people["member"] and memo.study_id == study.pk
    assert_harmless(memo.body_html)


# --- One walk of the code tree, one colour rule ----------------------------------------------------


def _code(pk: int, name: str, parent: int | None = None) -> Code:
    return Code(pk=pk, name=name, parent_id=parent, colour="#123456")


def test_code_tree_reads_by_name_without_case_or_accent_encoding_and_survives_a_cycle():
    """One order for every page, in Python: accents and case set aside (« Éthique », written here with
    a combining accent, between « autre » and « zèle »), not the database's LOWER (SQLite folds ASCII
    only). Codes caught in a cycle come last, each once, as families."""
    from studies.models.coding import code_tree

    codes = [
        _code(1, "zèle"), _code(2, "E\u0301thique"), _code(3, "autre"), _code(4, "Bis", parent=3),
        _code(5, "ancre", parent=3), _code(6, "profond", parent=5), _code(7, "orphelin", parent=99),
        _code(8, "boucle A", parent=9), _code(9, "boucle B", parent=8),  # corrupt data: a cycle
    ]
    ordered = code_tree(codes)
    assert [code.pk for code in ordered] == [3, 5, 6, 4, 2, 7, 1, 8, 9]
    assert [code.depth for code in ordered] == [0, 1, 2, 1, 0, 0, 0, 0, 1]
    by_pk = {code.pk: code for code in ordered}
    assert by_pk[3].subtree == {3, 4, 5, 6} and by_pk[5].subtree == {5, 6} and by_pk[6].subtree == {6}
    assert by_pk[6].family is by_pk[3] and by_pk[7].family is by_pk[7]  # a missing parent: a family
    assert len(ordered) == len(codes)  # every code once, the cycle included


def test_descendants_and_model_validation_use_the_same_walk(study):
    from django.core.exceptions import ValidationError

    from studies.models.coding import descendant_ids

    family = services.create_code(study, name="Famille")
    child = services.create_code(study, name="Enfant", parent=family)
    grandchild = services.create_code(study, name="Petit-enfant", parent=child)
    assert descendant_ids(family) == {child.pk, grandchild.pk} and descendant_ids(grandchild) == set()
    family.parent = grandchild
    with pytest.raises(ValidationError) as refused:
        family.clean()
    assert "parent" in refused.value.message_dict
    family.parent = None
    family.clean()  # a family again: fine


@pytest.mark.parametrize(
    ("value", "valid"),
    [("#A1b2C3", True), ("#1d6b5f", True), ("1d6b5f", False), ("#1d6b5", False), ("#1d6b5fa", False),
     ("red", False), ("", False), (None, False), ('#123456" onmouseover="x', False)],
)
def test_one_colour_rule_for_model_services_forms_and_views(study, value, valid):
    from django.core.exceptions import ValidationError

    from studies.models.coding import DEFAULT_COLOUR, is_colour, safe_colour, validate_colour

    assert is_colour(value) is valid
    assert safe_colour(value) == (value if valid else DEFAULT_COLOUR)
    if valid:
        validate_colour(value)
        assert services.create_code(study, name=f"Code {value}", colour=value).colour == value.lower()
    else:
        with pytest.raises(ValidationError):
            validate_colour(value)
        with pytest.raises(services.CodebookError):
            services.create_code(study, name="Refusé", colour=value)


def test_codebook_count_and_list_filter_count_the_same_observations(bureau, study, people, make_collective,
                                                                    observation_factory, client):
    """Issue 11 item 9: one definition (whole note or an excerpt), stated on the page, used by both."""
    refus = services.create_code(study, name="Refus")
    whole_only = [observation_factory() for _ in range(2)]
    excerpt_only = [observation_factory() for _ in range(3)]
    both = observation_factory()
    observation_factory()  # not coded
    for observation in (*whole_only, both):
        CodedObservation.objects.create(tag=refus, content_object=observation)
    for observation in (*excerpt_only, both):
        excerpt(observation, refus)
    excerpt(both, refus, start=2, end=6)  # two excerpts on one observation count it once

    client_for(client, people["member"])
    html = client.get(url(study)).content.decode()
    item = re.search(rf'id="code-{refus.pk}".*?(?=<li class="code"|</section>)', html, re.S).group(0)
    codebook_count = int(re.search(r'data-count="observations">(\d+)<', item).group(1))
    assert codebook_count == 6
    assert "applied to the whole note or to at least one" in html or "à au moins un" in html
    listed = client.get(study.url + study.reverse_subpage("observation_list") + f"?code={refus.pk}")
    assert listed.context["count"] == codebook_count
    assert f"?code={refus.pk}" in item, "the count links to the filtered list"
    assert Observation.objects.consented().coded_with(refus).count() == codebook_count
