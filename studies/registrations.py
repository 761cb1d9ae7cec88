"""Frozen registrations of protocol versions: proposed by a voting member, made by the bureau's vote.

`propose_registration` drafts a proposal of kind « registration » naming the version
(`commons.actions.create_proposal`: the bureau's table gives the rule; a coordinator opens the
vote). When such a proposal is adopted, `commons.actions.close_proposal` runs the
`bec_apply_adopted` hook inside its transaction, which calls `register_adopted`: the version's text
is rendered once, hashed and stored with the date and the decision. Nothing else creates a
registration, and nothing changes or deletes one (`studies.models.registration`).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from commons import actions
from commons import permissions as commons_permissions
from commons.actions import GovernanceError
from commons.models import Decision, Proposal
from commons.models.governance import ProposalKind, Status
from commons.rules import ensure_default_rules, rule_for

from .models import ProtocolVersion, Registration
from .models.registration import content_sha256
from .versions import revision_body, revision_title


def pending_registration(version: ProtocolVersion) -> Proposal | None:
    """The draft or running registration vote of this version, if there is one."""
    return (
        Proposal.objects.filter(
            kind=ProposalKind.REGISTRATION,
            target_type=ContentType.objects.get_for_model(ProtocolVersion),
            target_id=version.pk,
            status__in=(Status.DRAFT, Status.OPEN),
        )
        .order_by("-pk")
        .first()
    )


@transaction.atomic
def propose_registration(version: ProtocolVersion, by) -> Proposal:
    """Draft the proposal that registers `version`; refused for a version already registered or
    already under a registration vote, and for anyone who does not vote in the bureau."""
    version = ProtocolVersion.objects.select_for_update().select_related("protocol").get(pk=version.pk)
    protocol = version.protocol
    study = protocol.study
    bureau = study.bureau
    if not commons_permissions.can_propose(by, bureau):
        raise GovernanceError(_("Only the bureau's voting members propose a registration."))
    if Registration.objects.filter(version=version).exists():
        raise GovernanceError(_("This version is already registered: a registration is permanent."))
    if pending_registration(version) is not None:
        raise GovernanceError(_("The registration of this version is already proposed."))
    if rule_for(bureau, ProposalKind.REGISTRATION) is None:
        ensure_default_rules(bureau)  # a table made before registrations existed: fill its new line
    title = _("Registration of « %(title)s », version %(n)s") % {"title": protocol.title, "n": version.number}
    body = "\n\n".join(
        (
            _(
                "Register version %(n)s of the protocol of the study « %(study)s » as published on "
                "%(date)s: its full text becomes a public, permanent record with its SHA-256 "
                "fingerprint. It can never be withdrawn or edited; a later version would be a new "
                "registration."
            )
            % {
                "n": version.number,
                "study": study.title,
                "date": version.published_at.strftime("%d/%m/%Y"),
            },
            _("Read the version: %(url)s")
            % {"url": (protocol.full_url or "") + protocol.reverse_subpage("version", args=[version.number])},
        )
    )
    return actions.create_proposal(
        bureau, by, title=title[:200], body=body, kind=ProposalKind.REGISTRATION, target=version
    )


def registered_text(version: ProtocolVersion) -> str:
    """The version's full text as the protocol pages render it, in the site's language."""
    from .views.protocol import body_sections

    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "studies/protocol/_sections.html", {"sections": body_sections(revision_body(version.revision))}
        ).strip()


def register_adopted(proposal: Proposal, decision: Decision) -> Registration | None:
    """An adopted « registration »: record the version it names (hook `bec_apply_adopted`).

    Runs inside the closing transaction: the decision and the registration are recorded together.
    """
    if proposal.kind != ProposalKind.REGISTRATION or proposal.target_id is None:
        return None
    if proposal.target_type_id != ContentType.objects.get_for_model(ProtocolVersion).pk:
        return None
    version = (
        ProtocolVersion.objects.select_for_update()
        .select_related("protocol", "revision")
        .filter(pk=proposal.target_id)
        .first()
    )
    if version is None or Registration.objects.filter(version=version).exists():
        return None
    content = registered_text(version)
    return Registration.objects.create(
        protocol=version.protocol,
        version=version,
        number=version.number,
        title=revision_title(version.revision) or version.protocol.title,
        study_title=version.protocol.study.title,
        content_html=content,
        sha256=content_sha256(content),
        registered_at=decision.closed_at,
        decision=decision,
    )
