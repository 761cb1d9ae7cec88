"""Demo data for governance: three closed votes that show what the rules do, and one open vote.

1. Adopted by the college-weighted majority although the headcount was against (2 for, 3 against):
   chercheur·es 0/2 for (weight 30), structures 1/1 (40), bénévoles & makers 1/2 (30)
   → (0·30 + 1·40 + ½·30) / 100 = 55 % for.
2. Rejected under consent by a single argued block.
3. A choice among three transcription tools (majority judgment, the rule of that kind).
4. An open vote, some ballots already cast — Inès's among them, cast by Hugo with her proxy.
5. A past decision where Hugo voted for Inès by proxy (issue 17): the register counts it.

Malo, a volunteer, voted « for » in vote 2 and said why in its discussion, then left the platform:
his account is erased (`participants.leaving`), his ballot still counts and the discussion shows
« membre parti·e n° 1 » with « commentaire retiré ».

Idempotent: a proposal whose title exists is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from participants.leaving import erase_member
from participants.models import LeaveRequest, MemberProfile

from . import actions
from .models import BureauPage, Comment, Membership, Proposal, Role
from .models.governance import ProposalKind
from .rules import ensure_default_rules

ODBL = "Ouvrir les données d'observation anonymisées sous licence ODbL"
REPORT = "Publier le rapport intermédiaire sur le site de la Métropole"
TRANSCRIPTION = "Choisir l'outil de transcription des entretiens"
DEPARTING = "malo.renard@bec-demo.fr"
SOVEREIGNTY = "Héberger les comptes rendus du bureau sur le serveur mutualisé de la Mezzanine"
CITATION = "Adopter la charte de citation des personnes enquêtées"


def _users() -> dict[str, object]:
    User = get_user_model()
    return {u.email.split(".")[0]: u for u in User.objects.filter(email__endswith="@bec-demo.fr")}


def _closed_vote(bureau, author, *, title, body, kind, ballots, options=(), days_ago=30):
    # No rule is given: the bureau's table gives it from the kind, as for every proposal.
    proposal = actions.create_proposal(bureau, author, title=title, body=body, kind=kind, options=options)
    actions.open_proposal(proposal, author)
    labels = {o.label: str(o.pk) for o in proposal.options.all()}
    for voter, choice in ballots:
        if isinstance(choice, dict):
            actions.cast_ballot(proposal, voter, grades={labels[k]: v for k, v in choice.items()})
        else:
            choice, _sep, reason = choice.partition(":")
            actions.cast_ballot(proposal, voter, choice=choice, reason=reason.strip())
    past = timezone.now() - timedelta(days=days_ago)
    # The story: the vote ran its whole period (the last ballot ended it early; not in the demo's past).
    Proposal.objects.filter(pk=proposal.pk).update(
        opens_at=past - timedelta(days=7),
        closes_at=past,
        created_at=past - timedelta(days=8),
        closed_early_at=None,
    )
    return actions.close_proposal(proposal.pk)


def _departing_member(bureau):
    """Malo, a volunteer who votes once and then leaves the platform (`_leave`)."""
    user = get_user_model().objects.create_user(
        username="malo.renard", email=DEPARTING, first_name="Malo", last_name="Renard"
    )
    MemberProfile.objects.create(user=user, display_name="Malo Renard", category="volunteer")
    college = bureau.colleges.filter(name="Bénévoles & makers").first() or bureau.colleges.first()
    Membership.objects.create(
        user=user,
        bureau=bureau,
        role=Role.MEMBER,
        college=college,
        joined_at=timezone.now() - timedelta(days=120),
    )
    return user


def _leave(user, decision, coordinator) -> None:
    """Malo explains his vote, then asks to leave; a coordinator confirms: the account is erased."""
    Comment.objects.create(
        proposal=decision.proposal,
        author=user,
        body="Je vote pour : le rapport est prêt, et je quitte Lyon le mois prochain.",
        created_at=decision.closed_at - timedelta(days=3),
    )
    LeaveRequest.objects.create(user=user)
    erase_member(user, by=coordinator)


@transaction.atomic
def build(bureau: BureauPage) -> list[Proposal]:
    ensure_default_rules(bureau)
    u = _users()
    camille, karim, lea, aminata, hugo, ines = (
        u[k] for k in ("camille", "karim", "lea", "aminata", "hugo", "ines")
    )
    existing = set(Proposal.objects.filter(bureau=bureau).values_list("title", flat=True))
    if ODBL not in existing:
        _closed_vote(
            bureau,
            karim,
            title=ODBL,
            kind=ProposalKind.FREE,
            days_ago=75,
            body=(
                "Nous proposons de publier le jeu de données des observations **anonymisées** (codes de "
                "collectifs, outils, usages) sous licence [ODbL](https://opendatacommons.org/licenses/odbl/).\n\n"
                "- les textes des notes restent réservés à l'équipe ;\n"
                "- seuls les champs codés sont publiés, une fois par trimestre."
            ),
            ballots=[
                (camille, "against"),
                (lea, "against"),
                (karim, "for"),
                (aminata, "abstain"),
                (hugo, "for"),
                (ines, "against"),
            ],
        )
    if REPORT not in existing:
        malo = _departing_member(bureau)
        report = _closed_vote(
            bureau,
            camille,
            title=REPORT,
            kind=ProposalKind.PUBLICATION,
            days_ago=65,
            body="Le rapport intermédiaire (12 pages) présente les premiers usages observés dans six collectifs.",
            ballots=[
                (camille, "for"),
                (karim, "for"),
                (lea, "for"),
                (aminata, "for"),
                (hugo, "for"),
                (ines, "block: Le rapport cite le collectif C-04, qui n'a pas encore validé la citation."),
                (malo, "for"),
            ],
        )
        _leave(malo, report, camille)
    if TRANSCRIPTION not in existing:
        options = [
            "Whisper auto-hébergé au fablab",
            "Service commercial hébergé hors UE",
            "Transcription manuelle par les bénévoles",
        ]
        w, s, m = options
        _closed_vote(
            bureau,
            lea,
            title=TRANSCRIPTION,
            kind=ProposalKind.CHOICE,
            options=options,
            days_ago=55,
            body="Trois options pour transcrire les entretiens enregistrés (avec consentement « enregistrement »).",
            ballots=[
                (camille, {w: "very_good", s: "poor", m: "good"}),
                (karim, {w: "excellent", s: "fair", m: "fair"}),
                (lea, {w: "good", s: "reject", m: "very_good"}),
                (aminata, {w: "very_good", s: "poor", m: "good"}),
                (hugo, {w: "excellent", s: "reject", m: "fair"}),
                (ines, {w: "good", s: "poor", m: "excellent"}),
            ],
        )
    if SOVEREIGNTY not in existing:
        proposal = actions.create_proposal(
            bureau,
            aminata,
            title=SOVEREIGNTY,
            kind=ProposalKind.FREE,
            body=(
                "Le protocole demande aux structures où vont leurs données : appliquons-nous la même règle. "
                "Proposition : déplacer les comptes rendus du bureau, aujourd'hui sur un drive commercial, vers "
                "le serveur mutualisé du tiers-lieu *La Mezzanine* (hébergé à Lyon).\n\n"
                "- coût : 5 € par mois ;\n- migration faite par Hugo et Théo en une soirée."
            ),
        )
        actions.open_proposal(proposal, camille, closes_at=timezone.now() + timedelta(days=5))
        actions.cast_ballot(proposal, aminata, choice="for")
        actions.cast_ballot(proposal, hugo, choice="for")
        actions.cast_ballot(proposal, lea, choice="against")
    build_proxies(bureau)
    return list(Proposal.objects.filter(bureau=bureau))


def build_proxies(bureau: BureauPage) -> None:
    """Proxies (issue 17): Inès (bénévoles & makers) lets Hugo, of her college, vote for her — on a
    past decision, recorded in the register, and on the open vote about the Mezzanine's server."""
    from .models import Proxy

    u = _users()
    camille, karim, lea, aminata, hugo, ines = (
        u[k] for k in ("camille", "karim", "lea", "aminata", "hugo", "ines")
    )
    if not Proposal.objects.filter(bureau=bureau, title=CITATION).exists():
        proposal = actions.create_proposal(
            bureau,
            lea,
            title=CITATION,
            kind=ProposalKind.FREE,
            body=(
                "Avant toute citation publique, la personne enquêtée relit l'extrait et peut le retirer ; "
                "elle est désignée par son pseudonyme, jamais par sa fonction exacte dans une petite structure."
            ),
        )
        actions.open_proposal(proposal, camille)
        actions.give_proxy(bureau, ines, hugo, proposal)  # Inès is away for the week of the vote
        for voter, choice in (
            (camille, "for"),
            (karim, "for"),
            (lea, "for"),
            (aminata, "against"),
            (hugo, "for"),
        ):
            actions.cast_ballot(proposal, voter, choice=choice)
        actions.cast_ballot(proposal, hugo, choice="for", on_behalf_of=ines)
        past = timezone.now() - timedelta(days=50)  # after the choice of tool, before the protocol vote
        Proposal.objects.filter(pk=proposal.pk).update(
            opens_at=past - timedelta(days=7),
            closes_at=past,
            created_at=past - timedelta(days=8),
            closed_early_at=None,
        )
        Proxy.objects.filter(proposal=proposal).update(given_at=past - timedelta(days=6))
        actions.close_proposal(proposal.pk)
    open_vote = Proposal.objects.filter(bureau=bureau, title=SOVEREIGNTY, status="open").first()
    if open_vote is not None and not Proxy.objects.filter(proposal=open_vote).exists():
        actions.give_proxy(bureau, ines, hugo, open_vote)
        actions.cast_ballot(
            open_vote,
            hugo,
            choice="for",
            on_behalf_of=ines,
            reason="Inès m'a dit qu'elle soutenait le serveur mutualisé du tiers-lieu.",
        )
