"""A referential file into the database: one version, its tree and its rule, atomically.

`import_referential` checks the file (`validation.load`: every problem with its line), then, in one
transaction, finds or creates the referential by name in the bureau, refuses a version label it
already has, checks the upgrade map against the version it starts from (each old code must be a
criterion there), and writes the version with its rule's SHA-256 and its tree. A refusal changes
nothing; a dry run runs the same code and rolls back, so its report says exactly what would be done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Criterion, Referential, ReferentialVersion, Rubric, Theme
from . import scoring, validation
from .validation import InvalidReferential, Problem

MAX_FILE_BYTES = 2 * 1024 * 1024


@dataclass
class ImportReport:
    referential: str
    version: str
    created_referential: bool
    themes: int
    rubrics: int
    criteria: int
    rule_sha256: str
    carried: int = 0
    dry_run: bool = False
    version_id: int | None = None
    notes: list[str] = field(default_factory=list)


class _DryRun(Exception):
    def __init__(self, report: ImportReport):
        self.report = report


def read_file(path: str | Path) -> str:
    """The file's text (UTF-8, size-limited); an unreadable file is an `InvalidReferential`."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InvalidReferential([Problem(None, _("The file is larger than 2 MB."))])
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidReferential([Problem(None, _("The file cannot be read as UTF-8 text."))]) from error


def import_referential(text: str, *, bureau, by=None, name: str = "", dry_run: bool = False) -> ImportReport:
    """Import one referential version from a file's text; `InvalidReferential` changes nothing."""
    data = validation.load(text, name)
    try:
        with transaction.atomic():
            report = _write(data, bureau, by)
            if dry_run:
                report.dry_run = True
                report.version_id = None
                raise _DryRun(report)
    except _DryRun as done:
        return done.report
    return report


def _write(data: dict, bureau, by) -> ImportReport:
    meta, version_meta = data["referential"], data["version"]
    referential, created = Referential.objects.select_for_update().get_or_create(
        bureau=bureau,
        name=meta["name"],
        defaults={k: meta[k] for k in ("publisher", "source", "licence", "redistributable", "example")},
    )
    if ReferentialVersion.objects.filter(referential=referential, label=version_meta["label"]).exists():
        raise InvalidReferential(
            [
                Problem(
                    None,
                    _("« %(name)s » already has a version « %(label)s »: a version is never replaced.")
                    % {"name": referential.name, "label": version_meta["label"]},
                )
            ]
        )
    previous, upgrade_map = _upgrade(referential, data.get("upgrade"))
    rule = data["rule"]
    version = ReferentialVersion.objects.create(
        referential=referential,
        label=version_meta["label"],
        published_on=version_meta["published_on"],
        notes=version_meta["notes"],
        dmr=data["dmr"],
        content={k: v for k, v in data.items() if k != "upgrade"} | {"upgrade": _public(data.get("upgrade"))},
        rule=rule,
        rule_sha256=scoring.rule_checksum(rule),
        previous=previous,
        upgrade_map=upgrade_map,
        imported_by=by,
    )
    counts = _tree(version, data["themes"])
    return ImportReport(
        referential=referential.name,
        version=version.label,
        created_referential=created,
        themes=counts[0],
        rubrics=counts[1],
        criteria=counts[2],
        rule_sha256=version.rule_sha256,
        carried=len(upgrade_map),
        version_id=version.pk,
    )


def _public(upgrade: dict | None) -> dict | None:
    return None if upgrade is None else {"from": upgrade["from"], "map": upgrade["map"]}


def _upgrade(referential: Referential, upgrade: dict | None) -> tuple[ReferentialVersion | None, dict]:
    if upgrade is None:
        return None, {}
    previous = ReferentialVersion.objects.filter(referential=referential, label=upgrade["from"]).first()
    if previous is None:
        raise InvalidReferential(
            [
                Problem(
                    None,
                    _("The upgrade starts from the version « %(label)s », which « %(name)s » does not have.")
                    % {"label": upgrade["from"], "name": referential.name},
                )
            ]
        )
    known = set(Criterion.objects.filter(version=previous).values_list("code", flat=True))
    problems = [
        Problem(
            upgrade["_lines"].get(old),
            _("« %(old)s » is no criterion of the version « %(label)s ».")
            % {"old": old, "label": previous.label},
        )
        for old in upgrade["map"]
        if old not in known
    ]
    if problems:
        raise InvalidReferential(problems)
    return previous, dict(upgrade["map"])


def _tree(version: ReferentialVersion, themes: list[dict]) -> tuple[int, int, int]:
    """Three bulk inserts per level (themes, rubrics, criteria), whatever the size of the grid."""
    theme_rows = Theme.objects.bulk_create(
        Theme(version=version, code=t["code"], title=t["title"], weight=t["weight"], position=i)
        for i, t in enumerate(themes)
    )
    rubric_rows = []
    position = 0
    for theme, row in zip(themes, theme_rows, strict=True):
        for r in theme["rubrics"]:
            rubric_rows.append(
                Rubric(
                    version=version,
                    theme=row,
                    code=r["code"],
                    title=r["title"],
                    weight=r["weight"],
                    essential=r["essential"],
                    position=position,
                )
            )
            position += 1
    Rubric.objects.bulk_create(rubric_rows)
    by_code = {row.code: row for row in rubric_rows}
    criterion_rows = []
    position = 0
    for theme in themes:
        for r in theme["rubrics"]:
            for k in r["criteria"]:
                criterion_rows.append(
                    Criterion(
                        version=version,
                        rubric=by_code[r["code"]],
                        code=k["code"],
                        title=k["title"],
                        weight=k["weight"],
                        guidance=k["guidance"],
                        evidence=k["evidence"],
                        not_applicable_allowed=k["not_applicable_allowed"],
                        priority=k["priority"],
                        depends_on=k["depends_on"],
                        position=position,
                    )
                )
                position += 1
    Criterion.objects.bulk_create(criterion_rows)
    return len(theme_rows), len(rubric_rows), len(criterion_rows)
