"""« Mes données »: one ZIP of everything the platform holds about one member (GDPR art. 15 and 20).

Why a registry: `participants` imports neither `commons` nor `studies` (DESIGN: dependencies point
one way), yet the export must hold the member's ballots and coded excerpts. Each app therefore
registers the *sections* it owns (`register_section`, called from its `AppConfig.ready`), and the one
builder here (`write_archive`) writes them all, for the profile page and for
`manage.py export_member_data` alike.

What a section may hold: the member's own rows, and of other rows only what is not personal data
about someone else (a proposal's title yes, other voters' names no; an informant by pseudonym, a
collective by its code). Material whose consent was withdrawn is left out, as everywhere else.

The archive holds `donnees.json` (every section, machine-readable) and one CSV per section written
by the one writer `commons.spreadsheets`' rules (cells quoted, formula starts neutralised) — through
`participants`' own copy of the call, since `participants` may not import `commons`: the CSV text is
produced by a writer handed in by the caller (`write_csv`), see `write_archive`.

Bounded: each section holds at most `settings.BEC_DATA_EXPORT_MAX_ROWS` rows (the archive says when
one was cut), so one request never builds an unbounded file; the page is also rate limited.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

__all__ = [
    "Section",
    "allow_export",
    "count_of",
    "register_section",
    "row_estimate",
    "sections",
    "write_archive",
]

Row = dict[str, object]


@dataclass(frozen=True)
class Section:
    """One kind of data: its file name (without extension), its columns and how to read its rows.

    `rows(user, limit)` returns at most `limit` rows (dicts keyed by `columns`), in a bounded number
    of queries whatever the member's volume of data.
    """

    name: str
    columns: tuple[str, ...]
    rows: Callable[[object, int], list[Row]]
    #: For the tables that grow: how many rows `user` has, at most `stop` (one cheap query).
    count: Callable[[object, int], int] | None = None


_SECTIONS: dict[str, Section] = {}


def register_section(section: Section) -> None:
    """Add a section to every export (idempotent: `ready()` may run twice in tests)."""
    _SECTIONS[section.name] = section


def sections() -> list[Section]:
    return list(_SECTIONS.values())


def count_of(model_path: str, field: str) -> Callable[[object, int], int]:
    """A `Section.count`: the member's rows of one model (``"app.Model"``, its user field), up to `stop`."""

    def count(user, stop: int) -> int:
        from django.apps import apps

        return apps.get_model(model_path).objects.filter(**{field: user})[:stop].count()

    return count


def row_estimate(user, stop: int) -> int:
    """The member's rows in the sections that grow, counted up to just past `stop` (to decide how
    to build the archive, not to report it)."""
    total = 0
    for section in sections():
        if section.count is not None:
            total += section.count(user, stop - total + 1)
            if total > stop:
                break
    return total


def _plain(value: object) -> object:
    """A JSON-friendly value: dates as ISO text, decimals as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _cell(value: object) -> object:
    """A CSV cell: lists and dicts as JSON text, the rest as the spreadsheet writer takes it."""
    if isinstance(value, list | dict | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def max_rows() -> int:
    return int(getattr(settings, "BEC_DATA_EXPORT_MAX_ROWS", 20_000))


def collect(user) -> dict[str, object]:
    """Every section's rows for `user`, with what the archive needs to say about itself."""
    limit = max_rows()
    data: dict[str, object] = {
        "generated_at": timezone.now().isoformat(),
        "max_rows_per_section": limit,
        "sections": {},
        "truncated": [],
    }
    for section in sections():
        rows = section.rows(user, limit + 1)
        if len(rows) > limit:
            rows = rows[:limit]
            data["truncated"].append(section.name)
        data["sections"][section.name] = {
            "columns": list(section.columns),
            "rows": [{key: _plain(row.get(key)) for key in section.columns} for row in rows],
        }
    return data


def write_archive(
    user, target, *, write_csv: Callable[[io.TextIOBase, Iterable[list]], None]
) -> dict[str, int]:
    """Write the ZIP of `user`'s data to the binary file-like `target`; return rows per section.

    `write_csv` is `commons.spreadsheets.write_csv` (the one CSV writer, which neutralises formula
    starts); it is handed in because `participants` may not import `commons`.
    """
    data = collect(user)
    counts: dict[str, int] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("donnees.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
        for name, section in data["sections"].items():
            buffer = io.StringIO()
            buffer.write("\ufeff")
            write_csv(
                buffer,
                [
                    section["columns"],
                    *([_cell(row[col]) for col in section["columns"]] for row in section["rows"]),
                ],
            )
            archive.writestr(f"{name}.csv", buffer.getvalue())
            counts[name] = len(section["rows"])
    return counts


# --- rate limit ------------------------------------------------------------------------------------


def allow_export(user) -> bool:
    """Whether `user` may build one more export now: `BEC_DATA_EXPORT_RATE` per hour (cache counter).

    Building an archive reads every table; the counter keeps a session (or a stolen one) from
    turning the page into a load generator. Same idea as allauth's limits: a counter in the cache.
    """
    per_hour = int(getattr(settings, "BEC_DATA_EXPORT_PER_HOUR", 5))
    key = f"bec:data-export:{user.pk}"
    if cache.add(key, 1, 3600):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, 3600)
        return True
    return count <= per_hour


# --- participants' own section ---------------------------------------------------------------------


def _profile_rows(user, limit: int) -> list[Row]:
    from allauth.account.models import EmailAddress

    from .models import MemberProfile

    profile = MemberProfile.objects.filter(user=user).first()
    emails = list(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary"))
    return [
        {
            "username": user.get_username(),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "display_name": profile.display_name if profile else "",
            "category": profile.get_category_display() if profile else "",
            "organisation": getattr(profile, "organisation", "") if profile else "",
            "bio": getattr(profile, "bio", "") if profile else "",
            "email_addresses": [
                {"email": email, "verified": verified, "primary": primary}
                for email, verified, primary in emails
            ],
        }
    ]


register_section(
    Section(
        "profil",
        (
            "username",
            "email",
            "first_name",
            "last_name",
            "date_joined",
            "last_login",
            "display_name",
            "category",
            "organisation",
            "bio",
            "email_addresses",
        ),
        _profile_rows,
    )
)


def _entered_consents(user, limit: int) -> list[Row]:
    """The consent records the member entered: the party by its pseudonym only (the invariant
    holds in a member's own archive too), the form, the scopes and the dates."""
    from .models import ConsentRecord

    records = (
        ConsentRecord.objects.filter(entered_by=user)
        .select_related("form", "collective", "informant")
        .only(
            "form__title",
            "form__version",
            "collective__code",
            "informant__pseudonym",
            "scopes",
            "given_at",
            "withdrawn_at",
        )
        .order_by("given_at", "pk")[:limit]
    )
    return [
        {
            "form": f"{record.form.title} (v{record.form.version})",
            "party": record.collective.code if record.collective_id else record.informant.pseudonym,
            "scopes": list(record.scopes),
            "given_at": record.given_at,
            "withdrawn_at": record.withdrawn_at,
        }
        for record in records
    ]


register_section(
    Section(
        "consentements_saisis",
        ("form", "party", "scopes", "given_at", "withdrawn_at"),
        _entered_consents,
        count=count_of("participants.ConsentRecord", "entered_by"),
    )
)
