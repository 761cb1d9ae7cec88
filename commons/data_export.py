"""The bureau's part of « Mes données », and the one entry point that builds a member's archive.

The sections (memberships, invitations sent, proposals, ballots and their history, comments,
proxies, resources proposed) are
registered with `participants.data_export` when the app is ready; `build_member_archive` is what
the profile page and `manage.py export_member_data` both call. Each section costs one query (two
for ballots), whatever the member's volume of data: tested at two sizes.

Other people stay out: an invitation sent is listed without the invitee's address, a ballot with
the proposal's title but no one else's vote, a comment without the thread around it.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.urls import reverse
from wagtail.log_actions import log

from participants.data_export import Section, count_of, register_section, row_estimate, write_archive

from .emails import render_email, site_url
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


def _resources(user, limit: int) -> list[dict]:
    """The resources the member proposed to a bureau's public inventory (published or not)."""
    from .models import Resource

    rows = Resource.objects.filter(proposed_by=user).select_related("bureau").order_by("created_at", "pk")
    return [
        {
            "bureau": r.bureau.title,
            "title": r.title,
            "kind": r.get_kind_display(),
            "url": r.url,
            "summary": r.summary,
            "status": r.get_status_display(),
            "created_at": r.created_at,
            "published_at": r.published_at,
        }
        for r in rows[:limit]
    ]


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


def _electorates(user, limit: int) -> list[dict]:
    from .models.governance import Elector

    rows = (
        Elector.objects.filter(user=user)
        .select_related("proposal__bureau")
        .order_by("proposal__opens_at", "pk")
    )
    return [
        {
            "bureau": e.proposal.bureau.title,
            "proposal": e.proposal.title,
            "college": e.college,
            "opens_at": e.proposal.opens_at,
        }
        for e in rows[:limit]
    ]


def _proxies(user, limit: int) -> list[dict]:
    """Proxies the member gave or held (issue 17), without naming the other member (their data)."""
    from django.db.models import Q

    from .models import Proxy

    rows = (
        Proxy.objects.filter(Q(giver=user) | Q(holder=user))
        .select_related("bureau", "proposal")
        .order_by("given_at", "pk")
    )
    return [
        {
            "bureau": p.bureau.title,
            "direction": "given" if p.giver_id == user.pk else "held",
            "proposal": p.proposal.title if p.proposal_id else "",
            "given_at": p.given_at,
            "revoked_at": p.revoked_at,
        }
        for p in rows[:limit]
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
            "listes_electorales",
            ("bureau", "proposal", "college", "opens_at"),
            _electorates,
            count=count_of("commons.Elector", "user"),
        )
    )
    register_section(
        Section(
            "historique_des_votes",
            ("bureau", "proposal", "choice", "grades", "reason", "at"),
            _ballot_history,
            count=count_of("commons.BallotChange", "voter"),
        )
    )
    register_section(
        Section(
            "commentaires",
            ("bureau", "proposal", "body", "created_at"),
            _comments,
            count=count_of("commons.Comment", "author"),
        )
    )
    register_section(
        Section("procurations", ("bureau", "direction", "proposal", "given_at", "revoked_at"), _proxies)
    )
    register_section(
        Section(
            "ressources_proposees",
            ("bureau", "title", "kind", "url", "summary", "status", "created_at", "published_at"),
            _resources,
            count=count_of("commons.Resource", "proposed_by"),
        )
    )


# --- Large accounts: built in the background, a link emailed --------------------------------------

#: Salt of the signed download links (a link names a member and a file; only that member opens it).
LINK_SALT = "bec.member-data.link"


def export_folder() -> Path:
    """Where built archives wait for their download: outside MEDIA_ROOT, never served as a file."""
    return Path(settings.BEC_DATA_EXPORT_DIR)


def link_hours() -> int:
    return int(settings.BEC_DATA_EXPORT_LINK_HOURS)


def is_large(user) -> bool:
    """Whether `user`'s archive should be built in the background (more rows than the threshold).

    Counts the member's rows in the sections that grow (each app's `Section.count`: ballot history,
    comments, observations, interviews, excerpts, memos): one query each, no content read.
    """
    threshold = int(settings.BEC_DATA_EXPORT_BACKGROUND_ROWS)
    return row_estimate(user, threshold) > threshold


def forget_old_archives(now: float | None = None) -> int:
    """Delete archives whose link has expired; return how many went."""
    folder = export_folder()
    if not folder.is_dir():
        return 0
    limit = (now or time.time()) - link_hours() * 3600
    removed = 0
    for path in folder.glob("*.zip"):
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def build_and_send_link(user_id: int) -> str:
    """Build the archive of member `user_id` in the export folder and email them a signed link.

    The body of the background task (`commons.tasks.member_data_task`). The file has a random name;
    the link is signed (member and file) and expires after `BEC_DATA_EXPORT_LINK_HOURS`, when the
    next run deletes the file.
    """
    user = get_user_model().objects.get(pk=user_id)
    forget_old_archives()
    folder = export_folder()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.zip"
    partial = folder / f".{name}.part"
    with partial.open("wb") as stream:
        build_member_archive(user, stream, by=user, via="background")
    partial.replace(folder / name)
    token = signing.dumps({"u": user.pk, "f": name}, salt=LINK_SALT)
    link = site_url(reverse("member_data_download", args=[token]))
    subject, body = render_email("commons/email/member_data", {"link": link, "hours": link_hours()})
    send_mail(subject=subject, message=body, from_email=None, recipient_list=[user.email])
    return name


def archive_for_link(token: str, user) -> Path | None:
    """The archive a signed link names, if the link is valid, is `user`'s, and the file is still there."""
    try:
        payload = signing.loads(token, salt=LINK_SALT, max_age=link_hours() * 3600)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(payload, dict) or payload.get("u") != user.pk:
        return None
    name = str(payload.get("f", ""))
    if not re.fullmatch(r"[0-9a-f]{32}\.zip", name):
        return None
    path = export_folder() / name
    return path if path.is_file() else None
