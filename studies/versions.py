"""Protocol versions: every publication of a protocol page becomes the next numbered version.

Recorded on Wagtail's `page_published` signal (`studies.signal_handlers`), so it does not matter
what published the page —
the bureau's vote through the workflow (the version then links to its decision) or a coordinator
publishing the first version. Publishing the same revision twice records nothing new.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from wagtail.models import Revision, TaskState

from commons.models import CollectiveDecisionTaskState

from .models import ProtocolPage, ProtocolVersion


def decision_for(revision: Revision):
    """The decision whose adoption approved this revision, if it went through a vote."""
    state = (
        CollectiveDecisionTaskState.objects.filter(revision=revision, status=TaskState.STATUS_APPROVED)
        .select_related("proposal__decision")
        .order_by("-finished_at")
        .first()
    )
    if state is None or state.proposal is None:
        return None
    return getattr(state.proposal, "decision", None)


@transaction.atomic
def record_version(page, revision: Revision):
    """The version of `revision` (a protocol's or a report's), recorded with the next number if new
    (idempotent). The page names its version model (`DecidedByVoteMixin`)."""
    model = page.version_model
    existing = model.objects.filter(revision=revision).first()
    if existing is not None:
        return existing
    # Serialise numbering per page: lock the page row, then read the highest number.
    type(page).objects.select_for_update().filter(pk=page.pk).first()
    mine = {model.page_field: page}
    last = model.objects.filter(**mine).aggregate(n=Max("number"))["n"] or 0
    return model.objects.create(
        **mine,
        number=last + 1,
        revision=revision,
        published_at=timezone.now(),
        published_by=revision.user,
        summary=revision_summary(revision),
        decision=decision_for(revision),
        **page.version_extras(revision),
    )


def revision_body(revision: Revision):
    """The protocol body a revision holds, as it was then: what `revision.as_object().body` gives,
    without rebuilding the whole page (no query)."""
    return ProtocolPage._meta.get_field("body").to_python(revision.content.get("body") or [])


def revision_title(revision: Revision) -> str:
    """The protocol's title as a revision holds it."""
    return revision.content.get("title") or ""


def revision_summary(revision: Revision) -> str:
    """The « summary of the changes » a revision holds."""
    return revision.content.get("change_summary") or ""


def current_version(page):
    """The latest version of a protocol or a report (None before its first publication)."""
    model = page.version_model
    return model.objects.filter(**{model.page_field: page}).order_by("-number").first()


def version_in_force(study) -> ProtocolVersion | None:
    """The live protocol version of a study: the one observations and interviews follow now."""
    return (
        ProtocolVersion.objects.filter(protocol__in=ProtocolPage.objects.child_of(study).live())
        .order_by("-number")
        .first()
    )


def unadopted_changes(page: ProtocolPage, revision: Revision, live_revision: Revision | None) -> list[dict]:
    """Changes in `revision` that an earlier vote on this protocol did not adopt (withdrawn or rejected).

    For each such earlier submission: the sections it changed (against the version it was compared
    with) that `revision` still holds exactly as submitted then, while they differ from the version in
    force. So a withdrawn change does not come back unnoticed in the next submission.
    """
    from commons.models.governance import Status

    from .diffing import section_labels, section_texts

    current = section_texts(revision_body(revision))
    live = section_texts(revision_body(live_revision)) if live_revision is not None else {}
    labels = section_labels()
    found = []
    earlier = (
        CollectiveDecisionTaskState.objects.filter(
            revision__object_id=str(page.pk),
            revision__base_content_type=page.get_base_content_type(),
            proposal__status__in=(Status.WITHDRAWN, Status.REJECTED),
        )
        .exclude(revision=revision)
        .select_related("revision", "live_revision", "proposal")
        .order_by("pk")
    )
    for state in earlier:
        submitted = section_texts(revision_body(state.revision))
        base = section_texts(revision_body(state.live_revision)) if state.live_revision else {}
        carried = [
            key
            for key, text in submitted.items()
            if text != base.get(key) and current.get(key) == text and text != live.get(key)
        ]
        if carried:
            found.append(
                {
                    "proposal": state.proposal,
                    "status": state.proposal.get_status_display(),
                    "sections": [str(labels.get(key, key)) for key in carried],
                }
            )
    return found
