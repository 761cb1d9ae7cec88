"""Text made only of invisible characters counts as empty wherever text is required (issue 10, item 9).

A block whose reason is a zero-width space, a proposal titled with a word joiner, a memo of BOMs:
each was accepted because `str.strip()` leaves format characters. `participants.text.is_blank` decides
what shows nothing; the services and every form with required text use it.
"""

from __future__ import annotations

import pytest
from django import forms

from commons import actions as governance
from commons.forms import CommentForm, ProposalForm
from commons.models import Ballot, Role
from commons.models.governance import Method
from participants.formfields import VisibleTextMixin
from participants.forms import SignupProfileForm
from participants.text import is_blank, search_terms, visible
from studies import codebook as services
from studies.views.coding import MemoForm
from tests.commons.test_governance import make_rule, open_vote, refused

#: Every one of these shows nothing.
INVISIBLE = [
    "",
    " \t\n\r",
    "\u200b",  # zero-width space
    "\u200c\u200d",  # zero-width non-joiner, joiner
    "\u2060",  # word joiner
    "\ufeff",  # byte-order mark
    "\u00a0\u3000",  # no-break space, ideographic space
    "\u202e\u200e",  # bidi override, left-to-right mark
    "\u00ad",  # soft hyphen
    "\x00\x07\x1b",  # control characters
    "\u3164\u115f",  # Hangul fillers
    "\u2800",  # braille blank
    "\u0301",  # a combining accent with nothing to sit on
    " \u200b \u2060\ufeff \u200b ",
]
VISIBLE = ["a", "é", "x\u200by", "漢", "🙂", "-", "e\u0301", "0"]

#: The shortest invisible text a person can paste; used in the form and service tests below.
ZW = "\u200b\u2060\ufeff"


@pytest.mark.parametrize("text", INVISIBLE)
def test_invisible_text_is_blank(text):
    assert is_blank(text)
    assert visible(text) == ""


@pytest.mark.parametrize("text", VISIBLE)
def test_visible_text_is_not_blank(text):
    assert not is_blank(text)
    assert visible(f"\u200b {text}\ufeff\n") == text


def test_search_terms_keep_words_only():
    assert search_terms('" NEAR( * OR ^ ( l\'IA "générative"') == "NEAR OR l IA générative"
    assert search_terms('"') == ""
    assert len(search_terms("mot " * 100).split()) == 20


# --- the services ------------------------------------------------------------------------------------


@pytest.fixture
def voters(bureau, make_person) -> dict:
    return {"coordinator": make_person(bureau, Role.COORDINATOR), "m1": make_person(bureau, Role.MEMBER)}


def test_a_block_with_an_invisible_reason_is_refused(bureau, voters):
    proposal = open_vote(bureau, voters["coordinator"], make_rule(bureau, Method.CONSENT))
    for reason in (ZW, "\u200b \u200b", "\u202e\u00ad"):
        refused(governance.cast_ballot, proposal, voters["m1"], choice="block", reason=reason)
    ballot = governance.cast_ballot(proposal, voters["m1"], choice="block", reason="\u200bRisque RGPD.")
    assert ballot.reason.endswith("Risque RGPD.")


def test_a_block_with_an_invisible_reason_is_refused_on_the_page(client, bureau, voters):
    proposal = open_vote(bureau, voters["coordinator"], make_rule(bureau, Method.CONSENT))
    client.force_login(voters["m1"])
    url = f"{bureau.url}proposals/{proposal.pk}/vote/"
    response = client.post(url, {"choice": "block", "reason": ZW})
    assert response.status_code == 400
    assert not Ballot.objects.filter(proposal=proposal).exists()


def test_a_proposal_title_or_option_made_of_invisible_characters_is_refused(bureau, voters):
    with pytest.raises(governance.GovernanceError):
        governance.create_proposal(bureau, voters["m1"], title=ZW, body="Texte.", rule=make_rule(bureau))
    rule = make_rule(bureau, Method.MAJORITY_JUDGMENT)
    with pytest.raises(governance.GovernanceError):  # one real option and one invisible one
        governance.create_proposal(bureau, voters["m1"], title="Choix", body="Texte.", rule=rule,
                                   options=["Option A", ZW])


def test_a_code_name_or_memo_made_of_invisible_characters_is_refused(study, make_person, bureau):
    author = make_person(bureau, Role.MEMBER)
    with pytest.raises(services.CodebookError):
        services.create_code(study, name=ZW)
    code = services.create_code(study, name="\u200bUsages\u200b")
    assert code.name == "Usages"
    with pytest.raises(services.CodebookError):
        services.add_code_memo(code, author, ZW)


# --- the forms ---------------------------------------------------------------------------------------


def test_proposal_form_refuses_an_invisible_title_and_body(bureau):
    form = ProposalForm({"title": ZW, "body": ZW, "kind": "free", "rule": make_rule(bureau).pk},
                        bureau=bureau)
    assert not form.is_valid()
    assert {"title", "body"} <= set(form.errors)


@pytest.mark.parametrize("form_class", [CommentForm, MemoForm])
def test_comment_and_memo_forms_refuse_invisible_bodies(form_class):
    form = form_class({"body": ZW})
    assert not form.is_valid() and "body" in form.errors
    assert form_class({"body": "Un vrai texte."}).is_valid()


def test_signup_refuses_an_invisible_name():
    form = SignupProfileForm({"display_name": ZW, "category": "researcher"})
    assert not form.is_valid() and "display_name" in form.errors


def test_observation_and_interview_forms_refuse_invisible_titles(study, bureau, make_collective):
    from studies.forms import InterviewForm, ObservationForm

    collective = make_collective(bureau)
    form = ObservationForm({"observed_on": "2026-03-01", "collective": collective.pk, "setting": "meeting",
                            "title": ZW, "body": ZW, "visibility": "team"}, study=study)
    assert not form.is_valid()
    assert {"title", "body"} <= set(form.errors)
    form = InterviewForm({"title": ZW, "transcript": ZW, "mode": "in_person"}, study=study)
    assert not form.is_valid()
    assert {"title", "transcript"} <= set(form.errors)


def test_the_mixin_leaves_optional_fields_and_other_types_alone():
    class Sample(VisibleTextMixin, forms.Form):
        required = forms.CharField()
        optional = forms.CharField(required=False)
        number = forms.IntegerField()

    form = Sample({"required": ZW, "optional": ZW, "number": "3"})
    assert not form.is_valid()
    assert set(form.errors) == {"required"}
    assert Sample({"required": "x", "optional": ZW, "number": "3"}).is_valid()
