"""The bureau's part of « Mes données », and the one entry point that builds a member's archive.

The sections (memberships, invitations sent, proposals, ballots and their history, comments) are
registered with `participants.data_export` when the app is ready; `build_member_archive` is what
the profile page and `manage.py export_member_data` both call. Each section costs one query (two
for ballots), whatever the member's volume of data: tested at two sizes.

Other people stay out: an invitation sent is listed without the invitee's address, a ballot with
the proposal's title but no one else's vote, a comment without the thread around it.
"""

from __future__ import annotations

from typing import BinaryIO

from wagtail.log_actions import log

from participants.data_export import Section, register_section, write_archive

from .spreadsheets import write_csv

#: Audit-log action of an export (Wagtail's site history): who asked, when; never the content.
EXPORT_ACTION = "bec.member.data_export"


def build_member_archive(user, target: BinaryIO, *, by=None, via: str = "web") -> dict[str, int]:
    """Write `user`'s archive to `target`, log it (without content), return the rows per section."""
    counts = write_archive(user, target, write_csv=write_csv)
    log(instance=user, action=EXPORT_ACTION, user=by, data={"via": via, "rows": sum(counts.values())})
    return counts


def _memberships(user, limit: int) -> list[dict]:
    from .models import Membership

    rows = (
        Membership.objects.filter(user=user).select_related("bureau", "college").order_by("joined_at", "pk")
    )
    return [
        {
            "bureau": m.bureau.title,
            "role": m.get_role_display(),
            "college": m.college.name if m.college else "",
            "joined_at": m.joined_at,
            "left_at": m.left_at,
        }
        for m in rows[:limit]
    ]


def _invitations_sent(user, limit: int) -> list[dict]:
    from .models import Invitation

    rows = (
        Invitation.objects.filter(invited_by=user).select_related("bureau", "college").order_by("created_at")
    )
    return [
        {
            # The invitee's address is their personal data, not the inviter's: left out.
            "bureau": i.bureau.title,
            "role": i.get_role_display(),
            "college": i.college.name if i.college else "",
            "created_at": i.created_at,
            "expires_at": i.expires_at,
            "accepted": i.accepted_at is not None,
            "revoked": i.revoked_at is not None,
        }
        for i in rows[:limit]
    ]


def _proposals(user, limit: int) -> list[dict]:
    from .models import Proposal

    rows = Proposal.objects.filter(author=user).select_related("bureau").order_by("created_at", "pk")
    return [
        {
            "bureau": p.bureau.title,
            "title": p.title,
            "body": p.body,
            "kind": p.get_kind_display(),
            "status": p.get_status_display(),
            "created_at": p.created_at,
            "opens_at": p.opens_at,
            "closes_at": p.closes_at,
        }
        for p in rows[:limit]
    ]


def _option_labels(proposal_ids) -> dict[str, str]:
    from .models import ProposalOption

    return {
        str(pk): label
        for pk, label in ProposalOption.objects.filter(proposal_id__in=proposal_ids).values_list(
            "pk", "label"
        )
    }


def _grades(grades: dict, labels: dict[str, str]) -> dict[str, str]:
    return {labels.get(str(key), str(key)): value for key, value in (grades or {}).items()}


def _ballots(user, limit: int) -> list[dict]:
    from .models import Ballot

    ballots = list(
        Ballot.objects.filter(voter=user).select_related("proposal__bureau").order_by("cast_at", "pk")[:limit]
    )
    labels = _option_labels({b.proposal_id for b in ballots})
    return [
        {
            "bureau": b.proposal.bureau.title,
            "proposal": b.proposal.title,
            "choice": b.get_choice_display() if b.choice else "",
            "grades": _grades(b.grades, labels),
            "reason": b.reason,
            "cast_at": b.cast_at,
            "updated_at": b.updated_at,
        }
        for b in ballots
    ]


def _ballot_history(user, limit: int) -> list[dict]:
    from .models import BallotChange
    from .models.governance import BallotChoice

    changes = list(
        BallotChange.objects.filter(voter=user)
        .select_related("proposal__bureau")
        .order_by("at", "pk")[:limit]
    )
    labels = _option_labels({c.proposal_id for c in changes})
    return [
        {
            "bureau": c.proposal.bureau.title,
            "proposal": c.proposal.title,
            "choice": BallotChoice(c.choice).label if c.choice in BallotChoice.values else c.choice,
            "grades": _grades(c.grades, labels),
            "reason": c.reason,
            "at": c.at,
        }
        for c in changes
    ]


def _comments(user, limit: int) -> list[dict]:
    from .models import Comment

    rows = Comment.objects.filter(author=user).select_related("proposal__bureau").order_by("created_at", "pk")
    return [
        {
            "bureau": c.proposal.bureau.title,
            "proposal": c.proposal.title,
            "body": c.body,
            "created_at": c.created_at,
        }
        for c in rows[:limit]
    ]


def register() -> None:
    """Called from `CommonsConfig.ready`."""
    register_section(
        Section("adhesions", ("bureau", "role", "college", "joined_at", "left_at"), _memberships)
    )
    register_section(
        Section(
            "invitations_envoyees",
            ("bureau", "role", "college", "created_at", "expires_at", "accepted", "revoked"),
            _invitations_sent,
        )
    )
    register_section(
        Section(
            "propositions",
            ("bureau", "title", "body", "kind", "status", "created_at", "opens_at", "closes_at"),
            _proposals,
        )
    )
    register_section(
        Section(
            "votes", ("bureau", "proposal", "choice", "grades", "reason", "cast_at", "updated_at"), _ballots
        )
    )
    register_section(
        Section(
            "historique_des_votes",
            ("bureau", "proposal", "choice", "grades", "reason", "at"),
            _ballot_history,
        )
    )
    register_section(Section("commentaires", ("bureau", "proposal", "body", "created_at"), _comments))
