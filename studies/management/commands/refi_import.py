"""manage.py refi_import --study <slug> <file.qdpx|file.qdc> [--dry-run] [--case GUID=C-03 ...]

Imports a REFI-QDA project or codebook into a study, all or nothing, and prints the report (what
was created, matched, and not carried over). ``--dry-run`` prints the same report and changes
nothing. ``--case GUID=C-03`` ties a case of the file to the bureau's collective C-03
(``GUID=C-03/Camille`` to its informant Camille): the case's sources become observations or
interviews under that party's consent, as on the import page. A refused file exits non-zero with
the reason.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from participants.models import Collective, Informant
from studies.exchange.errors import ExchangeError
from studies.exchange.importing import import_file
from studies.models import StudyPage


def _case_map(study: StudyPage, values: list[str]) -> dict[uuid.UUID, tuple[str, int]]:
    """``GUID=C-03`` or ``GUID=C-03/Camille`` → {case GUID: (kind, pk)}; a bad value is a clear error."""
    mapping = {}
    for value in values:
        guid, _sep, party = value.partition("=")
        try:
            identity = uuid.UUID(guid.strip().strip("{}"))
        except ValueError as error:
            raise CommandError(f"--case {value}: « {guid} » is not a GUID.") from error
        code, _slash, pseudonym = party.partition("/")
        collective = Collective.objects.filter(bureau_id=study.bureau.pk, code=code.strip()).first()
        if collective is None:
            raise CommandError(f"--case {value}: no collective « {code} » in this study's bureau.")
        if not pseudonym:
            mapping[identity] = ("collective", collective.pk)
            continue
        informant = Informant.objects.filter(collective=collective, pseudonym=pseudonym.strip()).first()
        if informant is None:
            raise CommandError(f"--case {value}: no informant « {pseudonym} » in collective {code}.")
        mapping[identity] = ("informant", informant.pk)
    return mapping


class Command(BaseCommand):
    help = "Import a REFI-QDA project (.qdpx) or codebook (.qdc) into a study."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--study", required=True, help="The study's slug.")
        parser.add_argument("file", help="A .qdpx or .qdc file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be imported; change nothing."
        )
        parser.add_argument(
            "--case",
            action="append",
            default=[],
            metavar="GUID=CODE[/PSEUDONYM]",
            help="Tie a case of the file to a collective (C-03) or an informant (C-03/Camille).",
        )

    def handle(self, *args, study: str, file: str, dry_run: bool, **options) -> None:
        found = StudyPage.objects.filter(slug=study).first()
        if found is None:
            raise CommandError(f"No study with the slug « {study} ».")
        case_map = _case_map(found, options.get("case") or [])
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            with path.open("rb") as stream:
                report = import_file(found, stream, filename=path.name, dry_run=dry_run, case_map=case_map)
        except ExchangeError as error:
            raise CommandError(f"{path.name} refused: {error}") from error
        if dry_run:
            self.stdout.write("dry run: nothing was changed")
        for line in report.lines():
            self.stdout.write(line)
