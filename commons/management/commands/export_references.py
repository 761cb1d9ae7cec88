"""``manage.py export_references --bureau <slug> --format bibtex|ris|csl-json``: the library to stdout."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from commons.library.importing import export
from commons.models import BureauPage


class Command(BaseCommand):
    help = "Write a bureau's library as BibTeX, RIS or CSL-JSON on standard output."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bureau", required=True, help="the bureau's slug")
        parser.add_argument("--format", required=True, choices=["bibtex", "ris", "csl-json"])

    def handle(self, *args, **options) -> None:
        bureau = BureauPage.objects.filter(slug=options["bureau"]).first()
        if bureau is None:
            raise CommandError(f"No bureau with the slug {options['bureau']!r}.")
        self.stdout.write(export(bureau, options["format"]), ending="")
