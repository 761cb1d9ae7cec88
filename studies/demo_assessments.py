"""Demo data for assessment grids (issue 19): the project's own example referential, adopted by the
bureau's vote, and the SCOP Le Panier Vaudais assessed twice, a year apart.

The referential is `studies/assessments/referentials/ia-generative-ess.yaml`, written for the demo
(« Usage responsable de l'IA générative dans une structure de l'ESS »: 4 themes, 12 criteria, D/M/R,
points with « not applicable » excluded) and marked as such; no text of a third-party referential
is copied. The story: the bureau adopted it ten days ago (its latest decision); the collective,
which consents to « assessment », had made its first self-diagnosis on paper a year earlier, entered
afterwards, reviewed by an external auditor and frozen, followed by an engagement plan (adopted by
vote, two indicators measured during the year); the second, made this month, waits for review.

Idempotent: the referential and the assessments are found by name and date.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from commons import actions
from commons.demo_governance import _users
from commons.models import BureauPage, Decision, Proposal
from participants.models import Collective, ConsentForm, ConsentRecord, ConsentScope

from .assessments import plans, services
from .assessments.importing import import_referential
from .assessments.votes import propose_adoption
from .models import Assessment, AssessmentStatus, EngagementPlan, Referential, ReferentialVersion, StudyPage

FILE = Path(__file__).resolve().parent / "assessments" / "referentials" / "ia-generative-ess.yaml"
COLLECTIVE = "SCOP Le Panier Vaudais"

#: criterion -> (level, documents, means, results, comment) of the first and second diagnosis.
FIRST = {
    "GOV.DEC.1": ("partial", "partial", "present", "absent", "Décidé en réunion d'équipe, pas en assemblée."),
    "GOV.DEC.2": ("absent", "absent", "absent", "absent", "Pas de charte."),
    "GOV.TRA.1": ("na", "", "", "", ""),
    "DAT.PER.1": ("partial", "partial", "partial", "partial", "Consigne orale seulement."),
    "DAT.PER.2": ("absent", "absent", "absent", "absent", ""),
    "DAT.CON.1": ("partial", "absent", "partial", "partial", ""),
    "TRA.FOR.1": ("absent", "absent", "absent", "absent", ""),
    "TRA.FOR.2": ("partial", "absent", "present", "partial", "Un point en réunion d'équipe par trimestre."),
    "TRA.EMP.1": ("partial", "absent", "partial", "partial", ""),
    "SOB.USA.1": ("absent", "absent", "absent", "absent", ""),
    "SOB.USA.2": ("partial", "absent", "partial", "partial", ""),
    "SOB.FOU.1": ("absent", "absent", "absent", "absent", ""),
}
SECOND = {
    **FIRST,
    "GOV.DEC.1": ("present", "present", "present", "present", "Adopté en assemblée générale de juin."),
    "GOV.DEC.2": ("partial", "present", "partial", "absent", "Charte écrite, pas encore diffusée aux bénévoles."),
    "DAT.PER.1": ("present", "present", "present", "partial", "Consigne écrite et comptes paramétrés."),
    "DAT.PER.2": ("partial", "partial", "partial", "absent", ""),
    "TRA.FOR.1": ("partial", "partial", "present", "partial", "Deux sessions de formation."),
    "SOB.USA.1": ("partial", "present", "partial", "absent", "Recensement fait au printemps."),
}
NOT_APPLICABLE_WHY = "La coopérative ne publie aucun contenu produit avec une IA."


def _adopt(bureau: BureauPage, version: ReferentialVersion) -> None:
    u = _users()
    _vote_in_the_past(bureau, propose_adoption(version, u["camille"]), u)


def _vote_in_the_past(bureau: BureauPage, proposal: Proposal, u) -> None:
    """Everyone votes for; the vote is dated ten days ago, after the bureau's latest decision."""
    voters = [u[k] for k in ("camille", "karim", "lea", "aminata", "hugo", "ines") if k in u]
    actions.open_proposal(proposal, u["camille"])
    for voter in voters:
        proposal.refresh_from_db()
        if proposal.accepts_ballots and proposal.electors.filter(user=voter).exists():
            actions.cast_ballot(proposal, voter, choice="for")
    # Dated ten days ago, and after the bureau's latest decision: the register stays in date order.
    latest = Decision.objects.filter(bureau=bureau).order_by("-sequence").values_list("closed_at", flat=True).first()
    past = timezone.now() - timedelta(days=10)
    if latest is not None and latest >= past:
        past = latest + timedelta(minutes=5)
    Proposal.objects.filter(pk=proposal.pk).update(
        opens_at=past - timedelta(days=7), closes_at=past, created_at=past - timedelta(days=8), closed_early_at=None
    )
    actions.close_proposal(proposal.pk)


def _consent(bureau: BureauPage, collective: Collective, since) -> None:
    if ConsentRecord.objects.in_force(ConsentScope.ASSESSMENT, collective=collective).exists():
        return
    form = ConsentForm.objects.filter(bureau=bureau).order_by("-version").first()
    ConsentRecord.objects.create(
        form=form, collective=collective, scopes=[ConsentScope.ASSESSMENT], given_at=since
    )


def _answer(assessment: Assessment, answers: dict, people) -> None:
    criteria = {c.code: c for c in assessment.version.criteria.all()}
    for code, (level, documents, means, results, comment) in answers.items():
        for person in people:
            services.record_answer(
                assessment,
                criteria[code],
                person,
                {
                    "level": level,
                    "justification": NOT_APPLICABLE_WHY if level == "na" else "",
                    "documents": documents,
                    "means": means,
                    "results": results,
                    "comment": comment,
                },
            )


def _review(assessment: Assessment, reviewer) -> None:
    """The first diagnosis, reviewed by an external auditor: two levels lowered, one finding each."""
    services.transition(assessment, "start_review", reviewer)
    criteria = {c.code: c.pk for c in assessment.version.criteria.all()}
    services.record_review(
        assessment,
        reviewer,
        auditor_name="Claire Fontaine (auditrice, réseau régional de l'ESS)",
        verdict="reservations",
        verdict_text="Démarche sincère ; la décision d'équipe n'est pas encore une décision collective.",
        findings={
            criteria["GOV.DEC.1"]: {
                "reviewed_level": "absent",
                "finding": "Aucun compte rendu ne trace la décision : elle reste informelle.",
                "severity": "major",
            },
            criteria["TRA.EMP.1"]: {
                "reviewed_level": "absent",
                "finding": "Pas d'échange formalisé avec les salariés concernés.",
                "severity": "minor",
            },
            criteria["DAT.CON.1"]: {"finding": "Niveau confirmé par l'examen des paramètres.", "severity": "note"},
        },
    )
    services.transition(assessment, "mark_reviewed", reviewer)
    services.transition(assessment, "freeze", reviewer)


@transaction.atomic
def build(bureau: BureauPage, study: StudyPage) -> list[Assessment]:
    """The example referential, adopted, and the two diagnoses of Le Panier Vaudais."""
    u = _users()
    referential = Referential.objects.filter(bureau=bureau, example=True).first()
    if referential is None:
        import_referential(FILE.read_text(encoding="utf-8"), bureau=bureau, by=u.get("camille"))
        referential = Referential.objects.get(bureau=bureau, example=True)
    version = referential.versions.order_by("pk").first()
    if not version.adopted:
        _adopt(bureau, version)
        version.refresh_from_db()
    collective = Collective.objects.filter(bureau=bureau, name=COLLECTIVE).first()
    if collective is None:
        return []
    today = timezone.localdate()
    _consent(bureau, collective, timezone.now() - timedelta(days=400))
    made = []
    for days_ago, answers, final in ((365, FIRST, True), (5, SECOND, False)):
        on = today - timedelta(days=days_ago)
        assessment = Assessment.objects.filter(study=study, collective=collective, assessed_on=on).first()
        if assessment is None:
            assessment = services.create_assessment(study, version, u["lea"], collective=collective, assessed_on=on)
            _answer(assessment, answers, [u["lea"], u["aminata"]])
            services.transition(assessment, "submit", u["lea"])
            if final:
                _review(assessment, u["karim"])
            assessment.refresh_from_db()
        made.append(assessment)
    if made and not EngagementPlan.objects.filter(assessment=made[0]).exists():
        _plan(bureau, made[0], u)
    assert all(a.status in AssessmentStatus.values for a in made)
    return made


def _plan(bureau: BureauPage, assessment: Assessment, u) -> None:
    """The plan that followed the first diagnosis: adopted by vote, two indicators measured."""
    start = assessment.assessed_on + timedelta(days=30)
    plan = plans.create_plan(
        assessment,
        u["karim"],
        title="Plan d'engagement IA 2025-2028",
        starts_on=start,
        ends_on=start + timedelta(days=3 * 365),
    )
    governance = plans.add_objective(
        plan, title="Décider collectivement des usages et les écrire", criterion_codes=["GOV.DEC.1", "GOV.DEC.2"]
    )
    training = plans.add_objective(
        plan, title="Former l'équipe et les bénévoles", criterion_codes=["TRA.FOR.1", "TRA.FOR.2"]
    )
    agenda = plans.add_action(governance, title="Inscrire les usages de l'IA à l'ordre du jour de l'AG",
                              owner="Bureau de la SCOP", due_on=start + timedelta(days=150))
    charter = plans.add_action(governance, title="Rédiger et diffuser une charte d'usage", owner="Groupe de travail",
                               due_on=start + timedelta(days=240))
    plans.add_action(training, title="Deux sessions de formation par an", owner="Référente numérique",
                     due_on=start + timedelta(days=365))
    trained = plans.add_indicator(
        plan, name="Part de l'équipe formée", unit="%", direction="up", baseline=10, target=80, objective=training,
        method="Personnes ayant suivi au moins une session, sur l'effectif salarié et bénévole actif.",
    )
    tools = plans.add_indicator(
        plan, name="Outils d'IA utilisés sans décision", unit="outils", direction="down", baseline=6, target=1,
        objective=governance, method="Recensement annuel des outils en usage, comparé aux décisions prises.",
    )
    six_months = plans.add_progress_review(plan, scheduled_on=start + timedelta(days=180), notes="Point à six mois.")
    plans.add_progress_review(plan, scheduled_on=start + timedelta(days=365), notes="Bilan annuel.")
    proposal = plans.propose_plan(plan, u["camille"])
    _vote_in_the_past(bureau, proposal, u)
    plan.refresh_from_db()
    for days, value in ((60, 10), (180, 35), (330, 55)):
        plans.record_measurement(trained, u["lea"], measured_on=start + timedelta(days=days), value=value)
    for days, value in ((60, 6), (330, 3)):
        plans.record_measurement(tools, u["lea"], measured_on=start + timedelta(days=days), value=value)
    # Actions followed after adoption: one done with its evidence, one under way; the six-month review held.
    plans.set_action_status(agenda, "done")
    plans.add_action_link(agenda, u["lea"], title="Compte rendu de l'AG (point IA)", url="https://exemple.org/ag-compte-rendu")
    plans.set_action_status(charter, "started")
    plans.record_review_held(
        six_months,
        held_on=start + timedelta(days=185),
        summary="L'AG a débattu des usages ; la charte est en cours d'écriture. Formation : 35 % de l'équipe.",
    )
