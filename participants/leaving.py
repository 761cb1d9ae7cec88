"""Leave and be forgotten: erase a member's account while the bureau keeps its history.

Shared by the leaving flow (the member asks on their profile, a coordinator confirms) and
``manage.py erase --member``. What it does, in one transaction:

1. a **stand-in account** is created for the person: no login, no email, no name, inactive, with a
   profile holding only `departed_number` — everything the person did is shown from then on as
   « membre parti·e n° N » (`display_name`), the same N everywhere;
2. each app's **steps** run (`register_step`, from its `AppConfig.ready`, because `participants`
   imports neither `commons` nor `studies`): they say what they will change (`plan`), may refuse
   (`refuse`: e.g. the last coordinator of a bureau) and do what a plain relabel cannot (comments
   replaced by « commentaire retiré », memberships ended, invitation addresses blanked);
3. every other row pointing at the account (ballots, electors, proposals, observations, excerpts,
   memos, Wagtail revisions, audit log entries…) is **moved to the stand-in**, found through the
   user model's relations, so a model added later keeps its rows instead of losing them to a
   cascade; the rows that *are* the account (`ACCOUNT_MODELS`: email addresses, MFA, profile,
   sessions, admin preferences) are deleted with it;
4. the audit log gains one `bec.member.erase` entry: the departed number and the counts, no name.

Why a stand-in rather than null foreign keys: ballots, electors and votes keep their database
constraints (one ballot per voter and proposal) and their arithmetic (a college per elector), so
tallies of past *and running* votes cannot change, and a departed member's traces stay linked to
one label without any link to the person (GitLab's « ghost user », one per departed person).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

__all__ = [
    "ACCOUNT_MODELS",
    "number_key",
    "ERASE_ACTION",
    "LeavingError",
    "Step",
    "erase_member",
    "member_erasure_plan",
    "register_step",
]

ERASE_ACTION = "bec.member.erase"

#: Rows that are the account itself: deleted with it, never moved to the stand-in.
ACCOUNT_MODELS = frozenset(
    {
        "participants.memberprofile",
        "participants.leaverequest",
        "account.emailaddress",
        "mfa.authenticator",
        "wagtailusers.userprofile",
        "wagtailadmin.editingsession",
        "wagtailadmin.formstate",
        "wagtailcore.apitoken",
        "wagtailcore.pagesubscription",
    }
)


class LeavingError(Exception):
    """The erasure cannot run as asked (the message says why); nothing was changed."""


@dataclass(frozen=True)
class Step:
    """What one app does when a member leaves.

    `plan(user)` returns {French label: count} of what will be relabelled or removed (a few
    count queries, changing nothing); `refuse(user)` a reason not to erase now, or ""; `apply(user,
    stand_in)` runs inside the erasure's transaction before the generic move to the stand-in.
    """

    name: str
    plan: Callable[[object], dict[str, int]]
    apply: Callable[[object, object], None] | None = None
    refuse: Callable[[object], str] | None = None


_STEPS: dict[str, Step] = {}


def register_step(step: Step) -> None:
    """Add an app's step (idempotent: `ready()` may run twice in tests)."""
    _STEPS[step.name] = step


def steps() -> list[Step]:
    return list(_STEPS.values())


def register_builtin_steps() -> None:
    """Wagtail's own models that hold a member's words (registered here: Wagtail is below us)."""
    register_step(Step("wagtail", plan=_page_comments_plan, apply=_wagtail_apply))


def _account_plan(user) -> dict[str, int]:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    return {
        _("account (login, password)"): 1,
        _("email addresses"): EmailAddress.objects.filter(user=user).count(),
        _("two-factor authentication devices"): Authenticator.objects.filter(user=user).count(),
    }


def _page_comments_plan(user) -> dict[str, int]:
    from wagtail.models import Comment, CommentReply

    count = Comment.objects.filter(user=user).count() + CommentReply.objects.filter(user=user).count()
    return {_("comments on pages replaced by « comment removed »"): count}


def _wagtail_apply(user, stand_in) -> None:
    """Wagtail's page comments (admin co-editing): the text goes, the thread keeps its place.
    Pages the person had locked are unlocked: nobody could unlock them as the stand-in."""
    from wagtail.models import Comment, CommentReply, Page

    removed = str(_("comment removed"))
    Comment.objects.filter(user=user).update(text=removed)
    CommentReply.objects.filter(user=user).update(text=removed)
    Page.objects.filter(locked_by=user).update(locked=False, locked_by=None, locked_at=None)


def member_erasure_plan(user) -> dict[str, int]:
    """What erasing ``user`` would remove or relabel, as {French label: count}, changing nothing."""
    plan = _account_plan(user)
    for step in steps():
        plan.update(step.plan(user))
    return plan


def refusals(user) -> list[str]:
    """Why ``user`` cannot be erased now (empty when it can): shown before anyone confirms."""
    return [reason for step in steps() if step.refuse and (reason := step.refuse(user))]


def _user_relations():
    """Every (model, field name) holding a foreign key to the user model, hidden ones included."""
    User = get_user_model()
    for field in User._meta.get_fields(include_hidden=True):
        if field.auto_created and not field.concrete and (field.one_to_many or field.one_to_one):
            yield field.related_model, field.field.name


def _move_to_stand_in(user, stand_in) -> None:
    """Point every remaining row that is not the account itself at the stand-in."""
    for model, name in _user_relations():
        # Group and permission links (auto-created many-to-many tables) go with the account: the
        # stand-in must not inherit any right.
        if model._meta.auto_created or model._meta.label_lower in ACCOUNT_MODELS:
            continue
        model._base_manager.filter(**{name: user}).update(**{name: stand_in})


def _end_sessions(user) -> int:
    """Delete the person's sessions (database and cache), wherever they are signed in."""
    from importlib import import_module

    from django.conf import settings

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            store_class(session_key=session.session_key).delete()
            ended += 1
    return ended


def _relabel_audit_log(user, stand_in, label: str) -> None:
    """Audit entries *about* the account name it by its `str()`: they now name the stand-in."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import ModelLogEntry

    user_type = ContentType.objects.get_for_model(get_user_model())
    ModelLogEntry.objects.filter(content_type=user_type, object_id=str(user.pk)).update(
        object_id=str(stand_in.pk), label=label
    )
    # Other entries whose label holds the address (a label is the object's `str()` when logged): a
    # username is matched only whole, as a short one could be part of an unrelated title.
    named = Q(label=user.get_username())
    if user.email:
        named |= Q(label__icontains=user.email)
    ModelLogEntry.objects.filter(named).update(label=label)


def number_key() -> str:
    """The key, in the dict `erase_member` returns, of the departed member's number N."""
    return _("departed member number")


def _number_stand_in(stand_in, attempts: int = 5) -> int:
    """Give the stand-in the next departed number (N = last + 1); two erasures at once cannot take
    the same N (unique column): the later one retries with the next number, in a savepoint."""
    from .models import MemberProfile

    for attempt in range(attempts):
        last = MemberProfile.objects.aggregate(last=Max("departed_number"))["last"] or 0
        try:
            with transaction.atomic():
                MemberProfile.objects.create(
                    user=stand_in, display_name="", category="", departed_number=last + 1
                )
            return last + 1
        except IntegrityError:
            if attempt == attempts - 1:
                raise LeavingError(_("Another erasure is running: try again in a moment.")) from None
    raise AssertionError("unreachable")


def erase_member(user, *, by=None) -> dict[str, int]:
    """Erase ``user`` in one transaction and return what went, as {French label: count}.

    The returned dict also holds the sessions ended and « departed member number » (the N of the
    label their traces now carry).

    Raises `LeavingError` (nothing changed) when a step refuses, e.g. the last coordinator of a
    bureau. `by` is who confirmed (a coordinator, or the person themselves), for the audit log.
    """
    from wagtail.log_actions import log

    from .models import departed_label

    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user.pk).first()
        if user is None:
            raise LeavingError(_("This account no longer exists."))
        if user.is_superuser:
            raise LeavingError(
                _(
                    "A site administrator's account is not erased this way: remove the administrator "
                    "rights first."
                )
            )
        reasons = refusals(user)
        if reasons:
            raise LeavingError(" ".join(reasons))
        plan = member_erasure_plan(user)
        stand_in = User(username=f"departed-{uuid.uuid4().hex}", email="", is_active=False)
        stand_in.set_unusable_password()
        stand_in.save()
        number = _number_stand_in(stand_in)
        for step in steps():
            if step.apply:
                step.apply(user, stand_in)
        label = str(departed_label(number))
        _relabel_audit_log(user, stand_in, label)
        _move_to_stand_in(user, stand_in)
        plan[_("sessions ended")] = _end_sessions(user)
        plan[number_key()] = number
        erased_pk = user.pk
        user.delete()
        confirmed_by = by if by is not None and by.pk != erased_pk else stand_in
        log(
            instance=stand_in,
            action=ERASE_ACTION,
            user=confirmed_by,
            data={"departed_number": number, "counts": {key: value for key, value in plan.items()}},
        )
    return plan
