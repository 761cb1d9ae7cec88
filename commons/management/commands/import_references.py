"""``manage.py import_references --bureau <slug> <file> [--dry-run]``: the import page, from a shell.

The format comes from the extension (.bib, .ris, .json). The plan is printed (new, duplicates,
renamed keys, unreadable places with their line or item); nothing is written with ``--dry-run``, and
a file with an unreadable part is refused whole (`commons.library.importing`).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from commons.library.importing import LibraryImportError, apply_import, check_size, plan_import, read_file
from commons.models import BureauPage


class Command(BaseCommand):
    help = "Import a BibTeX, RIS or CSL-JSON file into a bureau's library."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="a .bib, .ris or .json (CSL-JSON) file")
        parser.add_argument("--bureau", required=True, help="the bureau's slug")
        parser.add_argument("--dry-run", action="store_true", help="show the plan, write nothing")

    def handle(self, *args, **options) -> None:
        bureau = BureauPage.objects.filter(slug=options["bureau"]).first()
        if bureau is None:
            raise CommandError(f"No bureau with the slug {options['bureau']!r}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            check_size(path.stat().st_size)
            fmt, text = read_file(path.name, path.read_bytes())
            plan = plan_import(bureau, fmt, text)
        except LibraryImportError as error:
            raise CommandError(str(error)) from error
        for where, what in plan.problems:
            self.stderr.write(f"{path.name}, {where}: {what}")
        for row in plan.duplicates:
            self.stdout.write(f"duplicate  {row.record['key']} (= {row.duplicate_of}): {row.record['title']}")
        for row in plan.new:
            renamed = f" (was {row.record['key']})" if row.key != row.record["key"] else ""
            self.stdout.write(f"new        {row.key}{renamed}: {row.record['title']}")
        summary = (
            f"{len(plan.new)} new, {len(plan.duplicates)} duplicate(s), {len(plan.renamed)} key(s) renamed, "
            f"{len(plan.problems)} unreadable part(s)."
        )
        if options["dry_run"]:
            self.stdout.write(f"Dry run: nothing written. {summary}")
            return
        try:
            added = apply_import(bureau, plan)
        except LibraryImportError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"{len(added)} reference(s) imported. {summary}"))
