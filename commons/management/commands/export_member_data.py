"""`manage.py export_member_data --email <address> --output <file.zip>`: a member's archive.

For operators answering a request by mail: the same builder as the profile page's « Mes données »
(`commons.data_export.build_member_archive`), logged in the audit log the same way. The archive is
written to a temporary file beside the target and moved into place, so a failure never leaves half
an archive under the requested name.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from commons.data_export import build_member_archive


class Command(BaseCommand):
    help = "Write the ZIP archive of every piece of data held about one member (their « Mes données »)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--email", required=True, help="The member's email address (any of their addresses)."
        )
        parser.add_argument("--output", required=True, help="Where to write the ZIP file.")

    def handle(self, *args, email: str, output: str, **options) -> None:
        user = self._user(email.strip())
        target = Path(output).expanduser()
        folder = target.parent if str(target.parent) else Path(".")
        if target.is_dir():
            raise CommandError(f"{target} is a folder: give the path of the ZIP file to write.")
        if not folder.is_dir():
            raise CommandError(f"Cannot write {target}: the folder {folder} does not exist.")
        try:
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".export-", suffix=".zip")
        except OSError as error:
            raise CommandError(f"Cannot write {target}: {error.strerror or error}.") from error
        try:
            with os.fdopen(handle, "wb") as stream:
                counts = build_member_archive(user, stream, by=None, via="command")
            os.replace(temporary, target)
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            raise CommandError(f"Cannot write {target}: {error.strerror or error}.") from error
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.stdout.write(f"Wrote {target} ({target.stat().st_size} bytes) for {email}:")
        for name, count in counts.items():
            self.stdout.write(f"  {name}.csv: {count} row(s)")
        self.stdout.write("  donnees.json: every section above")

    @staticmethod
    def _user(email: str):
        users = get_user_model().objects
        user = users.filter(email__iexact=email).first()
        if user is None:
            address = EmailAddress.objects.filter(email__iexact=email).select_related("user").first()
            user = address.user if address else None
        if user is None:
            raise CommandError(f"No member has the address {email!r}.")
        return user
