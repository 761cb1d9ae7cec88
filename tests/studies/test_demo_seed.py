"""The demo study (`studies.demo`) and the scale seeder (`manage.py bec_seed`)."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from django.db.models import Count

from commons import demo as commons_demo
from commons.markup import plain_text, render_markdown
from participants.models import Collective, ConsentRecord
from studies import demo as studies_demo
from studies import demo_refi
from studies.models import AITool, Code, CodedObservation, Document, Excerpt, Memo, Observation, StudyPage


def _counts() -> dict[str, int]:
    models = (StudyPage, Collective, ConsentRecord, AITool, Observation, Code, CodedObservation, Excerpt, Memo,
              Excerpt.codes.through, Observation.ai_tools.through, Document)
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def demo_study(home):
    bureau = commons_demo.build(home)["bureau"]
    return studies_demo.build(bureau)


def test_demo_study_content(demo_study):
    study = demo_study
    assert study.slug == "usages-ia-generative" and study.live and study.status == "fieldwork"
    collectives = Collective.objects.filter(bureau=study.get_parent())
    assert collectives.count() == 6
    assert len(set(collectives.values_list("legal_form", flat=True))) == 6
    withdrawn = ConsentRecord.objects.filter(collective__in=collectives, withdrawn_at__isnull=False)
    assert withdrawn.count() == 1
    assert AITool.objects.count() == 8
    observations = Observation.objects.filter(study=study)
    assert 35 <= observations.count() <= 45
    codes = Code.objects.filter(study=study).exclude(uuid__in=demo_refi.CODES.values())
    assert 13 <= codes.count() <= 17
    assert codes.filter(parent__isnull=True).count() == 4
    assert len(set(codes.values_list("colour", flat=True))) == codes.count()
    assert Memo.objects.filter(study=study, code__isnull=False).exists()
    assert Memo.objects.filter(study=study, observation__isnull=False).exists()
    assert CodedObservation.objects.filter(content_object__study=study).count() >= 40


def test_demo_study_holds_an_imported_nvivo_project(demo_study):
    """The demo's REFI-QDA project (UTF-16 offsets, CRLF, BOM) lands on the intended words."""
    document = Document.objects.get(study=demo_study)
    assert "\r" not in document.plain_text and "🌍" in document.plain_text
    excerpts = Excerpt.objects.filter(document=document).select_related("coder")
    assert sorted(e.text for e in excerpts) == sorted(passage for passage, _code, _coder in demo_refi.PASSAGES)
    assert {e.coder.email for e in excerpts if e.coder} == {"lea.dubois@bec-demo.fr"}
    assert {e.imported_coder for e in excerpts if not e.coder} == {"Jordan (NVivo)"}
    assert Code.objects.get(study=demo_study, uuid=demo_refi.CODES["translation"]).parent.name == "Terrain partenaire"


def test_withdrawn_collective_disappears(demo_study):
    withdrawn = ConsentRecord.objects.get(withdrawn_at__isnull=False).collective
    everything = Observation.objects.filter(study=demo_study)
    consented = everything.consented()
    hidden = everything.filter(collective=withdrawn)
    assert hidden.exists()
    assert consented.count() == everything.count() - hidden.count()
    assert not consented.filter(collective=withdrawn).exists()


def test_two_coders_partly_agree_on_the_same_observations(demo_study):
    excerpts = Excerpt.objects.filter(observation__study=demo_study)
    coders = set(excerpts.values_list("coder__email", flat=True))
    assert coders == {"lea.dubois@bec-demo.fr", "camille.martin@bec-demo.fr"}
    per_observation = excerpts.values("observation").annotate(coders=Count("coder", distinct=True))
    assert 10 <= len(per_observation) <= 14
    assert all(row["coders"] == 2 for row in per_observation)
    lea = {(e.observation_id, e.start, e.end) for e in excerpts if e.coder.email.startswith("lea")}
    camille = {(e.observation_id, e.start, e.end) for e in excerpts if e.coder.email.startswith("camille")}
    assert lea & camille, "some excerpts are identical"
    assert lea - camille and camille - lea, "others differ"
    for excerpt in excerpts.select_related("observation"):
        assert excerpt.text == excerpt.observation.plain_text[excerpt.start:excerpt.end]
        assert excerpt.codes.exists()
        assert excerpt.observation.collective.consents.current().exists()


def test_demo_is_idempotent(demo_study):
    before = _counts()
    studies_demo.build(demo_study.get_parent().specific)
    assert _counts() == before


def test_bec_demo_command_prints_the_study(db, capsys):
    call_command("bec_demo")
    out = capsys.readouterr().out
    assert "usages-ia-generative" in out
    assert "/usages-ia-generative/exchange/" in out  # the Échanges page, shown by the demo


# --- bec_seed ------------------------------------------------------------------------------------------


def test_phrase_banks_have_no_markdown_syntax():
    """The seeder sets plain_text without rendering: it must equal commons.markup.plain_text."""
    from studies.management.commands import bec_seed

    for sentence in bec_seed.all_sentences():
        assert plain_text(sentence) == sentence, sentence


def test_bec_seed_creates_observations_codes_and_excerpts(db, capsys):
    started = time.perf_counter()
    call_command("bec_seed", observations=200, batch_size=75)
    elapsed = time.perf_counter() - started
    assert elapsed < 10
    study = StudyPage.objects.get(slug="etude-de-charge")
    observations = Observation.objects.filter(study=study)
    assert observations.count() == 200
    assert observations.consented().count() == 200
    assert Collective.objects.filter(bureau=study.get_parent()).count() == 50
    assert 28 <= Code.objects.filter(study=study).count() <= 32
    assert Code.objects.filter(study=study, parent__isnull=True).count() == 4
    for observation in observations:
        assert 300 <= len(observation.body) <= 1500
        assert observation.plain_text == plain_text(observation.body)
        assert observation.body_html == str(render_markdown(observation.body))
    assert Observation.ai_tools.through.objects.filter(observation__study=study).count() >= 200
    assert CodedObservation.objects.filter(content_object__study=study).count() >= 200
    excerpts = Excerpt.objects.filter(observation__study=study).select_related("observation")
    assert 200 <= excerpts.count() <= 600
    assert excerpts.values("coder").distinct().count() == 2
    for excerpt in excerpts:
        assert 0 <= excerpt.start < excerpt.end <= len(excerpt.observation.plain_text)
        assert excerpt.text == excerpt.observation.plain_text[excerpt.start:excerpt.end]
    assert Excerpt.codes.through.objects.filter(excerpt__observation__study=study).count() == excerpts.count()
    assert Code.objects.filter(study=study, excerpts__isnull=False).distinct().count() > 10
    assert "200 / 200" in capsys.readouterr().out
    # The seeder switches MarkdownField.pre_save off while it runs; ordinary saves render again after it.
    after = Observation.objects.create(study=study, collective=observations[0].collective, setting="online",
                                       title="t", body="**gras**")
    assert after.body_html == "<p><strong>gras</strong></p>"


def test_bec_seed_again_reuses_study_collectives_and_codes(db):
    call_command("bec_seed", observations=20, seed=1)
    before = (Collective.objects.count(), Code.objects.count(), AITool.objects.count(), StudyPage.objects.count())
    call_command("bec_seed", observations=30, seed=2)
    assert (Collective.objects.count(), Code.objects.count(), AITool.objects.count(),
            StudyPage.objects.count()) == before
    assert Observation.objects.count() == 50


def test_bec_seed_into_the_demo_study_keeps_its_codebook(demo_study):
    demo_codes = set(Code.objects.filter(study=demo_study).values_list("name", flat=True))
    demo_members = set(demo_study.get_parent().specific.memberships.values_list("user_id", flat=True))
    call_command("bec_seed", observations=30, study_slug="usages-ia-generative")
    codes = set(Code.objects.filter(study=demo_study).values_list("name", flat=True))
    assert demo_codes < codes
    seeded = Observation.objects.filter(study=demo_study, title__contains=" avec ")
    assert set(Excerpt.objects.filter(observation__in=seeded).values_list("coder", flat=True)) <= demo_members
    assert Observation.objects.filter(study=demo_study).count() == 40 + 30


@pytest.mark.parametrize("index", [False, True])
def test_bec_seed_indexes_for_search_only_when_asked(db, index):
    from wagtail.search.backends import get_search_backend

    call_command("bec_seed", observations=10, index=index)
    observations = Observation.objects.filter(study=StudyPage.objects.get(slug="etude-de-charge"))
    some = observations.first()
    word = some.title.split()[0]
    found = list(get_search_backend().search(word, observations))
    assert (some in found) is index


def test_demo_gives_the_analysis_something_to_say(demo_study):
    """A co-occurrence a researcher would comment on, and an AI tools × purposes crosstab."""
    from django.http import QueryDict

    from studies.analysis import cooccurrence, crosstab
    from studies.analysis.filters import scope_for

    _form, scope = scope_for(demo_study, QueryDict(""))
    _diagonal, pairs = cooccurrence.counts(scope, "excerpt")
    (low, high), (count, _both) = max(pairs.items(), key=lambda item: item[1][0])
    assert count >= 4, (scope.codes[low].name, scope.codes[high].name, count)
    assert {scope.codes[low].name, scope.codes[high].name} == {"Emploi", "Gain de temps"}
    table = crosstab.table(scope, "ai_tool", "purpose")
    filled = [cell for line in table.cells for cell in line if cell.count]
    assert len(table.row_values) >= 5 and len(table.column_values) >= 5 and len(filled) >= 15
    chatgpt = dict(table.row_values)
    assert "ChatGPT" in chatgpt.values()


def test_demo_story_holds_together(db, capsys):
    """Issue 11 item 16: decisions numbered in date order, members joined before their first ballot,
    and the printed summary counts what the site shows."""
    from commons.models import Ballot, BureauPage, Decision, Membership, Proposal
    from commons.models.governance import Status

    call_command("bec_demo")
    out = capsys.readouterr().out
    bureau = BureauPage.objects.get()
    decisions = list(Decision.objects.filter(bureau=bureau).order_by("sequence"))
    assert len(decisions) >= 4
    assert [d.closed_at for d in decisions] == sorted(d.closed_at for d in decisions), "numbered in date order"
    for ballot in Ballot.objects.select_related("proposal"):
        joined = Membership.objects.filter(user_id=ballot.voter_id, bureau=bureau).order_by("joined_at").first()
        assert joined.joined_at < ballot.proposal.opens_at, "« Membre depuis » before the member's votes"
    proposals = Proposal.objects.filter(bureau=bureau)
    assert f"{proposals.count()}, " in out or f"{proposals.count()} " in out
    assert f"{proposals.filter(status=Status.OPEN).count()} " in out and f"{len(decisions)} décisions" in out


def test_the_demo_and_a_seeding_leave_every_summary_exact(demo_study):
    """Issue 15: `check_summaries` after the demo is loaded (and after `bec_seed`, which writes in
    bulk and recounts at its end): the codebook's tallies equal a recount."""
    from io import StringIO

    from studies import tallies

    call_command("check_summaries", stdout=StringIO())
    assert tallies.differences(demo_study) == []
    call_command("bec_seed", observations=25, study_slug="usages-ia-generative")
    call_command("check_summaries", stdout=StringIO())
