"""The study page: public question and context for everyone; the team's links and the bureau's
collectives (real names, consent per scope) for the study team only; bounded queries."""

from __future__ import annotations

import pytest
from django.utils import timezone

from participants.models import ConsentForm, ConsentRecord
from tests.conftest import client_for, count_queries

VISITORS = ["anonymous", "outsider", "observer", "member", "coordinator", "other_member"]
TEAM = {"observer", "member", "coordinator"}


@pytest.fixture
def collectives(bureau, other_bureau, make_collective):
    full = make_collective(bureau, "Coopérative Réelle", legal_form="scop")
    partial = make_collective(bureau, "Association Véritable", scopes=("observation", "interview"))
    withdrawn = make_collective(bureau, "Tiers-lieu Authentique", legal_form="tiers_lieu")
    withdrawn.consents.update(withdrawn_at=timezone.now())
    elsewhere = make_collective(other_bureau, "Collectif d'un autre bureau")
    return {"full": full, "partial": partial, "withdrawn": withdrawn, "elsewhere": elsewhere}


@pytest.mark.parametrize("visitor", VISITORS)
def test_study_page_for_every_visitor(client, people, study, collectives, visitor):
    response = client_for(client, people[visitor]).get(study.url)
    assert response.status_code == 200
    content = response.content.decode()
    assert study.title.replace("'", "&#x27;") in content
    assert "Comment ?" in content  # research question
    assert "<em>contexte</em>" in content  # stored, sanitised context
    assert f'href="{study.url}ai-tools/"' in content
    team_links = (f"{study.url}observations/", f"{study.url}codebook/", f"{study.url}agreement/")
    real_names = ("Coopérative Réelle", "Association Véritable", "Tiers-lieu Authentique")
    if visitor in TEAM:
        assert all(f'href="{link}"' in content for link in team_links)
        assert collectives["full"].code in content
        # Real names for the study team proper; observers see the codes only (`can_see_identities`).
        if visitor == "observer":
            assert not any(name in content for name in real_names)
        else:
            assert all(name in content for name in real_names)
    else:
        assert not any(link in content for link in team_links)
        assert not any(name in content for name in real_names)
        assert collectives["full"].code not in content
    assert "autre bureau" not in content
    new_link = f'href="{study.url}observations/new/"'
    assert (new_link in content) == (visitor in {"member", "coordinator"})


def test_consent_states_per_scope(client, people, bureau, study, collectives):
    # A current record without « recording » beside a withdrawn one that had it: « withdrawn » for it.
    form = ConsentForm.objects.get(bureau=bureau)
    ConsentRecord.objects.create(form=form, collective=collectives["withdrawn"], scopes=["observation"])
    response = client_for(client, people["observer"]).get(study.url)
    states = {c.code: dict(c.consent_states) for c in response.context["collectives"]}
    assert set(states[collectives["full"].code].values()) == {"given"}
    partial = states[collectives["partial"].code]
    assert list(partial.values()) == ["given", "given", "none", "none", "none", "none"]
    withdrawn = states[collectives["withdrawn"].code]
    assert list(withdrawn.values()) == ["given", "withdrawn", "withdrawn", "withdrawn", "withdrawn", "withdrawn"]
    content = response.content.decode()
    assert "✓" in content and 'class="consent consent-withdrawn"' in content


def test_study_page_queries_do_not_grow(client, people, bureau, study, make_collective):
    member = client_for(client, people["member"])
    for _ in range(2):
        make_collective(bureau)
    small_team = count_queries(member, study.url)
    for _ in range(10):
        collective = make_collective(bureau)
        collective.consents.update(withdrawn_at=timezone.now())
    assert count_queries(member, study.url) == small_team


def test_public_study_page_queries_do_not_grow(client, bureau, study, make_collective):
    make_collective(bureau)
    small = count_queries(client, study.url)
    for _ in range(8):
        make_collective(bureau)
    assert count_queries(client, study.url) == small
