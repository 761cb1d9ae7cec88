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
    OPTION_LABEL_MAX,
    PROPOSAL_TITLE_MAX,
    BallotChoice,
    Method,
    ProposalKind,
)

#: The HTML datetime-local input sends "2026-05-04T18:30" (seconds only when a step asks for them).
DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
MAX_OPTIONS = 20


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class ProposalForm(VisibleTextMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=PROPOSAL_TITLE_MAX)
    body = forms.CharField(
        label=_("Proposal"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=50_000,
        help_text=_("What you propose and why. Markdown: **bold**, *italics*, lists, [links](https://…)."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ProposalKind.choices, initial=ProposalKind.FREE)
    rule = forms.ModelChoiceField(
        label=_("Decision rule"), queryset=DecisionRule.objects.none(), empty_label=None
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
        rules = DecisionRule.objects.filter(bureau=bureau)
        self.fields["rule"].queryset = rules
        self.rules = list(rules)
        self.fields["rule"].choices = [(rule.pk, rule_label(rule)) for rule in self.rules]
        self.fields["kind"].choices = [(value, capfirst(label)) for value, label in ProposalKind.choices]
        #: Rules that take options, for the page script that shows the options field only for them.
        self.option_rule_ids = [rule.pk for rule in self.rules if rule.method == Method.MAJORITY_JUDGMENT]
        default = next((rule for rule in self.rules if rule.is_default), None)
        if default is not None and not self.is_bound:
            self.initial.setdefault("rule", default.pk)

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
        rule, options = cleaned.get("rule"), cleaned.get("options")
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
    method = str(rule.get_method_display())
    if method.casefold() in rule.name.casefold():
        return rule.name
    return f"{rule.name} — {method}"


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
