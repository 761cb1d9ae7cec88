"""Adopting a referential version: a proposal of the bureau, decided by its table's rule.

Same path as registrations (`studies.registrations`): `propose_adoption` drafts a proposal of kind
« adoption of a referential version » naming the version (the bureau's table « kind → rule » gives
its rule; a coordinator opens the vote); when it is adopted, `commons.actions.close_proposal` runs
the `bec_apply_adopted` hook inside its transaction and `adopt_adopted` marks the version adopted,
with the decision. From then on the version and its tree refuse every change (`VersionLocked`).
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _

from commons import actions
from commons import permissions as commons_permissions
from commons.actions import GovernanceError
from commons.models import Decision, Proposal
from commons.models.governance import ProposalKind, Status
from commons.rules import ensure_default_rules, rule_for

from ..models import ReferentialVersion, VersionStatus


def pending_adoption(version: ReferentialVersion) -> Proposal | None:
    return (
        Proposal.objects.filter(
            kind=ProposalKind.REFERENTIAL,
            target_type=ContentType.objects.get_for_model(ReferentialVersion),
            target_id=version.pk,
            status__in=(Status.DRAFT, Status.OPEN),
        )
        .order_by("-pk")
        .first()
    )


@transaction.atomic
def propose_adoption(version: ReferentialVersion, by) -> Proposal:
    """Draft the proposal adopting `version`; refused when adopted already, already proposed, or
    for anyone who does not vote in the bureau."""
    version = ReferentialVersion.objects.select_for_update().select_related("referential").get(pk=version.pk)
    bureau = version.referential.bureau
    if not commons_permissions.can_propose(by, bureau):
        raise GovernanceError(_("Only the bureau's voting members propose to adopt a referential version."))
    if version.adopted:
        raise GovernanceError(_("This version is already adopted."))
    if pending_adoption(version) is not None:
        raise GovernanceError(_("The adoption of this version is already proposed."))
    if rule_for(bureau, ProposalKind.REFERENTIAL) is None:
        ensure_default_rules(bureau)  # a table made before this kind existed: fill its line
    referential = version.referential
    title = _("Adopt « %(name)s », version %(label)s") % {"name": referential.name, "label": version.label}
    body = _(
        "Adopt version %(label)s of the referential « %(name)s » (%(criteria)d criteria, scoring rule "
        "%(sha)s): once adopted, it is never changed, and the bureau's assessments may be made against it."
    ) % {
        "label": version.label,
        "name": referential.name,
        "criteria": version.criteria.count(),
        "sha": version.rule_sha256[:12],
    }
    proposal = actions.create_proposal(
        bureau, by, title=title[:200], body=body, kind=ProposalKind.REFERENTIAL, target=version
    )
    return proposal


def adopt_adopted(proposal: Proposal, decision: Decision) -> ReferentialVersion | None:
    """Hook `bec_apply_adopted`: an adopted « adoption of a referential version » adopts it."""
    if proposal.kind != ProposalKind.REFERENTIAL or proposal.target_id is None:
        return None
    if proposal.target_type_id != ContentType.objects.get_for_model(ReferentialVersion).pk:
        return None
    version = ReferentialVersion.objects.select_for_update().filter(pk=proposal.target_id).first()
    if version is None or version.adopted:
        return None
    ReferentialVersion.objects.filter(pk=version.pk).update(
        status=VersionStatus.ADOPTED, decision=decision, adopted_at=decision.closed_at
    )
    version.refresh_from_db()
    return version
