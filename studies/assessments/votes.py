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


# --- Closing a review by the bureau's vote -----------------------------------------------------


def pending_review_closing(assessment) -> Proposal | None:
    from ..models import Assessment

    return (
        Proposal.objects.filter(
            kind=ProposalKind.REVIEW,
            target_type=ContentType.objects.get_for_model(Assessment),
            target_id=assessment.pk,
            status__in=(Status.DRAFT, Status.OPEN),
        )
        .order_by("-pk")
        .first()
    )


@transaction.atomic
def propose_review_closing(assessment, by) -> Proposal:
    """Put the closing of an assessment's review (its verdict and reviewed levels) to the bureau's vote;
    adoption marks the assessment reviewed (`close_adopted_review`)."""
    from ..models import Assessment, AssessmentStatus, Review

    assessment = Assessment.objects.select_for_update().select_related("study").get(pk=assessment.pk)
    bureau = assessment.study.bureau
    if not commons_permissions.can_propose(by, bureau):
        raise GovernanceError(_("Only the bureau's voting members propose to close a review."))
    if assessment.status != AssessmentStatus.IN_REVIEW:
        raise GovernanceError(_("Only a review in progress can be closed."))
    review = Review.objects.filter(assessment=assessment).first()
    if review is None or not review.verdict:
        raise GovernanceError(_("Record the review's verdict before marking the assessment as reviewed."))
    if pending_review_closing(assessment) is not None:
        raise GovernanceError(_("The closing of this review is already proposed."))
    if rule_for(bureau, ProposalKind.REVIEW) is None:
        ensure_default_rules(bureau)
    date = assessment.assessed_on.strftime("%d/%m/%Y")
    if assessment.collective_id:
        title = _("Close the review of the assessment of %(subject)s (%(date)s)") % {
            "subject": assessment.collective.code,
            "date": date,
        }
    else:
        title = _("Close the review of the bureau's self-assessment (%(date)s)") % {"date": date}
    body = _("Verdict: %(verdict)s. %(text)s") % {
        "verdict": review.get_verdict_display(),
        "text": review.verdict_text,
    }
    return actions.create_proposal(
        bureau, by, title=title[:200], body=body, kind=ProposalKind.REVIEW, target=assessment
    )


def close_adopted_review(proposal: Proposal, decision: Decision):
    """Hook `bec_apply_adopted`: an adopted « closing of a review » marks the assessment reviewed
    (nothing if it is no longer in review: the decision stands)."""
    from ..models import Assessment, AssessmentStatus
    from .services import AssessmentError, transition

    if proposal.kind != ProposalKind.REVIEW or proposal.target_id is None:
        return None
    if proposal.target_type_id != ContentType.objects.get_for_model(Assessment).pk:
        return None
    assessment = Assessment.objects.filter(pk=proposal.target_id, status=AssessmentStatus.IN_REVIEW).first()
    if assessment is None:
        return None
    try:
        return transition(assessment, "mark_reviewed", None)
    except AssessmentError:
        return None
