"""The demo bureau's resources: ten published by a coordinator (real ones where the link and details
are certain, the others plainly marked « exemple »), one proposed and waiting for a coordinator, and
one published by vote: the bureau first adopted a « change of the decision rules » giving its
« kind → rule » table a line for « publication of a resource » (`actions.apply_rules_change`, as
any such adoption), then a coordinator's « Publier » opened the vote, whose adoption published it.

Idempotent (by title). Licences and details not known for certain are left blank and show as
« non renseigné »; nothing is invented about a real resource.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from . import actions
from . import resources as services
from .models import BureauPage, Decision, DecisionRule, Proposal, Resource
from .models.governance import ProposalKind
from .models.resources import ResourceStatus

PROPOSER = "lea.dubois@bec-demo.fr"

#: (title, kind, url, licence, language, audience, themes, summary)
RESOURCES = [
    (
        "Exemple — Charte d'usage de l'IA générative pour une association",
        "guide",
        "https://example.org/exemple-charte-ia",
        "CC BY-SA 4.0",
        "fr",
        "collectives",
        ["gouvernance", "protection des données"],
        "**Exemple de démonstration** (ressource fictive) : une charte type à adapter en assemblée — ce que "
        "l'on confie à un outil d'IA, ce que l'on ne lui confie jamais, qui décide du choix de l'outil.",
    ),
    (
        "Exemple — Atelier « L'IA au quotidien » pour bénévoles",
        "training",
        "https://example.org/exemple-atelier-ia",
        "CC BY 4.0",
        "fr",
        "volunteers",
        ["culture numérique", "animation"],
        "**Exemple de démonstration** (ressource fictive) : le déroulé d'un atelier de deux heures pour "
        "essayer, critiquer et comparer des outils d'IA avec des bénévoles.",
    ),
    (
        "Règlement (UE) 2024/1689 sur l'intelligence artificielle (AI Act)",
        "report",
        "https://eur-lex.europa.eu/eli/reg/2024/1689/oj",
        "",
        "multi",
        "everyone",
        ["réglementation", "Europe"],
        "Le texte officiel du règlement européen sur l'IA, sur EUR-Lex, dans toutes les langues de l'Union. "
        "Utile pour savoir quelles obligations pèsent sur les fournisseurs et sur les utilisateurs d'un système.",
    ),
    (
        "Elements of AI",
        "training",
        "https://www.elementsofai.com/",
        "",
        "multi",
        "everyone",
        ["culture numérique", "formation en ligne"],
        "Un cours en ligne gratuit d'introduction à l'intelligence artificielle, sans prérequis technique, "
        "créé par l'Université d'Helsinki et Reaktor.",
    ),
    (
        "Ollama",
        "tool",
        "https://ollama.com/",
        "MIT",
        "en",
        "technical",
        ["auto-hébergement", "modèles ouverts", "sobriété"],
        "Un logiciel pour faire tourner des modèles de langue à poids ouverts sur son propre ordinateur : "
        "les textes ne quittent pas la machine.",
    ),
    (
        "Whisper",
        "tool",
        "https://github.com/openai/whisper",
        "MIT",
        "en",
        "technical",
        ["transcription", "modèles ouverts", "auto-hébergement"],
        "Le modèle de reconnaissance de la parole publié par OpenAI avec ses poids : on peut transcrire des "
        "entretiens sans envoyer l'audio à un service en ligne.",
    ),
    (
        "Common Voice",
        "dataset",
        "https://commonvoice.mozilla.org/",
        "CC0",
        "multi",
        "researchers",
        ["données ouvertes", "voix"],
        "Le jeu de données vocales participatif de la fondation Mozilla : des voix enregistrées et relues par "
        "des bénévoles, dans de nombreuses langues, placées dans le domaine public.",
    ),
    (
        "LibreTranslate",
        "tool",
        "https://libretranslate.com/",
        "AGPL-3.0",
        "multi",
        "technical",
        ["traduction", "logiciel libre", "auto-hébergement"],
        "Un service de traduction automatique libre, installable sur un serveur de la structure : une "
        "alternative aux traducteurs en ligne pour les textes sensibles.",
    ),
    (
        "compar:IA",
        "tool",
        "https://comparia.beta.gouv.fr/",
        "",
        "fr",
        "everyone",
        ["choix d'outil", "sobriété"],
        "Un comparateur public d'IA conversationnelles : on pose une question à deux modèles anonymes et on "
        "compare leurs réponses avant de découvrir qui les a écrites.",
    ),
    (
        "Principes de l'OCDE sur l'IA",
        "report",
        "https://oecd.ai/en/ai-principles",
        "",
        "en",
        "everyone",
        ["éthique", "réglementation"],
        "Les principes adoptés par les pays de l'OCDE pour une IA digne de confiance, avec leurs mises à jour.",
    ),
]

#: A resource proposed by a member, waiting for a coordinator (seen by the bureau's members only).
PROPOSED = (
    "Exemple — Jeu de données des usages observés (à publier)",
    "dataset",
    "https://example.org/exemple-jeu-de-donnees",
    "",
    "fr",
    "researchers",
    ["données ouvertes"],
    "**Exemple de démonstration** : les comptes agrégés du registre, à publier une fois le rapport final adopté.",
)


#: Published by a vote of the bureau, once its table put resources to the vote.
BY_VOTE = (
    "Exemple — Grille pour choisir un outil d'IA en collectif",
    "tool",
    "https://example.org/exemple-grille-choix-outil-ia",
    "CC BY-SA 4.0",
    "fr",
    "collectives",
    ["gouvernance", "souveraineté numérique"],
    "**Exemple de démonstration** (ressource fictive) : une grille d'une page pour comparer des outils "
    "d'IA avant d'en adopter un — où sont les données, qui les réutilise, ce que coûte une sortie, qui "
    "décide dans la structure.",
)
RULES_VOTE = "Soumettre au vote la publication des ressources"


def _voters() -> list:
    from .demo_governance import _users

    users = _users()
    return [users[k] for k in ("camille", "karim", "lea", "aminata", "hugo", "ines") if k in users]


def _close_in_the_past(proposal: Proposal, voters, closes_at) -> None:
    """Every voter says « pour »; the vote is dated to have run its week up to `closes_at`, then closed."""
    for voter in voters:
        actions.cast_ballot(proposal, voter, choice="for")
    Proposal.objects.filter(pk=proposal.pk).update(
        opens_at=closes_at - timedelta(days=7),
        closes_at=closes_at,
        created_at=closes_at - timedelta(days=8),
        closed_early_at=None,
    )
    actions.close_proposal(proposal.pk)


def _published_by_vote(bureau: BureauPage, proposer) -> None:
    """The « published by vote » path, after every other decision of the demo (the register stays
    in date order): the rules change, then the vote that publishes `BY_VOTE`."""
    voters = _voters()
    camille = voters[0] if voters else None
    if camille is None or Resource.objects.filter(bureau=bureau, title=BY_VOTE[0]).exists():
        return
    now = timezone.now()
    latest = Decision.objects.filter(bureau=bureau).order_by("-closed_at").values_list("closed_at", flat=True)
    start = max(latest.first() or now - timedelta(days=10), now - timedelta(days=10))
    step = (now - start) / 3
    if not services.by_vote(bureau):
        rules = actions.create_proposal(
            bureau,
            camille,
            title=RULES_VOTE,
            kind=ProposalKind.RULES,
            proposed_rules={ProposalKind.RESOURCE: DecisionRule.objects.get(bureau=bureau, is_default=True).pk},
            body=(
                "Une ressource publiée engage le bureau : elle apparaît sur sa page publique et dans son flux. "
                "Proposition : la publication d'une ressource passe par un vote à la majorité simple, comme "
                "nos autres décisions courantes. Chacun et chacune peut toujours en proposer."
            ),
        )
        actions.open_proposal(rules, camille)
        _close_in_the_past(rules, voters, start + step)
    resource = _ensure(bureau, BY_VOTE, proposer, None)
    proposal = services.publish(resource, camille)
    if proposal is not None:
        _close_in_the_past(proposal, voters, start + 2 * step)


def _ensure(bureau: BureauPage, spec: tuple, proposer, published_at) -> Resource:
    title, kind, url, licence, language, audience, themes, summary = spec
    resource, created = Resource.objects.get_or_create(
        bureau=bureau,
        title=title,
        defaults={
            "kind": kind,
            "url": url,
            "licence": licence,
            "language": language,
            "audience": audience,
            "summary": summary,
            "proposed_by": proposer,
        },  # fmt: skip
    )
    if created:
        resource.themes.set(themes)
        if published_at is not None:
            resource.status, resource.published_at = ResourceStatus.PUBLISHED, published_at
            resource.save(update_fields=["status", "published_at"])
    return resource


@transaction.atomic
def build(bureau: BureauPage) -> list[Resource]:
    """The demo's resources (created when missing); returns the published ones."""
    proposer = get_user_model().objects.filter(email=PROPOSER).first()
    now = timezone.now()
    published = [
        _ensure(bureau, spec, proposer, now - timedelta(days=3 * (len(RESOURCES) - i)))
        for i, spec in enumerate(RESOURCES)
    ]
    _ensure(bureau, PROPOSED, proposer, None)
    _published_by_vote(bureau, proposer)
    return published
