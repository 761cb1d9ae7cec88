"""`manage.py import_referential <file> --bureau <slug> [--dry-run]`: one referential version.

Every problem of a refused file is printed with its line, and nothing is changed; `--dry-run` says
what the import would do and changes nothing either. The version is imported, not adopted: the
bureau adopts it by vote (the referential page proposes it).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from commons.models import BureauPage
from studies.assessments.importing import import_referential, read_file
from studies.assessments.validation import InvalidReferential


class Command(BaseCommand):
    help = "Import a referential version (YAML or JSON) into a bureau."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--bureau", required=True, help="the bureau's slug")
        parser.add_argument("--dry-run", action="store_true", help="check and report, change nothing")

    def handle(self, *args, **options):
        bureau = BureauPage.objects.filter(slug=options["bureau"]).first()
        if bureau is None:
            raise CommandError(_("No bureau has the slug « %(slug)s ».") % {"slug": options["bureau"]})
        path = options["file"]
        try:
            report = import_referential(
                read_file(path), bureau=bureau, name=str(path), dry_run=options["dry_run"]
            )
        except InvalidReferential as error:
            for problem in error.problems:
                self.stderr.write(f"{path}:{problem.line or '-'}: {problem.message}")
            raise CommandError(_("The file is refused; nothing was changed.")) from error
        verb = _("Would import") if report.dry_run else _("Imported")
        self.stdout.write(
            _(
                "%(verb)s « %(name)s » version %(label)s: %(themes)d themes, %(rubrics)d rubrics, "
                "%(criteria)d criteria; rule %(sha)s; %(carried)d answers carried by the upgrade map."
            )
            % {
                "verb": verb,
                "name": report.referential,
                "label": report.version,
                "themes": report.themes,
                "rubrics": report.rubrics,
                "criteria": report.criteria,
                "sha": report.rule_sha256[:12],
                "carried": report.carried,
            }
        )
