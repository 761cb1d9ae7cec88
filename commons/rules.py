"""The decision rules every new bureau starts with, so a vote can be opened on day one.

Coordinators can tune them later (in the admin); proposals keep the rule they were opened
under, and each decision freezes the rule as applied.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .models import BureauPage, DecisionRule
from .models.governance import Method, ResultsVisibility


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


def ensure_default_rules(bureau: BureauPage) -> None:
    """Create the starting rules if the bureau has none (idempotent)."""
    if DecisionRule.objects.filter(bureau=bureau).exists():
        return
    DecisionRule.objects.bulk_create(DecisionRule(bureau=bureau, **fields) for fields in default_rules())
