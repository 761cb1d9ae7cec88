"""`manage.py erase (--member <email> | --informant <id> | --collective <id>) [--yes]`.

For operators answering a request by mail, and for scripts: prints what will go (counts), asks for
confirmation unless ``--yes``, then erases and prints what went. The informant and collective
branches run the same erasure as the coordinators' pages (`studies.erasure.erase`: one transaction,
files after commit, an erasure record without personal data, an audit-log entry without the
content); the member branch runs the leaving flow (`participants.leaving`). An unknown id or address
is an error (exit status 1) and nothing changes.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from studies import erasure
from studies.models import ErasureReason, PartyKind


class Command(BaseCommand):
    help = "Erase a member, an interviewed person (informant) or a collective, after showing what will go."

    def add_arguments(self, parser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument(
            "--member", metavar="EMAIL", help="A member's email address: their account is erased."
        )
        who.add_argument("--informant", type=int, metavar="ID", help="An informant's id.")
        who.add_argument(
            "--collective", type=int, metavar="ID", help="A collective's id (its informants too)."
        )
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument(
            "--reason",
            choices=ErasureReason.values,
            default=ErasureReason.REQUEST,
            help="Why (recorded): at the party's request (default) or past the retention period.",
        )

    def handle(self, *args, member=None, informant=None, collective=None, yes=False, reason=None, **options):
        if member is not None:
            return self._member(member.strip(), yes)
        kind = PartyKind.INFORMANT if informant is not None else PartyKind.COLLECTIVE
        pk = informant if informant is not None else collective
        party = erasure.find_party(kind, pk)
        if party is None:
            raise CommandError(f"No {kind} has the id {pk}: nothing was erased.")
        found = erasure.plan(party)
        self.stdout.write(f"Erasing {kind} {pk} ({erasure.party_label(party)}) will delete:")
        self._counts(found.counts())
        if not yes and not self._confirmed():
            raise CommandError("Not confirmed: nothing was erased.")
        try:
            record = erasure.erase(party, by=None, reason=reason)
        except erasure.ErasureError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Erased {kind} {pk}; erasure record no. {record.pk}:"))
        self._counts(record.counts)

    def _member(self, email: str, yes: bool) -> None:
        from commons.management.commands.export_member_data import Command as Export
        from participants.leaving import LeavingError, erase_member, member_erasure_plan, refusals

        user = Export._user(email)
        refused = refusals(user)
        if refused:  # e.g. the last coordinator of a bureau: said before anything is asked
            raise CommandError("\n".join(refused))
        self.stdout.write(f"Erasing the member {email} will remove or relabel:")
        self._lines(member_erasure_plan(user))
        if not yes and not self._confirmed():
            raise CommandError("Not confirmed: nothing was erased.")
        try:
            gone = erase_member(user, by=None)
        except LeavingError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Erased the member {email}:"))
        self._lines(gone)

    def _counts(self, counts: dict) -> None:
        self._lines(dict(erasure.labelled(counts)))

    def _lines(self, counts: dict) -> None:
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count}")

    def _confirmed(self) -> bool:
        try:
            answer = input("Type « yes » to erase for good: ")
        except EOFError:
            return False
        return answer.strip().lower() in ("yes", "oui")
