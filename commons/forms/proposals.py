"""Forms of the proposal pages. Rules are limited to the bureau's own, so a forged id is a field error.

The forms only shape and check what people type; the state changes and the voting rules (who is in
the electorate, what a method allows, deadlines) stay in `commons.actions`, whose refusals the
views show as form errors.
"""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from participants.formfields import VisibleTextMixin
from participants.text import is_blank, visible

from .. import voting
from ..models import BureauPage, DecisionRule
from ..models.governance import (
    GRADE_LABELS,
    GRADE_SCALE,
    OPTION_KINDS,
    OPTION_LABEL_MAX,
    PROPOSAL_TITLE_MAX,
    SWITCH_KINDS,
    TARGETED_KINDS,
    BallotChoice,
    Method,
    ProposalKind,
)
from ..rules import kind_table

#: The HTML datetime-local input sends "2026-05-04T18:30" (seconds only when a step asks for them).
DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
MAX_OPTIONS = 20


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class ProposalForm(VisibleTextMixin, forms.Form):
    """A draft. Its rule is not a field: the kind chooses it, by the bureau's table (`commons.rules`).

    A choice among options is its own kind (decided by the bureau's majority-judgment rule); a
    « change of the decision rules » says, for each kind, the rule it proposes (`rule-<kind>`).
    """

    title = forms.CharField(label=_("Title"), max_length=PROPOSAL_TITLE_MAX)
    body = forms.CharField(
        label=_("Proposal"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=50_000,
        help_text=_("What you propose and why. Markdown: **bold**, *italics*, lists, [links](https://…)."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=ProposalKind.choices,
        initial=ProposalKind.FREE,
        help_text=_("The kind decides the rule of the vote, as the bureau's table says."),
    )
    options = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Only for a choice among options (majority judgment): one option per line, at least two."
        ),
    )

    def __init__(self, *args, bureau: BureauPage, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bureau = bureau
        #: {kind: rule} as in force: what each kind will be decided by.
        self.table = kind_table(bureau)
        self.rules = list(DecisionRule.objects.filter(bureau=bureau))
        self.fields["kind"].choices = [
            (kind, f"{capfirst(ProposalKind(kind).label)} — {rule.label()}")
            for kind, rule in self.table.items()
            # Proposed from the codebook or members page with their change, or from a version's page.
            if kind not in SWITCH_KINDS and kind not in TARGETED_KINDS
        ]
        #: Kinds that take options, for the page script that shows the options field only for them.
        self.option_kinds = [
            kind for kind, rule in self.table.items() if rule.method == Method.MAJORITY_JUDGMENT
        ]
        if ProposalKind.RULES in self.table:
            for kind in ProposalKind.values:
                if kind == ProposalKind.RULES and kind not in self.table:
                    continue
                graded = kind in OPTION_KINDS
                choices = [
                    (rule.pk, rule.label())
                    for rule in self.rules
                    if (rule.method == Method.MAJORITY_JUDGMENT) == graded
                ]
                if not choices:
                    continue
                current = self.table.get(kind)
                if kind in SWITCH_KINDS:
                    # No line: the area stays free; choosing this for a governed one frees it.
                    empty = [("", _("freely, without a vote"))]
                else:
                    empty = [("", _("(no such proposals)"))] * (current is None)
                self.fields[f"rule-{kind}"] = forms.TypedChoiceField(
                    label=capfirst(ProposalKind(kind).label),
                    choices=empty + choices,
                    coerce=int,
                    required=False,
                    initial=current.pk if current else "",
                )

    def rule_fields(self) -> list:
        """The bound fields of the proposed table (shown only for a change of the decision rules)."""
        return [self[name] for name in self.fields if name.startswith("rule-")]

    def main_fields(self) -> list:
        return [self[name] for name in self.fields if not name.startswith("rule-")]

    def clean_options(self) -> list[str]:
        lines = self.cleaned_data["options"].splitlines()
        labels = [visible(line) for line in lines if not is_blank(line)]
        if len(labels) > MAX_OPTIONS:
            raise forms.ValidationError(_("At most %(max)s options.") % {"max": MAX_OPTIONS})
        if any(len(label) > OPTION_LABEL_MAX for label in labels):
            raise forms.ValidationError(
                _("An option is at most %(max)s characters long.") % {"max": OPTION_LABEL_MAX}
            )
        return labels

    def clean(self) -> dict:
        cleaned = super().clean()
        kind, options = cleaned.get("kind"), cleaned.get("options")
        rule = self.table.get(kind) if kind else None
        cleaned["rule"] = rule
        cleaned["proposed_rules"] = {}
        if kind == ProposalKind.RULES:
            cleaned["proposed_rules"] = {
                name.removeprefix("rule-"): value
                for name, value in cleaned.items()
                if name.startswith("rule-") and value not in (None, "")
            }
            for kind in SWITCH_KINDS:  # « freely » for a governed area: its line is removed
                if kind in self.table and cleaned.get(f"rule-{kind}") in (None, ""):
                    cleaned["proposed_rules"][kind] = None
        if rule is None or options is None:
            return cleaned
        if rule.method == Method.MAJORITY_JUDGMENT:
            if len(options) < 2:
                self.add_error(
                    "options", _("A choice among options needs at least two options, one per line.")
                )
            elif len(set(options)) != len(options):
                self.add_error("options", _("Two options have the same label."))
        elif options:
            self.add_error(
                "options", _("Options are only used with a choice among options (majority judgment).")
            )
        return cleaned


class CommentForm(VisibleTextMixin, forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10_000,
        help_text=_("Markdown."),
    )


class OpenForm(forms.Form):
    closes_at = forms.DateTimeField(
        label=_("Closes at"),
        required=False,
        input_formats=DATETIME_LOCAL_FORMATS,
        widget=DateTimeLocalInput(),
        help_text=_("Leave empty to use the rule's voting period."),
    )


class ExtendForm(forms.Form):
    closes_at = forms.DateTimeField(
        label=_("New closing date"), input_formats=DATETIME_LOCAL_FORMATS, widget=DateTimeLocalInput()
    )


def rule_label(rule: DecisionRule) -> str:
    """« Name — method », without repeating a method the name already says."""
    return rule.label()


def ballot_choices(method: str) -> list[tuple[str, str]]:
    """The choices a method offers: a block (an objection) only where `voting.allows_block` says so."""
    return [
        (choice.value, choice.label)
        for choice in BallotChoice
        if choice != BallotChoice.BLOCK or voting.allows_block(method)
    ]


def grade_choices() -> list[tuple[str, str]]:
    return [(grade, GRADE_LABELS[grade]) for grade in GRADE_SCALE]


def ballot_from_post(data, option_ids: list[int]) -> dict:
    """What a ballot form sent, for `actions.cast_ballot`: choice, reason, and grades by option id.

    Only these fields are read: the voter is always the signed-in user, never a field of the form.
    Unknown grade fields are passed on so the service refuses them (a forged option id).
    """
    grades = {
        key.removeprefix("grade-"): value for key, value in data.items() if key.startswith("grade-") and value
    }
    return {
        "choice": data.get("choice", "").strip() if not option_ids else "",
        "reason": data.get("reason", ""),
        "grades": grades if option_ids else None,
    }
