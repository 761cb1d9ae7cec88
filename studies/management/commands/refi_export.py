"""manage.py refi_export --study <slug> --output <file.qdpx|file.qdc>

Writes a study's REFI-QDA project (`.qdpx`) or codebook (`.qdc`), for scripts and backups: the same
writer as the study's « Échanges » page (`studies.exchange.writing`), consented material only.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from studies.exchange.writing import codebook_xml, write_project
from studies.models import StudyPage


class Command(BaseCommand):
    help = "Export a study as a REFI-QDA project (.qdpx) or codebook (.qdc)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--study", required=True, help="The study's slug.")
        parser.add_argument("--output", required=True, help="A .qdpx or .qdc file to write.")

    def handle(self, *args, study: str, output: str, **options) -> None:
        found = StudyPage.objects.filter(slug=study).first()
        if found is None:
            raise CommandError(f"No study with the slug « {study} ».")
        path = Path(output)
        suffix = path.suffix.lower()
        if suffix not in (".qdpx", ".qdc"):
            raise CommandError("The output must end in .qdpx (project) or .qdc (codebook).")
        try:
            if suffix == ".qdc":
                path.write_bytes(codebook_xml(found))
                self.stdout.write(f"codebook of « {found.title} » written to {path}")
                return
            with path.open("wb") as stream:
                counts = write_project(found, stream)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error}") from error
        self.stdout.write(
            f"project « {found.title} » written to {path}: {counts['sources']} sources, "
            f"{counts['excerpts']} excerpts, {counts['codes']} codes, {counts['memos']} memos"
        )
