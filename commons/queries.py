"""Query building blocks shared by the apps' views (`commons` and `studies`).

Kept apart from the models so that a list view annotating counts does not copy the same
subquery idiom: one place decides how a per-row count is written.
"""

from __future__ import annotations

from django.db.models import Count, IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

__all__ = ["count_of"]


def count_of(rows: QuerySet, group_by: str) -> Coalesce:
    """A per-row count to annotate a list with: `rows` already filtered on the outer row
    (``Excerpt.objects.filter(observation=OuterRef("pk"))``), grouped by `group_by`, the column
    that names it (``"observation"``); 0 when there is none.

    Why a correlated subquery rather than ``Count()`` over a join: each count is computed on its
    own, so two counts on the same list do not multiply each other (a JOIN of excerpts and codings
    would), and the list's own filters and pagination stay on the outer query.
    """
    counted = rows.order_by().values(group_by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
