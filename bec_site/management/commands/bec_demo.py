"""Load the demo bureau (French content). Idempotent: run it as often as you like."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from bec_site.models import HomePage


class Command(BaseCommand):
    help = "Create (or complete) the demo study bureau and print the demo accounts."

    def handle(self, *args, **options) -> None:
        from commons import demo as commons_demo
        from commons import demo_governance

        home = HomePage.objects.first()
        if home is None:
            self.stderr.write("No home page: run `manage.py migrate` first.")
            raise SystemExit(1)
        result = commons_demo.build(home)
        bureau = result["bureau"]
        # The demo's past votes would email every member; nobody needs those.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            proposals = demo_governance.build(bureau)
        self.stdout.write(self.style.SUCCESS(f"Bureau de démonstration : {bureau.title} — {bureau.url}"))
        self.stdout.write("")
        self.stdout.write("Comptes de démonstration (courriel / mot de passe / rôle) :")
        width = max(len(email) for email, *_rest in result["accounts"])
        for email, password, role, name in result["accounts"]:
            self.stdout.write(f"  {email.ljust(width)}  {password}  {role:<14} {name}")
        self.stdout.write("")
        self.stdout.write(
            f"Propositions : {len(proposals)} (dont une ouverte au vote) — registre : {bureau.url}decisions/"
        )
        self.stdout.write("Invitation en attente : julie.roux@bec-demo.fr (page « Membres » du bureau).")
        self.stdout.write("Les courriels (invitations, vérification) s'affichent dans ce terminal.")
