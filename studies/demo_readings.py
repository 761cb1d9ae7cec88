"""Demo: the study's literature review, readings of the bureau's library coded with the study's codes.

Notes on real publications say only what those publications are known for, in general terms; notes on
the records marked « exemple » start from their abstract, which says it is invented. Each passage is
coded through the same `Excerpt` rows as field notes, so the analysis shows them under « lectures ».
Idempotent: a reference already read is left as it is.
"""

from __future__ import annotations

from commons.models import Reference

from .demo_protocol import _users
from .models import Code, Excerpt, Reading, StudyPage
from .models.readings import starting_notes

#: key -> (the team's notes, [(passage of the notes, codes)])
READINGS = {
    "noy2023": (
        "Expérience contrôlée sur des tâches d'écriture professionnelle : l'accès à ChatGPT réduit le temps "
        "passé et améliore la qualité jugée des textes.\n\nÀ rapprocher de nos observations sur la rédaction "
        "des comptes rendus, où le temps gagné est réel mais la relecture reste indispensable.",
        [("réduit le temps passé", ("Gain de temps",)), ("améliore la qualité jugée des textes", ("Qualité",)),
         ("la relecture reste indispensable", ("Fiabilité",))],
    ),
    "brynjolfsson2023": (
        "Étude d'un service client : l'assistant conversationnel augmente la productivité, davantage pour les "
        "personnes les moins expérimentées.\n\nQuestion pour nous : les bénévoles débutants en tirent-ils "
        "aussi le plus ?",
        [("augmente la productivité", ("Gain de temps",)),
         ("les bénévoles débutants en tirent-ils aussi le plus", ("Apprentissage entre pairs",))],
    ),
    "bender2021": (
        "Article de référence sur les risques des grands modèles de langage : coûts environnementaux, données "
        "d'entraînement mal documentées, textes plausibles sans compréhension.\n\nUtile pour la section "
        "éthique du protocole.",
        [("textes plausibles sans compréhension", ("Fiabilité",)),
         ("données d'entraînement mal documentées", ("Souveraineté des données",))],
    ),
    "ostrom1990": (
        "Les communs comme institutions que les usagers se donnent eux-mêmes.\n\nCadre pour analyser qui "
        "décide de l'usage d'un outil dans une structure, et comment la règle est surveillée.",
        [("qui décide de l'usage d'un outil", ("Refus",))],
    ),
    "exemple-asso2024": (
        None,
        [("adopté par une personne seule avant toute décision collective", ("Rédaction",))],
    ),
    "exemple-donnees2024": (
        None,
        [("l'hébergement hors d'Europe des outils", ("Souveraineté des données",))],
    ),
    "exemple-benevolat2025": (
        None,
        [("le temps gagné sur la rédaction est repris par la vérification", ("Gain de temps", "Fiabilité"))],
    ),
}


def build(study: StudyPage) -> list[Reading]:
    users = _users()
    reader = users.get("lea") or next(iter(users.values()), None)
    codes = {code.name: code for code in Code.objects.filter(study=study)}
    references = {r.key: r for r in Reference.objects.filter(bureau_id=study.bureau.pk, key__in=READINGS)}
    for key, (notes, passages) in READINGS.items():
        reference = references.get(key)
        if reference is None or Reading.objects.filter(study=study, reference=reference).exists():
            continue
        text = starting_notes(reference) + (notes or "")
        reading = Reading.objects.create(
            study=study, reference=reference, title=str(reference)[:200], notes=text, added_by=reader
        )
        for passage, names in passages:
            start = reading.plain_text.find(passage)
            if start < 0:
                continue
            excerpt = Excerpt.objects.create(
                reading=reading, coder=reader, start=start, end=start + len(passage), text=passage
            )
            excerpt.codes.add(*[codes[name] for name in names if name in codes])
    return list(Reading.objects.filter(study=study))
