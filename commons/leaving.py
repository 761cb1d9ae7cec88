"""The bureau's part of « leave and be forgotten » (`participants.leaving`), and the request's emails.

Registered from `CommonsConfig.ready` (participants may not import commons). What it does when a
member's account is erased:

- **ballots, their history and the electorates** stay as they are, moved with every other row to
  the stand-in account « membre parti·e n° N »: tallies of decided *and* running votes never change,
  and no decision's hash covers anything of the person (`actions.canonical_payload`, format 2);
- **comments** keep their place in the thread but lose their text (« commentaire retiré »);
- **memberships** end today (the history of who was in the bureau keeps a departed member);
- **invitations** the person received lose their address (sent ones stay, by the stand-in).

Refused for the last coordinator of a bureau: the bureau would be left without anyone to run it.
"""

from __future__ import annotations

from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from participants.leaving import Step, register_step
from participants.models import display_name

from .emails import render_email, site_url


def _plan(user) -> dict[str, int]:
    from .models import Ballot, BallotChange, Comment, Invitation, Membership, Proposal

    return {
        _("memberships ended"): Membership.objects.active().filter(user=user).count(),
        _("ballots kept under the departed label"): Ballot.objects.filter(voter=user).count(),
        _("ballot changes kept under the departed label"): BallotChange.objects.filter(voter=user).count(),
        _("proposals kept under the departed label"): Proposal.objects.filter(author=user).count(),
        _("comments replaced by « comment removed »"): Comment.objects.filter(author=user).count(),
        _("invitations sent, kept under the departed label"): Invitation.objects.filter(
            invited_by=user
        ).count(),
    }


def last_coordinator_of(user) -> list[str]:
    """Titles of the bureaus that `user` alone coordinates (they cannot leave before someone takes over)."""
    from .models import Membership

    titles = []
    for membership in Membership.objects.coordinating().filter(user=user).select_related("bureau"):
        if membership.is_last_coordinator():
            titles.append(membership.bureau.title)
    return titles


def _refuse(user) -> str:
    titles = last_coordinator_of(user)
    if not titles:
        return ""
    return _("%(name)s is the only coordinator of « %(bureaus)s »: name another coordinator there first.") % {
        "name": display_name(user),
        "bureaus": " », « ".join(titles),
    }


def _apply(user, stand_in) -> None:
    from .models import Comment, Invitation, Membership

    now = timezone.now()
    Comment.objects.filter(author=user).update(body="", body_html="")
    Membership.objects.active().filter(user=user).update(left_at=now)
    received = Q(accepted_by=user)
    if user.email:
        received |= Q(email__iexact=user.email)
    Invitation.objects.filter(received).filter(accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    Invitation.objects.filter(received).update(email="")


def register() -> None:
    """Called from `CommonsConfig.ready`."""
    register_step(Step("commons", plan=_plan, apply=_apply, refuse=_refuse))


# --- Telling the coordinators --------------------------------------------------------------------


def notify_coordinators(user) -> int:
    """Email each coordinator of `user`'s bureaus that they asked to leave; returns emails sent.

    The email names the member (the coordinators know them) and links to the bureau's members
    page, where the request waits for a confirmation. Sent in French, the site's language.
    """
    from .models import Membership

    memberships = Membership.objects.active().filter(user=user).select_related("bureau")
    sent = 0
    name = display_name(user)
    for membership in memberships:
        bureau = membership.bureau
        coordinators = (
            Membership.objects.coordinating().filter(bureau=bureau).exclude(user=user).select_related("user")
        )
        link = site_url(bureau.url + bureau.reverse_subpage("members") + "#leaving")
        for coordinator in coordinators:
            if not coordinator.user.email:
                continue
            with override("fr"):
                subject, body = render_email(
                    "commons/email/leave_requested",
                    {"name": name, "bureau": bureau.title, "link": link},
                )
            send_mail(subject, body, None, [coordinator.user.email])
            sent += 1
    return sent
