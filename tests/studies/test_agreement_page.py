"""The `agreement/` page: access, the coder form and its errors, consent, and bounded queries."""

from __future__ import annotations

from fractions import Fraction

import pytest
from django.utils import timezone

from commons.models import Membership, Role
from studies.models import Code, Excerpt, Observation
from tests.conftest import client_for, count_queries

pytestmark = pytest.mark.django_db


def url(study) -> str:
    return study.url + study.reverse_subpage("agreement")


def observe(study, collective, length, title="Observation"):
    """An observation whose plain text is `length` characters long."""
    return Observation.objects.create(
        study=study, collective=collective, setting="meeting", title=title, body="x" * length
    )


def excerpt(observation, coder, start, end, *codes, needs_review=False):
    item = Excerpt.objects.create(
        observation=observation,
        coder=coder,
        start=start,
        end=end,
        text=observation.plain_text[start:end],
        needs_review=needs_review,
    )
    item.codes.set(codes)
    return item


@pytest.fixture
def coded(study, bureau, people, make_collective):
    """The textbook example on the page.

    One 50-character observation; code X: A (member) codes [0, 25), B (coordinator) codes [0, 20)
    and [25, 35) → table (20, 5, 10, 15), κ = 2/5 (worked out in test_agreement.py).
    """
    a, b = people["member"], people["coordinator"]
    x = Code.objects.create(study=study, name="usages", colour="#aa0000")
    y = Code.objects.create(study=study, name="tensions")
    collective = make_collective(bureau)
    observation = observe(study, collective, 50, "Atelier d'écriture")
    excerpt(observation, a, 0, 25, x)
    excerpt(observation, b, 0, 20, x)
    excerpt(observation, b, 25, 35, x)
    return {"a": a, "b": b, "x": x, "y": y, "collective": collective, "observation": observation}


# --- Access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("outsider", 404),
        ("other_member", 404),
        ("observer", 200),
        ("member", 200),
        ("coordinator", 200),
    ],
)
def test_permission_matrix(client, study, people, coded, who, status):
    response = client_for(client, people[who]).get(url(study))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")
    if status != 200:
        assert b"Atelier" not in response.content


def test_defaults_to_the_two_coders_with_most_excerpts(client, study, people, coded):
    response = client_for(client, people["observer"]).get(url(study))
    assert response.status_code == 200
    # B (coordinator) has 2 excerpts, A (member) 1
    assert (response.context["coder_a"], response.context["coder_b"]) == (
        people["coordinator"],
        people["member"],
    )
    report = response.context["report"]
    assert report.observations == 1 and report.characters == 50
    assert report.kappa == Fraction(2, 5)  # symmetric: the order of the coders does not matter
    assert report.band[0] == "fair"
    row = report.codes[0]
    assert (row.coded_by_a, row.coded_by_b, row.coded_by_both) == (30, 25, 20)
    # the code neither used is named apart
    assert response.context["unused_codes"] == ["tensions"]
    html = response.content.decode()
    assert "0,40" in html or "0.40" in html
    assert "agreement-method" in html  # the definition is on the page


def test_choosing_the_coders(client, study, people, coded):
    a, b = coded["a"], coded["b"]
    response = client_for(client, people["member"]).get(url(study), {"coder_a": a.pk, "coder_b": b.pk})
    assert response.status_code == 200
    assert (response.context["coder_a"], response.context["coder_b"]) == (a, b)
    row = response.context["report"].codes[0]
    assert row.table == (20, 5, 10, 15)
    assert (row.coded_by_a, row.coded_by_b) == (25, 30)


def test_undefined_kappa_shows_a_dash_and_the_raw_agreement(client, study, bureau, people, make_collective):
    # Both coded the observation with X everywhere: pA = pB = 1 → p_e = 1 → κ undefined, p_o = 1.
    x = Code.objects.create(study=study, name="usages")
    observation = observe(study, make_collective(bureau), 10)
    excerpt(observation, people["member"], 0, 10, x)
    excerpt(observation, people["coordinator"], 0, 10, x)
    response = client_for(client, people["member"]).get(url(study))
    report = response.context["report"]
    assert report.kappa is None and report.observed == 1
    html = response.content.decode()
    assert 'class="kappa">—' in html
    assert "100,0 %" in html or "100.0 %" in html


# --- Bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["same", "unknown", "not_a_number", "outsider", "non_coder", "missing"])
def test_bad_coder_choices_give_a_clear_error(client, study, people, coded, make_person, case):
    a = coded["a"]
    outsider = make_person()  # not in the bureau, yet with an excerpt in the study
    excerpt(coded["observation"], outsider, 0, 5, coded["x"])
    params = {
        "same": {"coder_a": a.pk, "coder_b": a.pk},
        "unknown": {"coder_a": a.pk, "coder_b": 987654},
        "not_a_number": {"coder_a": "abc", "coder_b": a.pk},
        "outsider": {"coder_a": a.pk, "coder_b": outsider.pk},
        "non_coder": {"coder_a": a.pk, "coder_b": people["observer"].pk},  # a member with no excerpt
        "missing": {"coder_a": a.pk},
    }[case]
    before = Excerpt.objects.count()
    client.cookies["django_language"] = "en"  # the messages below are the English source strings
    response = client_for(client, people["member"]).get(url(study), params)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors
    assert "report" not in response.context
    html = response.content.decode()
    assert 'class="errorlist' in html and "<form" in html
    if case == "same":
        assert "two different coders" in str(form.non_field_errors())
    elif case != "missing":
        message = str(form.errors)
        assert "coded excerpts in this study" in message
    assert Excerpt.objects.count() == before


def test_an_outsider_is_never_offered_as_a_coder(client, study, people, coded, make_person):
    outsider = make_person()
    for _ in range(3):  # more excerpts than anyone: would be the default if outsiders counted
        excerpt(coded["observation"], outsider, 0, 5, coded["x"])
    response = client_for(client, people["member"]).get(url(study))
    assert outsider not in response.context["coders"]
    assert outsider.pk not in (response.context["coder_a"].pk, response.context["coder_b"].pk)


def test_a_former_member_is_not_offered(client, study, people, coded):
    Membership.objects.filter(user=coded["b"]).update(left_at=timezone.now())
    response = client_for(client, people["member"]).get(url(study))
    assert response.status_code == 200
    assert [coder.pk for coder in response.context["coders"]] == [coded["a"].pk]
    assert "report" not in response.context
    assert 'class="notice"' in response.content.decode()


def test_no_coders_yet(client, study, people):
    response = client_for(client, people["observer"]).get(url(study))
    assert response.status_code == 200
    assert response.context["coders"] == [] and "report" not in response.context


def test_excerpts_flagged_for_review_are_left_out(client, study, people, coded):
    # A flagged excerpt of A's over [25, 50) would change the table; it is ignored and counted.
    excerpt(coded["observation"], coded["a"], 25, 50, coded["x"], needs_review=True)
    response = client_for(client, people["member"]).get(url(study))
    assert response.context["report"].kappa == Fraction(2, 5)
    assert response.context["flagged"] == 1


def test_hostile_names_are_escaped(client, study, people, coded):
    Code.objects.filter(pk=coded["x"].pk).update(name="<script>alert(1)</script>", colour='"><b>xy')
    Observation.objects.filter(pk=coded["observation"].pk).update(title="<img src=x onerror=alert(1)>")
    # make it a disagreement so the title is listed
    excerpt(coded["observation"], coded["a"], 45, 50, coded["x"])
    html = client_for(client, people["member"]).get(url(study)).content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html and '"><b>' not in html


# --- Disagreements and consent --------------------------------------------------------------------


def test_disagreements_are_listed_most_first_with_links(client, study, bureau, people, make_collective):
    a, b = people["member"], people["coordinator"]
    x = Code.objects.create(study=study, name="usages")
    collective = make_collective(bureau)
    # Three observations of 10 characters, one code: A codes [0, 10); B codes [0, 10 − k)
    # → k characters differ → score k/10. k = 2, 7, 0, 5 for the four below.
    observations = {}
    for k, title in ((2, "Deux"), (7, "Sept"), (0, "Zéro"), (5, "Cinq")):
        observation = observe(study, collective, 10, title)
        excerpt(observation, a, 0, 10, x)
        excerpt(observation, b, 0, 10 - k, x)
        observations[title] = observation
    response = client_for(client, people["member"]).get(url(study))
    listed = [item.title for item, _parts in response.context["disagreements"]]
    assert listed == ["Sept", "Cinq", "Deux"]  # « Zéro » has no disagreement
    scores = [item.score for item, _parts in response.context["disagreements"]]
    assert scores == [Fraction(7, 10), Fraction(1, 2), Fraction(1, 5)]
    html = response.content.decode()
    links = [f"{study.url}observations/{observations[title].pk}/" for title in listed]
    positions = [html.index(f'href="{link}"') for link in links]
    assert positions == sorted(positions)
    assert collective.code in html


def test_withdrawn_consent_removes_the_observation(client, study, bureau, people, coded, make_collective):
    # A second observation, from another collective, where they disagree completely:
    # 10 chars, A [0,5) and B [5,10) with X. Pooled X = (20,5,10,15) + (0,5,5,0) = (20,10,15,15), n = 60:
    # p_o = 35/60 = 7/12; pA = 30/60 = 1/2; pB = 35/60 = 7/12; p_e = 7/24 + 5/24 = 1/2
    # κ = (7/12 − 1/2) / (1/2) = 1/6
    withdrawing = make_collective(bureau)
    other = observe(study, withdrawing, 10, "Retirée")
    excerpt(other, coded["a"], 0, 5, coded["x"])
    excerpt(other, coded["b"], 5, 10, coded["x"])
    visitor = client_for(client, people["member"])
    response = visitor.get(url(study))
    assert response.context["report"].observations == 2
    assert response.context["report"].kappa == Fraction(1, 6)
    assert "Retirée" in response.content.decode()

    withdrawing.consents.update(withdrawn_at=timezone.now())
    response = visitor.get(url(study))
    assert response.context["report"].observations == 1
    assert response.context["report"].kappa == Fraction(2, 5)
    assert "Retirée" not in response.content.decode()


def test_withdrawn_consent_also_drops_excerpt_counts_of_coders(
    client, study, bureau, people, coded, make_collective
):
    # A third member (the observer) coded only in a collective that then withdraws: no longer offered.
    third = people["observer"]
    withdrawing = make_collective(bureau)
    observation = observe(study, withdrawing, 10)
    for _ in range(5):
        excerpt(observation, third, 0, 5, coded["x"])
    visitor = client_for(client, people["member"])
    assert third in visitor.get(url(study)).context["coders"]
    withdrawing.consents.update(withdrawn_at=timezone.now())
    assert third not in visitor.get(url(study)).context["coders"]


# --- Queries ---------------------------------------------------------------------------------------


def _populate(study, bureau, people, make_collective, n):
    a, b = people["member"], people["coordinator"]
    codes = [Code.objects.create(study=study, name=f"code {i}") for i in range(3)]
    collective = make_collective(bureau)
    for i in range(n):
        observation = observe(study, collective, 40, f"Observation {i}")
        excerpt(observation, a, 0, 10 + i % 7, codes[i % 3], codes[(i + 1) % 3])
        excerpt(observation, b, 5, 20, codes[i % 3])
        excerpt(observation, b, 25, 30 + i % 5, codes[(i + 2) % 3])


def test_query_count_does_not_grow_with_the_data(
    client, make_bureau, make_study, make_person, make_collective
):
    counts = []
    for n in (3, 20):
        bureau = make_bureau()
        study = make_study(bureau)
        people = {
            "member": make_person(bureau, Role.MEMBER),
            "coordinator": make_person(bureau, Role.COORDINATOR),
        }
        _populate(study, bureau, people, make_collective, n)
        visitor = client_for(client, people["member"])
        response = visitor.get(url(study))
        assert response.context["report"].observations == n
        assert len(response.context["disagreements"]) == min(n, 10)
        counts.append(count_queries(visitor, url(study)))
    assert counts[0] == counts[1], counts


def test_alpha_is_shown_next_to_kappa_for_the_pair_and_for_all_coders(
    client, bureau, study, make_person, make_collective
):
    """Three coders: the pair's alpha and the all-coders alpha are those of `studies.agreement.alpha`."""
    from studies.agreement import ObsData, alpha

    collective = make_collective(bureau)
    coders = [make_person(bureau, Role.MEMBER) for _ in range(3)]
    code = Code.objects.create(study=study, name="Usages", slug="usages")
    note = observe(study, collective, 20)
    spans = [(0, 10), (5, 15), (0, 12)]
    for coder, (start, end) in zip(coders, spans, strict=True):
        Excerpt.objects.create(observation=note, coder=coder, start=start, end=end, text="x").codes.add(code)
    data = [
        ObsData(
            note.pk,
            note.title,
            20,
            [(c.pk, s, e, [code.pk]) for c, (s, e) in zip(coders, spans, strict=True)],
        )
    ]
    response = client_for(client, coders[0]).get(
        url(study) + f"?coder_a={coders[0].pk}&coder_b={coders[1].pk}"
    )
    assert response.status_code == 200
    pair = alpha(data, [coders[0].pk, coders[1].pk], [code.pk])
    every = alpha(data, [c.pk for c in coders], [code.pk])
    assert response.context["alpha_pair"].pooled == pair.pooled and pair.pooled is not None
    assert response.context["alpha_all"].pooled == every.pooled and every.pooled != pair.pooled
    html = response.content.decode()
    assert f"{float(pair.pooled):.2f}" in html and f"{float(every.pooled):.2f}" in html
    assert 'class="overall-alpha"' in html and 'class="all-coders-alpha"' in html


def test_the_summaries_give_the_slow_ways_reports(bureau, study, make_person, make_collective):
    """The page's figures come from the summaries (`analysis.agreement_sums`): for every pair of three
    coders, and for all three, the same reports as reading their excerpts (`analysis.reliability`),
    with an excerpt flagged for review around."""
    from commons.models import Role
    from studies.analysis.agreement_sums import all_coders_alpha, pair_report
    from studies.analysis.reliability import slow_all_coders_alpha, slow_pair_report
    from studies.models import Excerpt, Observation

    from .analysis_data import build_study

    world = build_study(bureau, study, make_person, make_collective, observations=12, seed=3)
    third = make_person(bureau, Role.MEMBER)
    for observation in world.observations[::2]:
        Excerpt.objects.create(observation=observation, coder=third, start=0, end=20, text="x").codes.add(
            world.codes["tensions"]
        )
    flagged = Excerpt.objects.filter(observation__isnull=False).first()
    flagged.needs_review = True
    flagged.save()
    consented = Observation.objects.consented().filter(study=study)
    coders = [world.coders[0].pk, world.coders[1].pk, third.pk]
    codes = [code.pk for code in world.codes.values()]
    for a, b in ((coders[0], coders[1]), (coders[0], coders[2]), (coders[2], coders[1])):
        fast = pair_report(study, a, b, codes)
        assert fast == slow_pair_report(study, consented, a, b, codes) and fast[0].observations
    assert all_coders_alpha(study, coders, codes) == slow_all_coders_alpha(study, consented, coders, codes)
