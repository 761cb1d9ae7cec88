"""`in` lookups that ignore integers no database column can hold.

Why: Django (5.x) already answers ``id=99999999999999999999`` with an empty result
(`IntegerFieldOverflow` on `exact`, `gt`, `lt`...), but not ``id__in=[99999999999999999999]``:
SQLite then raises ``OverflowError`` and the page is a 500. Every ``ModelMultipleChoiceField``
(the codes of a note, its AI tools, the admin's multiple choices and filters, Wagtail's bulk
actions) looks its values up with ``pk__in``, so one forged number in a form broke any of them.
Registered once (`CommonsConfig.ready`) for every integer column and every foreign key, the
lookups below drop such values: no row can have them, so the result is the same, minus the crash,
and a form then reports its ordinary « not one of the available choices » error.
"""

from __future__ import annotations

from django.db.models import ForeignObject, IntegerField
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In

__all__ = ["INT64_MAX", "INT64_MIN", "fits_a_column", "register"]

#: The widest integer column of the supported databases (bigint / SQLite's INTEGER).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def fits_a_column(value: object) -> bool:
    """False for an integer outside 64 bits (no column holds it); True for anything else."""
    return not isinstance(value, int) or INT64_MIN <= value <= INT64_MAX


class _DropsOverflow:
    def get_prep_lookup(self):
        prepared = super().get_prep_lookup()
        if self.rhs_is_direct_value() and isinstance(prepared, (list, tuple)):
            prepared = [value for value in prepared if fits_a_column(value)]
        return prepared


class IntegerFieldIn(_DropsOverflow, In):
    pass


class RelatedIntegerIn(_DropsOverflow, RelatedIn):
    pass


def register() -> None:
    """Install the lookups on every integer field (ids included) and every foreign key."""
    IntegerField.register_lookup(IntegerFieldIn)
    ForeignObject.register_lookup(RelatedIntegerIn)
