"""The decision rules every new bureau starts with, and its table « kind of proposal → rule ».

A proposal's rule follows from its kind, as the bureau's charter says: `rule_for` reads the table
(`KindRule`), which the new-proposal page and the workflow use, and the bureau page shows. The
table is set here when a bureau is created and then changes only by an adopted proposal of kind
« change of the decision rules » (`actions.close_proposal`). Proposals keep the rule they were
opened under, and each decision freezes the rule as applied.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from .models import BureauPage, DecisionRule, KindRule
from .models.governance import SWITCH_KINDS, Method, ProposalKind, ResultsVisibility

#: kind -> the methods its rule is looked for by, in order; none: the bureau's default rule.
DEFAULT_METHODS: dict[str, tuple[str, ...]] = {
    ProposalKind.PROTOCOL: (Method.QUALIFIED,),
    ProposalKind.CODEBOOK: (Method.MAJORITY,),
    ProposalKind.PUBLICATION: (Method.CONSENT,),
    ProposalKind.MEMBERSHIP: (Method.MAJORITY,),
    ProposalKind.FREE: (),
    ProposalKind.CHOICE: (Method.MAJORITY_JUDGMENT,),
    ProposalKind.RULES: (Method.QUALIFIED,),
    ProposalKind.REGISTRATION: (Method.QUALIFIED,),
    ProposalKind.RESOURCE: (Method.CONSENT,),
    ProposalKind.REFERENTIAL: (Method.MAJORITY,),
    ProposalKind.PLAN: (Method.MAJORITY,),
    ProposalKind.REVIEW: (Method.MAJORITY,),
}


def default_rules() -> list[dict]:
    return [
        {
            "name": _("Simple majority"),
            "method": Method.MAJORITY,
            "quorum": "1/2",
            "is_default": True,
            "use_colleges": True,
        },
        {
            "name": _("Protocol change (2/3)"),
            "method": Method.QUALIFIED,
            "quorum": "1/2",
            "threshold": "2/3",
            "use_colleges": True,
        },
        {"name": _("Publication by consent"), "method": Method.CONSENT, "quorum": "1/3"},
        {
            "name": _("Choice among options"),
            "method": Method.MAJORITY_JUDGMENT,
            "quorum": "1/3",
            "results_visibility": ResultsVisibility.AFTER_CLOSE,
        },
    ]


def default_table(rules: list[DecisionRule]) -> dict[str, DecisionRule]:
    """The sensible starting table for these rules: 2/3 for protocols and rule changes, consent for
    publications, the default rule for free questions, majority judgment for a choice among options
    (no such rule: no such kind). The codebook and memberships (`SWITCH_KINDS`) start outside the
    table, so free as before; a « change of the decision rules » puts them under a rule."""
    rules = sorted(rules, key=lambda rule: (not rule.is_default, rule.pk or 0))
    if not rules:
        return {}
    default = next((rule for rule in rules if rule.is_default), rules[0])
    table = {}
    for kind, methods in DEFAULT_METHODS.items():
        if kind in SWITCH_KINDS:
            continue
        rule = next((rule for method in methods for rule in rules if rule.method == method), None)
        if rule is None and kind != ProposalKind.CHOICE and default.method != Method.MAJORITY_JUDGMENT:
            rule = default
        if rule is not None:
            table[kind] = rule
    return table


@transaction.atomic
def ensure_default_rules(bureau: BureauPage) -> None:
    """Create the starting rules if the bureau has none, and fill the missing lines of its table
    (idempotent: an existing line, set by the bureau's decisions, is never changed)."""
    if not DecisionRule.objects.filter(bureau=bureau).exists():
        DecisionRule.objects.bulk_create(DecisionRule(bureau=bureau, **fields) for fields in default_rules())
    present = set(KindRule.objects.filter(bureau=bureau).values_list("kind", flat=True))
    table = default_table(list(DecisionRule.objects.filter(bureau=bureau)))
    KindRule.objects.bulk_create(
        KindRule(bureau=bureau, kind=kind, rule=rule) for kind, rule in table.items() if kind not in present
    )


def kind_table(bureau: BureauPage) -> dict[str, DecisionRule]:
    """The bureau's table {kind: rule}, in the order of `ProposalKind` (one query once it exists).

    A bureau with rules but no table (created outside the admin) gets its default table on first use.
    """
    rows = {row.kind: row.rule for row in KindRule.objects.filter(bureau=bureau).select_related("rule")}
    if not rows and DecisionRule.objects.filter(bureau=bureau).exists():
        ensure_default_rules(bureau)  # the table of the rules it has; a bureau without rules stays so
        rows = {row.kind: row.rule for row in KindRule.objects.filter(bureau=bureau).select_related("rule")}
    return {kind: rows[kind] for kind in ProposalKind.values if kind in rows}


def rule_for(bureau: BureauPage, kind: str) -> DecisionRule | None:
    """The rule a proposal of this kind is decided by in this bureau (None: the bureau has no such kind)."""
    row = KindRule.objects.filter(bureau=bureau, kind=kind).select_related("rule").first()
    if row is None and not KindRule.objects.filter(bureau=bureau).exists():
        ensure_default_rules(bureau)
        row = KindRule.objects.filter(bureau=bureau, kind=kind).select_related("rule").first()
    return row.rule if row is not None else None
