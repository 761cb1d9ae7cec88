"""``manage.py rebuild_summaries [--study <slug>]``: recount every summary and drop every cache.

What the site summarises or caches is all rebuilt from the material here (issue 15): the
codebook's tallies (`studies.tallies.rebuild`, study by study), the agreement's summaries
(`studies.agreement_summaries.rebuild`), the purpose rows the purpose filter
reads (`studies.purposes.rebuild`), and the caches renewed — the
analysis cache (every table and chart recomputed on its next view), the public pages' cache
(`commons.page_cache`) and the cached permissions (`participants.permission_cache`). For an operator after a
restore or a manual edit in the database, and for CI after loading the demo.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from commons import page_cache
from participants import permission_cache
from studies import agreement_summaries, purposes, tallies
from studies.analysis import cache
from studies.models import StudyPage


class Command(BaseCommand):
    help = (
        "Recount the codebook's tallies and the agreement's summaries of every study (or one), "
        "and renew every cache."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--study", help="the slug of one study (default: every study)")

    def handle(self, *args, study: str | None = None, **options) -> None:
        studies = StudyPage.objects.order_by("path")
        if study:
            studies = studies.filter(slug=study)
            if not studies.exists():
                raise CommandError(_("No study has the slug « %(slug)s ».") % {"slug": study})
        for page in studies:
            rows = tallies.rebuild(page)
            self.stdout.write(
                _("%(study)s: %(rows)d tally rows recounted.") % {"study": page.title, "rows": rows}
            )
            observations = agreement_summaries.rebuild(page)
            self.stdout.write(
                _("%(study)s: agreement summaries of %(n)d coded observations recomputed.")
                % {"study": page.title, "n": observations}
            )
            if repaired := purposes.rebuild(page):
                self.stdout.write(
                    _("%(study)s: purpose rows of %(n)d observations rewritten.")
                    % {"study": page.title, "n": repaired}
                )
        cache.new_generation()
        page_cache.changed()
        permission_cache.permissions_changed()
        self.stdout.write(
            self.style.SUCCESS(_("Analysis cache, public pages' cache and permissions renewed."))
        )
