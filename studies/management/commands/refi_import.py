"""manage.py refi_import --study <slug> <file.qdpx|file.qdc> [--dry-run]

Imports a REFI-QDA project or codebook into a study, all or nothing, and prints the report (what
was created, matched, and not carried over). ``--dry-run`` prints the same report and changes
nothing. A refused file exits non-zero with the reason.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from studies.exchange.errors import ExchangeError
from studies.exchange.importing import import_file
from studies.models import StudyPage


class Command(BaseCommand):
    help = "Import a REFI-QDA project (.qdpx) or codebook (.qdc) into a study."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--study", required=True, help="The study's slug.")
        parser.add_argument("file", help="A .qdpx or .qdc file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be imported; change nothing."
        )

    def handle(self, *args, study: str, file: str, dry_run: bool, **options) -> None:
        found = StudyPage.objects.filter(slug=study).first()
        if found is None:
            raise CommandError(f"No study with the slug « {study} ».")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            with path.open("rb") as stream:
                report = import_file(found, stream, filename=path.name, dry_run=dry_run)
        except ExchangeError as error:
            raise CommandError(f"{path.name} refused: {error}") from error
        if dry_run:
            self.stdout.write("dry run: nothing was changed")
        for line in report.lines():
            self.stdout.write(line)
