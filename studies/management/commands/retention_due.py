"""`manage.py retention_due`: the informants and collectives whose material is past its retention date.

The same list as the coordinators' « Effacements » page (`studies.erasure.retention_due`): every
study holding the party's material has ended (`StudyPage.ends_on`), and the longest period stated by
the consent forms the party signed (`ConsentForm.retention_months`) has run since. Lists only; erase
with `manage.py erase --informant <id> | --collective <id> --reason retention`. Exit status 0.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from studies.erasure import party_label, retention_due


class Command(BaseCommand):
    help = "List the informants and collectives whose material is past their consent form's retention period."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bureau", type=int, metavar="ID", help="Only this bureau (its page id).")

    def handle(self, *args, bureau=None, **options) -> None:
        due = retention_due([bureau] if bureau else None)
        if not due:
            self.stdout.write("Nothing is past its retention period.")
            return
        header = ("kind", "id", "bureau", "party", "study ended", "kept (months)", "due since")
        rows = [
            (
                item.kind,
                str(item.party.pk),
                str(item.bureau_id),
                party_label(item.party),
                item.ended_on.isoformat(),
                str(item.months),
                item.due_on.isoformat(),
            )
            for item in due
        ]
        widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
        for row in (header, tuple("-" * w for w in widths), *rows):
            self.stdout.write(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )
        self.stdout.write(
            f"{len(due)} party(ies) due. Erase one with: "
            "manage.py erase --informant ID | --collective ID --reason retention"
        )
