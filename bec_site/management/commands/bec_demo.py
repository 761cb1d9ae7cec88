"""Load the demo bureau (French content). Idempotent: run it as often as you like."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils import translation
from django.utils.translation import gettext as _

from bec_site.models import HomePage


class Command(BaseCommand):
    help = "Create (or complete) the demo study bureau and print the demo accounts."

    def handle(self, *args, **options) -> None:
        # The demo is French, and so is what it prints, whatever language was active before (a test
        # client's request leaves the last visitor's language active in the thread).
        with translation.override(settings.LANGUAGE_CODE):
            self._load()

    def _load(self) -> None:
        from commons import demo as commons_demo
        from commons import demo_governance, demo_library, demo_resources
        from studies import demo as studies_demo
        from studies import (
            demo_assessments,
            demo_codebook,
            demo_erasure,
            demo_protocol,
            demo_readings,
            demo_report,
        )

        home = HomePage.objects.first()
        if home is None:
            self.stderr.write(_("No home page: run `manage.py migrate` first."))
            raise SystemExit(1)
        result = commons_demo.build(home)
        bureau = result["bureau"]
        # The demo's past votes would email every member; nobody needs those.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            demo_governance.build(bureau)
        # The library before the texts that cite it (citations are resolved when a text is saved).
        references = demo_library.build(bureau)
        study = studies_demo.build(bureau)
        readings = demo_readings.build(study)
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            protocol = demo_protocol.build(study)
            demo_codebook.build(bureau, study)
            report = demo_report.build(study)
            assessments = demo_assessments.build(bureau, study)
        erased = demo_erasure.build(study)
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            demo_resources.build(bureau)  # the last votes of the demo: one publishes a resource
        self.stdout.write(self.style.SUCCESS(
            _("Demo bureau: %(title)s — %(url)s") % {"title": bureau.title, "url": bureau.url}
        ))
        self.stdout.write("")
        self.stdout.write(_("Demo accounts (email / password / role):"))
        width = max(len(email) for email, *_rest in result["accounts"])
        for email, password, role, name in result["accounts"]:
            self.stdout.write(f"  {email.ljust(width)}  {password}  {role:<18} {name}")
        self.stdout.write("")
        # Counted as the site counts them (the protocol's votes included), not as the builders made them.
        from commons.models import Proposal, Resource
        from commons.models.governance import Status

        all_proposals = Proposal.objects.filter(bureau=bureau)
        self.stdout.write(
            _("Proposals: %(count)s, %(open)s open, %(decided)s decisions — register: %(url)s")
            % {"count": all_proposals.count(), "open": all_proposals.filter(status=Status.OPEN).count(),
               "decided": bureau.decisions.count(), "url": f"{bureau.url}decisions/"}
        )
        self.stdout.write(
            _("Study: %(title)s — %(count)s observations, %(codes)s codes — %(url)s")
            % {"title": study.title, "count": study.observations.consented().count(),
               "codes": study.codes.count(), "url": study.url}
        )
        self.stdout.write(
            _("The study's spreadsheets (CSV, XLSX), for its team: %(url)s")
            % {"url": study.url + study.reverse_subpage("exchange")}
        )
        self.stdout.write(
            _("Protocol: %(count)s versions, a new revision under vote — %(url)s")
            % {"count": protocol.protocol_versions.count(), "url": protocol.url}
        )
        self.stdout.write(
            _("Report: %(title)s — %(count)s published version, a new revision under vote — %(url)s")
            % {"title": report.title, "count": report.report_versions.count(), "url": report.url}
        )
        self.stdout.write(
            _("Library: %(count)s references, %(readings)s read and coded in the study — %(url)s")
            % {"count": len(references), "readings": len(readings),
               "url": bureau.url + bureau.reverse_subpage("library")}
        )
        if assessments:
            self.stdout.write(
                _("Assessments: %(count)s of %(code)s against the example referential — %(url)s")
                % {"count": len(assessments), "code": assessments[0].collective.code,
                   "url": study.url + study.reverse_subpage("assessments")}
            )
        if erased is not None:
            self.stdout.write(
                _("Erasures: a collective that withdrew was erased; the record, without personal data — %(url)s")
                % {"url": study.url + study.reverse_subpage("erasure_list")}
            )
        registration = protocol.registrations.order_by("-number").first()
        if registration is not None:
            self.stdout.write(
                _("Registered protocol version: v%(n)s, SHA-256 %(hash)s — %(url)s")
                % {"n": registration.number, "hash": registration.sha256[:12], "url": registration.url}
            )
        fork = protocol.__class__.objects.filter(derived_from__protocol=protocol).first()
        if fork is not None:
            self.stdout.write(_("Fork of the protocol: %(url)s") % {"url": fork.url})
        self.stdout.write(
            _("Proxies: Hugo votes for Inès on the open vote about the Mezzanine (log in as Hugo) — %(url)s")
            % {"url": bureau.url + bureau.reverse_subpage("proxies")}
        )
        self.stdout.write(
            _("Resources: %(count)s published (one by a vote of the bureau), one proposed — %(url)s")
            % {"count": Resource.objects.published().filter(bureau=bureau).count(),
               "url": bureau.url + bureau.reverse_subpage("resources")}  # fmt: skip
        )
        self.stdout.write(
            _("AI systems registry: %(count)s systems, CSV and JSON downloads — %(url)s")
            % {"count": studies_demo.AITool.objects.count(), "url": study.url + study.reverse_subpage("ai_tools")}
        )
        self.stdout.write(_("Pending invitation: julie.roux@bec-demo.fr (the bureau's « Members » page)."))
        self.stdout.write(_("Emails (invitations, verification) are printed in this terminal."))
