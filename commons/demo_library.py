"""Demo: the bureau's library, about twenty references on generative AI, work and the social economy.

A demo must not invent citations. The real publications below are given only with details the team
is sure of (authors, title, year, where they appeared, a DOI or a stable address when certain; no page
numbers or abstracts written from memory). Every other record is plainly marked « exemple » in its
title and key, and names a fictitious source: they show how the library works, nothing more.
Idempotent: a reference whose key exists is left as it is.
"""

from __future__ import annotations

from .library.formats import FIELDS
from .models import BureauPage, Reference


def _p(family: str, given: str) -> dict:
    return {"family": family, "given": given}


REAL = [
    {"key": "noy2023", "kind": "article-journal", "year": 2023,
     "title": "Experimental evidence on the productivity effects of generative artificial intelligence",
     "authors": [_p("Noy", "Shakked"), _p("Zhang", "Whitney")], "container": "Science",
     "volume": "381", "issue": "6654", "pages": "187–192", "doi": "10.1126/science.adh2586", "language": "en"},
    {"key": "brynjolfsson2023", "kind": "report", "year": 2023, "title": "Generative AI at Work",
     "authors": [_p("Brynjolfsson", "Erik"), _p("Li", "Danielle"), _p("Raymond", "Lindsey R.")],
     "container": "NBER Working Paper Series", "publisher": "National Bureau of Economic Research",
     "doi": "10.3386/w31161", "language": "en"},
    {"key": "eloundou2023", "kind": "report", "year": 2023,
     "title": "GPTs are GPTs: An Early Look at the Labor Market Impact Potential of Large Language Models",
     "authors": [_p("Eloundou", "Tyna"), _p("Manning", "Sam"), _p("Mishkin", "Pamela"), _p("Rock", "Daniel")],
     "container": "arXiv", "url": "https://arxiv.org/abs/2303.10130", "language": "en"},
    {"key": "bender2021", "kind": "paper-conference", "year": 2021,
     "title": "On the Dangers of Stochastic Parrots: Can Language Models Be Too Big?",
     "authors": [_p("Bender", "Emily M."), _p("Gebru", "Timnit"), _p("McMillan-Major", "Angelina"),
                 _p("Shmitchell", "Shmargaret")],
     "container": "Proceedings of the 2021 ACM Conference on Fairness, Accountability, and Transparency",
     "publisher": "ACM", "doi": "10.1145/3442188.3445922", "language": "en"},
    {"key": "frey2017", "kind": "article-journal", "year": 2017,
     "title": "The future of employment: How susceptible are jobs to computerisation?",
     "authors": [_p("Frey", "Carl Benedikt"), _p("Osborne", "Michael A.")],
     "container": "Technological Forecasting and Social Change", "volume": "114", "pages": "254–280", "doi": "10.1016/j.techfore.2016.08.019",
     "language": "en"},
    {"key": "ostrom1990", "kind": "book", "year": 1990,
     "title": "Governing the Commons: The Evolution of Institutions for Collective Action",
     "authors": [_p("Ostrom", "Elinor")], "publisher": "Cambridge University Press", "language": "en"},
    {"key": "casilli2019", "kind": "book", "year": 2019,
     "title": "En attendant les robots. Enquête sur le travail du clic",
     "authors": [_p("Casilli", "Antonio A.")], "publisher": "Seuil", "language": "fr"},
    {"key": "zuboff2019", "kind": "book", "year": 2019,
     "title": "The Age of Surveillance Capitalism: The Fight for a Human Future at the New Frontier of Power",
     "authors": [_p("Zuboff", "Shoshana")], "publisher": "PublicAffairs", "language": "en"},
    {"key": "crawford2021", "kind": "book", "year": 2021,
     "title": "Atlas of AI: Power, Politics, and the Planetary Costs of Artificial Intelligence",
     "authors": [_p("Crawford", "Kate")], "publisher": "Yale University Press", "language": "en"},
    {"key": "coriat2015", "kind": "book", "year": 2015,
     "title": "Le retour des communs. La crise de l'idéologie propriétaire",
     "authors": [_p("Coriat", "Benjamin")], "publisher": "Les Liens qui Libèrent", "language": "fr"},
]

_FICTIVE = "Source fictive (exemple de démonstration)"
_NOTE = "Référence d'exemple inventée pour la démonstration : elle ne renvoie à aucune publication."

EXAMPLES = [
    {"key": "exemple-asso2024", "kind": "report", "year": 2024,
     "title": "Exemple : l'IA générative dans les associations employeuses, enquête fictive",
     "authors": [{"literal": "Observatoire fictif de la vie associative (exemple)"}], "publisher": _FICTIVE,
     "abstract": _NOTE + " Elle décrirait des associations où la rédaction des dossiers de subvention "
     "passe par un assistant conversationnel, adopté par une personne seule avant toute décision collective."},
    {"key": "exemple-scop2023", "kind": "article-journal", "year": 2023,
     "title": "Exemple : décider ensemble d'un outil numérique en SCOP",
     "authors": [_p("Exemple", "Camille")], "container": "Revue fictive de l'économie sociale (exemple)", "volume": "1",
     "abstract": _NOTE + " Elle raconterait comment une coopérative soumet l'adoption d'un outil au vote "
     "de ses associés et rédige une charte d'usage après un premier incident."},
    {"key": "exemple-donnees2024", "kind": "report", "year": 2024,
     "title": "Exemple : où vont les données confiées aux assistants conversationnels ?",
     "authors": [{"literal": "Collectif fictif pour un numérique solidaire (exemple)"}], "publisher": _FICTIVE,
     "abstract": _NOTE + " Elle porterait sur l'hébergement hors d'Europe des outils et sur les données "
     "des personnes accompagnées transmises sans qu'on le leur demande."},
    {"key": "exemple-insertion2022", "kind": "chapter", "year": 2022,
     "title": "Exemple : l'accompagnement vers l'emploi face aux CV rédigés par une machine",
     "authors": [_p("Exemple", "Dominique")], "container": "Ouvrage collectif fictif (exemple)",
     "publisher": _FICTIVE,
     "abstract": _NOTE + " Elle évoquerait des conseillères en insertion qui vérifient des CV où l'outil "
     "a ajouté des compétences que la personne n'a pas."},
    {"key": "exemple-benevolat2025", "kind": "article-journal", "year": 2025,
     "title": "Exemple : bénévoles, temps gagné et travail invisible",
     "authors": [_p("Exemple", "Sacha"), _p("Modèle", "Noa")], "container": "Cahiers fictifs (exemple)", "volume": "2",
     "abstract": _NOTE + " Elle suggérerait que le temps gagné sur la rédaction est repris par la "
     "vérification, qui devient un travail invisible."},
    {"key": "exemple-traduction2024", "kind": "webpage", "year": 2024,
     "title": "Exemple : traduire les affiches d'une épicerie solidaire",
     "authors": [{"literal": "Épicerie fictive (exemple)"}], "container": "Blog fictif (exemple)",
     "abstract": _NOTE + " Elle montrerait des traductions automatiques relues par des habitant·es "
     "qui parlent les langues concernées."},
    {"key": "exemple-communs2023", "kind": "book", "year": 2023,
     "title": "Exemple : gouverner les outils numériques comme des communs",
     "authors": [_p("Exemple", "Alix")], "publisher": _FICTIVE,
     "abstract": _NOTE + " Elle proposerait des règles d'usage décidées par les personnes concernées."},
    {"key": "exemple-these2024", "kind": "thesis", "year": 2024,
     "title": "Exemple : l'intensification du travail administratif dans les petites associations",
     "authors": [_p("Exemple", "Morgan")], "publisher": "Université fictive (exemple)",
     "abstract": _NOTE + " Elle décrirait la crainte de voir des postes administratifs disparaître."},
    {"key": "exemple-tierslieu2025", "kind": "report", "year": 2025,
     "title": "Exemple : apprendre entre pairs dans les tiers-lieux ruraux",
     "authors": [{"literal": "Réseau fictif des tiers-lieux (exemple)"}], "publisher": _FICTIVE,
     "abstract": _NOTE + " Elle parlerait d'ateliers où les habitant·es se montrent les uns aux autres "
     "comment utiliser les outils."},
    {"key": "exemple-sante2024", "kind": "article-newspaper", "year": 2024,
     "title": "Exemple : une mutuelle renonce à l'IA pour ses réponses aux adhérents",
     "authors": [_p("Exemple", "Lou")], "container": "Quotidien fictif (exemple)",
     "abstract": _NOTE + " Elle raconterait un refus motivé par la fiabilité des réponses."},
]


def build(bureau: BureauPage) -> list[Reference]:
    """The bureau's library (idempotent); the bureau cites in the author–date style."""
    taken = set(Reference.objects.filter(bureau=bureau).values_list("key", flat=True))
    for record in REAL + EXAMPLES:
        if record["key"] in taken:
            continue
        values = {name: record.get(name, [] if name == "authors" else "") for name in FIELDS}
        values["year"] = record.get("year")
        Reference.objects.create(bureau=bureau, **values)
    return list(Reference.objects.filter(bureau=bureau))
