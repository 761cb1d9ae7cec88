"""``manage.py check_summaries``: compare every summary with a recount; exit 1 on a difference.

Writes nothing. Run in CI after the demo is loaded (issue 15), and by an operator who doubts a
figure: each difference is printed (which code, which party, stored and recounted values), and
``manage.py rebuild_summaries`` repairs them.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from studies import agreement_summaries, purposes, tallies
from studies.models import StudyPage


class Command(BaseCommand):
    help = (
        "Compare the tallies, agreement summaries and purpose rows of every study with a recount; "
        "exit 1 on any difference."
    )

    def handle(self, *args, **options) -> None:
        problems = []
        for page in StudyPage.objects.order_by("path"):
            problems += [f"{page.title}: {problem}" for problem in tallies.differences(page)]
            problems += [f"{page.title}: {problem}" for problem in purposes.differences(page)]
            problems += [f"{page.title}: {problem}" for problem in agreement_summaries.differences(page)]
        if problems:
            raise CommandError(
                _("The summaries differ from a recount (run manage.py rebuild_summaries):")
                + "\n"
                + "\n".join(problems)
            )
        self.stdout.write(self.style.SUCCESS(_("Every summary is exact.")))
