"""Demo data for the codebook under governance (issue 17, item 1).

The story, in the bureau's register:
1. 34 days ago the bureau adopted a « change of the decision rules » putting its codebook under the
   simple-majority rule (until then it was freely editable);
2. 25 days ago it adopted the merge of « Gain de productivité », a duplicate that two observers had
   created, into « Gain de temps »: the merge was applied and kept every coding;
3. today the rename of « Idéation » into « Recherche d'idées » is under vote, two ballots cast.

Idempotent: a proposal whose title exists is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from commons import actions
from commons.demo_governance import _users
from commons.models import BureauPage, DecisionRule, Proposal
from commons.models.governance import ProposalKind

from .models import Code, CodedObservation, Observation, StudyPage

UNDER_VOTE = "Soumettre les modifications du codebook au vote du bureau"
MERGE = "Fusionner « Gain de productivité » dans « Gain de temps »"
RENAME = "Renommer « Idéation » en « Recherche d'idées »"
DUPLICATE = "Gain de productivité"


def _in_the_past(proposal: Proposal, days_ago: int):
    """Every elector voted (the last ballot ended the vote); dated in the past, then closed."""
    past = timezone.now() - timedelta(days=days_ago)
    Proposal.objects.filter(pk=proposal.pk).update(
        opens_at=past - timedelta(days=7),
        closes_at=past,
        created_at=past - timedelta(days=8),
        closed_early_at=None,
    )
    return actions.close_proposal(proposal.pk)


def _vote(proposal: Proposal, ballots) -> None:
    for voter, answer in ballots:
        choice, _sep, reason = answer.partition(":")
        actions.cast_ballot(proposal, voter, choice=choice, reason=reason.strip())


@transaction.atomic
def build(bureau: BureauPage, study: StudyPage) -> list[Proposal]:
    u = _users()
    camille, karim, lea, aminata, hugo, ines = (
        u[k] for k in ("camille", "karim", "lea", "aminata", "hugo", "ines")
    )
    existing = set(Proposal.objects.filter(bureau=bureau).values_list("title", flat=True))
    majority = DecisionRule.objects.get(bureau=bureau, is_default=True)
    if UNDER_VOTE not in existing:
        proposal = actions.create_proposal(
            bureau,
            camille,
            title=UNDER_VOTE,
            kind=ProposalKind.RULES,
            proposed_rules={ProposalKind.CODEBOOK: majority.pk},
            body=(
                "Ce que veulent dire nos codes est un choix collectif : deux personnes ont créé le même code "
                "sous deux noms, et une définition a changé sans que personne ne le sache.\n\n"
                "Proposition : renommer, déplacer, redéfinir, fusionner ou supprimer un code passe par un vote à "
                "la majorité simple. **Créer un code et coder restent libres.**"
            ),
        )
        actions.open_proposal(proposal, camille)
        _vote(
            proposal,
            [
                (camille, "for"),
                (karim, "for"),
                (lea, "for"),
                (aminata, "for"),
                (hugo, "abstain"),
                (ines, "for"),
            ],
        )
        _in_the_past(proposal, 34)  # after protocol v2's registration: the register stays in date order
    if MERGE not in existing:
        target = Code.objects.get(study=study, name="Gain de temps")
        duplicate, _created = Code.objects.get_or_create(
            study=study,
            name=DUPLICATE,
            defaults={
                "slug": "gain-de-productivite",
                "colour": "#b39ddb",
                "parent": target.parent,
                "definition": "Temps ou effort économisé grâce à l'outil.",
            },
        )
        for observation in Observation.objects.filter(study=study).order_by("pk")[:2]:
            CodedObservation.objects.get_or_create(tag=duplicate, content_object=observation)
        proposal = actions.propose_change(
            bureau,
            karim,
            kind=ProposalKind.CODEBOOK,
            title=MERGE,
            payload={"op": "merge", "study": study.pk, "code": duplicate.pk, "target": target.pk},
            body=(
                "« Gain de productivité » et « Gain de temps » désignent la même chose. Fusionnons-les : toutes "
                "les observations, passages et mémos du premier passent au second."
            ),
        )
        _vote(
            proposal,
            [
                (camille, "for"),
                (karim, "for"),
                (lea, "for"),
                (aminata, "against"),
                (hugo, "for"),
                (ines, "for"),
            ],
        )
        _in_the_past(proposal, 25)
    if RENAME not in existing:
        code = Code.objects.get(study=study, name="Idéation")
        proposal = actions.propose_change(
            bureau,
            camille,
            kind=ProposalKind.CODEBOOK,
            title=RENAME,
            payload={"op": "edit", "study": study.pk, "code": code.pk, "to": {"name": "Recherche d'idées"}},
            body=(
                "Sur le terrain, personne ne dit « idéation » : les personnes parlent de « chercher des idées ». "
                "Un nom que les personnes enquêtées reconnaissent rend le codage plus sûr."
            ),
        )
        _vote(proposal, [(camille, "for"), (lea, "against: « Idéation » est le terme de la littérature.")])
    return list(Proposal.objects.filter(bureau=bureau, kind=ProposalKind.CODEBOOK))
