"""Evidence for assessment answers: a private file or a link, dated, with a validity end, a checksum
and a personal-data flag; attached to any number of answers about the same subject.

Files are Wagtail documents in a private top-level collection per bureau on which no group has
permissions (like interview recordings): nobody lists them in the admin, and Wagtail's document
view serves them only through the `before_serve_document` hook (`can_see_evidence`): the study's
team, while the subject's « assessment » consent is in force. A file is accepted for what its first
bytes say it is (PDF, images, office documents), never for its name. Erasing a collective erases
its evidence and their files (`studies.erasure`).
"""

from __future__ import annotations

import hashlib
from datetime import date

import filetype
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.documents import get_document_model
from wagtail.models import Collection

from participants.models import ConsentRecord, ConsentScope

from .. import permissions
from ..models import Answer, Assessment, Evidence
from .services import EDITABLE, AssessmentError

MAX_BYTES = 20 * 1024 * 1024
#: What a file's first bytes may say it is.
ACCEPTED = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/webp",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def evidence_collection(bureau) -> Collection:
    """The bureau's private collection of evidence, created on first use (found by the bureau's id)."""
    root = Collection.get_first_root_node()
    suffix = f"(evidence #{bureau.pk})"
    found = root.get_children().filter(name__endswith=suffix).first()
    if found is not None:
        return found
    name = _("Assessment evidence (private) — %(bureau)s") % {"bureau": bureau.title}
    return root.add_child(name=f"{name[: 250 - len(suffix)]} {suffix}")


def _checked(upload) -> str:
    """The upload's SHA-256, once its size and content are accepted."""
    if upload.size > MAX_BYTES:
        raise AssessmentError(_("The file is larger than 20 MB."))
    upload.seek(0)
    kind = filetype.guess(upload.read(8192))
    if kind is None or kind.mime not in ACCEPTED:
        raise AssessmentError(_("Only PDF files, images and office documents are accepted as evidence."))
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def add_evidence(
    assessment: Assessment,
    by,
    *,
    title: str,
    url: str = "",
    upload=None,
    dated: date | None = None,
    valid_until: date | None = None,
    personal_data: bool = False,
) -> Evidence:
    """A new piece of evidence about the assessment's subject (a file or a link, not both)."""
    if assessment.status not in EDITABLE:
        raise AssessmentError(_("Evidence is added while the assessment is being answered."))
    if bool(url) == bool(upload):
        raise AssessmentError(_("Give either a file or a link."))
    if dated and valid_until and valid_until < dated:
        raise AssessmentError(_("The validity ends before the evidence's date."))
    evidence = Evidence(
        study=assessment.study,
        collective=assessment.collective,
        title=title.strip()[:200],
        url=url,
        dated=dated,
        valid_until=valid_until,
        personal_data=personal_data,
        added_by=by,
    )
    if upload is not None:
        evidence.sha256 = _checked(upload)
        document = get_document_model()(
            title=(_("Evidence: %(title)s") % {"title": evidence.title})[:255],
            file=upload,
            collection=evidence_collection(assessment.study.bureau),
            uploaded_by_user=by,
        )
        document._set_document_file_metadata()
        document.save()
        evidence.document = document
    evidence.save()
    return evidence


def subject_evidence(assessment: Assessment):
    """The evidence about the assessment's subject in its study (reusable across its answers)."""
    return Evidence.objects.filter(study=assessment.study, collective=assessment.collective).select_related(
        "document"
    )


@transaction.atomic
def attach(answer: Answer, evidence_ids: list[int]) -> None:
    """Attach exactly these pieces of the subject's evidence to the answer."""
    offered = subject_evidence(answer.assessment).filter(pk__in=evidence_ids)
    allowed = set(offered.values_list("pk", flat=True))
    if set(evidence_ids) - allowed:
        raise AssessmentError(_("This evidence is not about the assessment's subject."))
    answer.evidence.set(sorted(allowed))


def can_see_evidence(user, evidence: Evidence) -> bool:
    """The study's team, while the subject (a collective) consents to « assessment »."""
    if not permissions.is_team(user, evidence.study):
        return False
    if evidence.collective_id is None:
        return True
    return ConsentRecord.objects.in_force(ConsentScope.ASSESSMENT, collective=evidence.collective_id).exists()
