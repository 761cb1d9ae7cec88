"""Forking a protocol: a new study, in the same bureau or another, whose protocol starts from a version.

Who: a member of the source study's team (they read its protocol as a team) who coordinates the
target bureau (creating a study there is a coordinator's act). The new study is created under the
target bureau with its protocol, whose v1 is the chosen version's text, published at once (the first
version of a protocol is the one a coordinator may publish without a vote); its `derived_from`
names the source version, and both protocols' pages show the link. Refusals change nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.log_actions import log
from wagtail.models import Page

from commons import permissions as commons_permissions
from commons.actions import GovernanceError
from commons.models import BureauPage

from . import permissions
from .models import ProtocolPage, ProtocolVersion, StudyPage

#: The longest study title: read from the page's field.
TITLE_MAX: int = Page._meta.get_field("title").max_length


def can_fork_into(user, bureau: BureauPage) -> bool:
    """The bureaus a fork may go to: those the person coordinates (platform admins: any)."""
    if commons_permissions.is_platform_admin(user):
        return True
    membership = commons_permissions.membership_for(user, bureau)
    return membership is not None and membership.is_coordinator


def fork_targets(user) -> list[BureauPage]:
    """The live bureaus `user` may fork into, by title."""
    bureaus = BureauPage.objects.live().order_by("title")
    if not commons_permissions.is_platform_admin(user):
        bureaus = bureaus.filter(pk__in=commons_permissions.coordinated_bureau_ids(user))
    return list(bureaus)


def _unique_slug(parent: Page, title: str) -> str:
    base = slugify(title)[:60] or "etude"
    taken = set(parent.get_children().values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def fork_protocol(
    version: ProtocolVersion, by, *, bureau: BureauPage, title: str, research_question: str = ""
) -> ProtocolPage:
    """Create the study `title` under `bureau`, with a protocol whose v1 is `version`'s text."""
    from .versions import revision_body, revision_title

    source = version.protocol
    if not permissions.is_team(by, source.study):
        raise GovernanceError(_("Only the team of the study forks its protocol."))
    if not can_fork_into(by, bureau):
        raise GovernanceError(_("Only a coordinator of the target bureau creates a study there."))
    title = " ".join((title or "").split())
    if not title or len(title) > TITLE_MAX:
        raise GovernanceError(
            _("Give the new study a title of at most %(max)s characters.") % {"max": TITLE_MAX}
        )
    study = StudyPage(
        title=title,
        slug=_unique_slug(bureau, title),
        research_question=" ".join((research_question or "").split()) or source.study.research_question,
        context=_("Study started from the protocol of « %(study)s », version %(n)s.")
        % {"study": source.study.title, "n": version.number},
    )
    bureau.add_child(instance=study)
    study.save_revision(user=by).publish(user=by)
    summary = _("Derived from « %(title)s » v%(n)s (study « %(study)s »).") % {
        "title": revision_title(version.revision) or source.title,
        "n": version.number,
        "study": source.study.title,
    }
    protocol = ProtocolPage(
        title=revision_title(version.revision) or source.title,
        slug="protocole",
        body=revision_body(version.revision).raw_data,
        change_summary=summary,
        derived_from=version,
        live=False,
    )
    study.add_child(instance=protocol)
    protocol.save_revision(user=by).publish(user=by)
    log(
        instance=protocol,
        action="bec.protocol.fork",
        user=by,
        data={"from_protocol": source.pk, "from_version": version.number},
    )
    return protocol
