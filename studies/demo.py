"""Demo data for studies: « Usages de l'IA générative dans les structures de l'ESS ».

Six collectives around Lyon (one has withdrawn its consent, so its observations disappear from
every page), eight AI tools, forty field notes, a codebook of seventeen codes in four families,
and excerpts coded by two coders — Léa Dubois and Camille Martin — who partly disagree, so the
agreement page has something to say.

Idempotent: every object is looked up by a natural key (slug, name, title, offsets) and created
only when missing. Requires the people of `commons.demo` (observers and coders are found by email).
Excerpt offsets are never written by hand: each excerpt is a phrase located with `str.find` in the
observation's plain text, so editing a note here cannot silently misplace its excerpts (a phrase
that is no longer found raises).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from participants.models import Collective, ConsentForm, ConsentRecord, Informant

from .models import AITool, Code, Excerpt, Memo, Observation, StudyPage, StudyStatus, Visibility

STUDY_SLUG = "usages-ia-generative"
STUDY_TITLE = "Usages de l'IA générative dans les structures de l'ESS"

RESEARCH_QUESTION = (
    "Comment les structures de l'économie sociale et solidaire s'approprient-elles les outils d'IA "
    "générative, et qu'est-ce que ces usages changent à leur organisation du travail et à leurs valeurs ?"
)

CONTEXT = """Depuis 2023, les outils d'IA générative sont entrés dans le quotidien des associations, des coopératives et des tiers-lieux, le plus souvent **sans décision collective** : une salariée essaie, d'autres suivent, et le conseil d'administration l'apprend après coup.

Cette étude observe ce que font réellement six structures de l'ESS de la métropole lyonnaise avec ces outils :

- quels **usages** (rédaction, synthèse, traduction, idéation…) et avec quels outils ;
- comment les collectifs se les **approprient**, les encadrent ou les refusent ;
- quelles **tensions** ils soulèvent (données, emploi, fiabilité) ;
- quels **effets** sur le travail et sur les valeurs de la structure.

Les observations sont pseudonymisées (codes `C-01`, `C-02`…) et ne sont faites qu'avec le consentement des collectifs, révocable à tout moment : un retrait fait disparaître immédiatement les notes concernées.
"""

CONSENT_TITLE = "Consentement à l'observation"
CONSENT_TEXT = """Le Bureau d'Études en Communs « IA générative & ESS » souhaite observer la façon dont votre structure utilise (ou n'utilise pas) les outils d'intelligence artificielle générative.

En signant ce formulaire, la structure accepte, pour les usages cochés :
- observation : que des membres de l'équipe d'étude assistent à des réunions, des temps de travail ou des formations et en prennent des notes ;
- entretien : que des personnes volontaires soient interrogées ;
- enregistrement : que ces entretiens soient enregistrés, puis transcrits sur un ordinateur de l'équipe ;
- citation : que de courts extraits des notes soient cités, sans nom, dans les publications ;
- traitement par IA : que les notes pseudonymisées soient analysées avec des outils d'IA auto-hébergés.

La structure est désignée par un code (C-01, C-02…) en dehors de l'équipe d'étude. Elle peut retirer son consentement à tout moment, sans justification : ses observations cessent aussitôt d'apparaître et sont effacées à sa demande.
"""

LEA = "lea.dubois@bec-demo.fr"
CAMILLE = "camille.martin@bec-demo.fr"
HUGO = "hugo.lefebvre@bec-demo.fr"
AMINATA = "aminata.diallo@bec-demo.fr"

#: The registry of AI tools (names are globally unique; `bec_seed` reuses this list).
TOOLS = [
    {
        "name": "ChatGPT",
        "vendor": "OpenAI",
        "model_family": "GPT",
        "open_weights": False,
        "hosting": "outside_eu",
        "licence": "Propriétaire",
        "data_policy": (
            "Offre gratuite : les conversations peuvent servir à entraîner les modèles sauf désactivation "
            "dans les paramètres. Données traitées aux États-Unis."
        ),
    },
    {
        "name": "Le Chat",
        "vendor": "Mistral AI",
        "model_family": "Mistral",
        "open_weights": False,
        "hosting": "eu",
        "licence": "Propriétaire (certains modèles Mistral sont publiés sous Apache 2.0)",
        "data_policy": "Service hébergé dans l'Union européenne ; entraînement sur les conversations désactivable.",
    },
    {
        "name": "Claude",
        "vendor": "Anthropic",
        "model_family": "Claude",
        "open_weights": False,
        "hosting": "outside_eu",
        "licence": "Propriétaire",
        "data_policy": "Données traitées hors de l'Union européenne ; conditions différentes selon l'offre.",
    },
    {
        "name": "Gemini",
        "vendor": "Google",
        "model_family": "Gemini",
        "open_weights": False,
        "hosting": "outside_eu",
        "licence": "Propriétaire",
        "data_policy": "Les conversations peuvent être relues par des personnes et conservées plusieurs années.",
    },
    {
        "name": "Microsoft Copilot",
        "vendor": "Microsoft",
        "model_family": "GPT (Azure OpenAI)",
        "open_weights": False,
        "hosting": "outside_eu",
        "licence": "Propriétaire (inclus dans certaines offres Microsoft 365)",
        "data_policy": "Offres professionnelles : données non utilisées pour l'entraînement selon le contrat.",
    },
    {
        "name": "Llama 3 auto-hébergé",
        "vendor": "Meta (poids) — hébergement par la structure",
        "model_family": "Llama",
        "open_weights": True,
        "hosting": "self_hosted",
        "licence": "Llama 3 Community License",
        "data_policy": "Aucune donnée ne quitte la machine qui fait tourner le modèle.",
    },
    {
        "name": "DeepL",
        "vendor": "DeepL SE",
        "model_family": "DeepL",
        "open_weights": False,
        "hosting": "eu",
        "licence": "Propriétaire",
        "data_policy": (
            "Offre Pro : textes supprimés après traduction. Offre gratuite : textes conservés pour "
            "améliorer le service."
        ),
    },
    {
        "name": "Whisper",
        "vendor": "OpenAI (poids ouverts)",
        "model_family": "Whisper",
        "open_weights": True,
        "hosting": "self_hosted",
        "licence": "MIT",
        "data_policy": "Installé sur un ordinateur de la structure : l'audio n'est envoyé nulle part.",
    },
]

ALL_SCOPES = ["observation", "interview", "recording", "quotation", "ai_processing"]
BASE_SCOPES = ["observation", "quotation", "ai_processing"]

COLLECTIVES = {
    "passerelle": {
        "name": "Association Passerelle Emploi",
        "legal_form": "association",
        "sector": "Insertion par l'activité économique",
        "size_band": "10-49",
        "territory": "Villeurbanne",
        "scopes": [*BASE_SCOPES, "interview"],
        "informants": [("Nadia", "conseillère en insertion professionnelle"), ("Marc", "encadrant technique")],
    },
    "panier": {
        "name": "SCOP Le Panier Vaudais",
        "legal_form": "scop",
        "sector": "Alimentation (traiteur, épicerie, cantine)",
        "size_band": "10-49",
        "territory": "Vaulx-en-Velin",
        "scopes": ALL_SCOPES,
        "informants": [("Julien", "associé, cuisinier")],
    },
    "mezzanine": {
        "name": "Tiers-lieu La Mezzanine",
        "legal_form": "tiers_lieu",
        "sector": "Numérique solidaire",
        "size_band": "1-9",
        "territory": "Lyon, Croix-Rousse",
        # Its informant is interviewed: the collective's « interview » consent is needed as well as his.
        "scopes": [*BASE_SCOPES, "interview"],
        "informants": [("Théo", "bénévole du fablab")],
    },
    "scenes": {
        "name": "SCIC Scènes Partagées",
        "legal_form": "scic",
        "sector": "Culture (spectacle vivant)",
        "size_band": "10-49",
        "territory": "Oullins",
        "scopes": [*BASE_SCOPES, "interview"],
        "informants": [],
    },
    "mutuelle": {
        "name": "Mutuelle Solidaire du Rhône — agence de Vénissieux",
        "legal_form": "mutual",
        "sector": "Santé",
        "size_band": "50-249",
        "territory": "Vénissieux",
        "scopes": BASE_SCOPES,
        "withdrawn_days_ago": 30,
        "informants": [],
    },
    "habitat": {
        "name": "Collectif des locataires des Vernes",
        "legal_form": "informal",
        "sector": "Habitat",
        "size_band": "1-9",
        "territory": "Givors",
        "scopes": ALL_SCOPES,
        "informants": [("Fatima", "habitante, membre du collectif depuis dix ans")],
    },
}

#: Four families (top-level codes), each with its children: (name, colour, definition).
CODEBOOK = [
    (
        ("Usages", "#1d4e89", "Ce que les personnes **font** avec l'outil : la tâche confiée à l'IA."),
        [
            ("Rédaction", "#2f6fb3", "Produire un texte (courrier, compte rendu, dossier, publication) avec l'outil."),
            ("Synthèse", "#4a90d9", "Résumer un document long ou des notes, en extraire l'essentiel."),
            ("Traduction", "#6fa8dc", "Passer un texte ou un audio d'une langue à une autre."),
            ("Idéation", "#9cc3e8", "Chercher des idées, des arguments, une structure de départ."),
        ],
    ),
    (
        (
            "Appropriation",
            "#2e7d32",
            "Comment le collectif **fait sien** l'outil : apprentissages, arrangements, règles ou refus.",
        ),
        [
            (
                "Apprentissage entre pairs",
                "#43a047",
                "Une personne apprend à une autre, partage une consigne, documente une pratique.",
            ),
            (
                "Détournement",
                "#7cb342",
                "Usage inventif, bricolé, qui sort de l'usage prévu par l'éditeur ou le réemploie autrement.",
            ),
            (
                "Refus",
                "#9e9d24",
                "Refus **exprimé** d'utiliser l'outil ou arrêt après essai, quelle qu'en soit la raison.",
            ),
        ],
    ),
    (
        ("Tensions", "#b23a48", "Les désaccords, inquiétudes et conflits de valeurs que l'usage soulève."),
        [
            (
                "Souveraineté des données",
                "#d1495b",
                "Où vont les données, qui les contrôle ; dépendance aux grands acteurs non européens.",
            ),
            ("Emploi", "#e07a5f", "Crainte pour les postes, transformation ou intensification du travail."),
            ("Fiabilité", "#c0392b", "Erreurs, inventions (« hallucinations »), vérification nécessaire."),
        ],
    ),
    (
        ("Effets", "#6a4c93", "Ce que l'usage change, d'après les personnes observées ou l'observateur."),
        [
            ("Gain de temps", "#8e6cc0", "Temps gagné (ou pas) sur une tâche, tel qu'il est estimé sur le terrain."),
            ("Qualité", "#b39ddb", "Effet sur la qualité perçue des productions : mieux écrit, plus plat, uniforme…"),
            ("Dépendance", "#5e35b1", "Difficulté à faire sans l'outil, crainte qu'il devienne payant ou disparaisse."),
        ],
    ),
]


@dataclass(frozen=True)
class DemoObservation:
    key: str
    collective: str
    observer: str
    days_ago: int
    setting: str
    title: str
    body: str
    tools: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    publishable: bool = False
    excerpts: dict[str, list[tuple[str, tuple[str, ...]]]] = field(default_factory=dict, hash=False)


CHATGPT, LECHAT, CLAUDE, GEMINI, COPILOT, LLAMA, DEEPL, WHISPER = (t["name"] for t in TOOLS)

OBSERVATIONS = [
    # --- Association Passerelle Emploi (insertion, Villeurbanne) -------------------------------------
    DemoObservation(
        key="P1",
        collective="passerelle",
        observer=LEA,
        days_ago=112,
        setting="meeting",
        title="Conseil d'administration : le compte rendu rédigé par ChatGPT",
        tools=(CHATGPT,),
        purposes=("writing", "summarising"),
        codes=("Rédaction", "Synthèse", "Souveraineté des données"),
        body="""Réunion du conseil d'administration, neuf administrateurs présents, dont deux salariées invitées. La secrétaire de l'association prend des notes sur son ordinateur puis, le soir même, colle ses notes brutes dans ChatGPT avec la consigne « rédige un compte rendu formel de CA ».

Le texte obtenu est relu en dix minutes et envoyé le lendemain matin, alors qu'il fallait auparavant *une semaine* pour obtenir le compte rendu. Le président trouve le résultat « plus propre que ce qu'on faisait », mais une administratrice remarque qu'une décision sur le budget formation a été reformulée de façon plus affirmative que ce qui avait été voté.

La secrétaire corrige le passage à la main. Personne n'a demandé aux participants s'ils acceptaient que leurs propos soient transmis à un service américain.""",
        excerpts={
            "lea": [
                ("colle ses notes brutes dans ChatGPT avec la consigne « rédige un compte rendu formel de CA »", ("Rédaction",)),
                ("alors qu'il fallait auparavant une semaine pour obtenir le compte rendu", ("Gain de temps",)),
                ("une décision sur le budget formation a été reformulée de façon plus affirmative que ce qui avait été voté", ("Fiabilité",)),
                ("Personne n'a demandé aux participants s'ils acceptaient que leurs propos soient transmis à un service américain", ("Souveraineté des données",)),
            ],
            "camille": [
                ("colle ses notes brutes dans ChatGPT", ("Rédaction", "Synthèse")),
                ("Le texte obtenu est relu en dix minutes et envoyé le lendemain matin, alors qu'il fallait auparavant une semaine", ("Gain de temps",)),
                ("une décision sur le budget formation a été reformulée de façon plus affirmative", ("Fiabilité",)),
                ("Personne n'a demandé aux participants s'ils acceptaient que leurs propos soient transmis à un service américain", ("Souveraineté des données",)),
            ],
        },
    ),
    DemoObservation(
        key="P2",
        collective="passerelle",
        observer=CAMILLE,
        days_ago=98,
        setting="training",
        title="Atelier CV avec les salariés en parcours d'insertion",
        tools=(CHATGPT,),
        purposes=("writing",),
        codes=("Rédaction", "Fiabilité", "Refus"),
        body="""Atelier hebdomadaire de recherche d'emploi animé par la conseillère en insertion professionnelle. Elle montre à six salariés en parcours comment demander à ChatGPT de reformuler une expérience de travail en compétences.

Deux participants qui maîtrisent mal l'écrit sont très enthousiastes : « là, ça fait sérieux ». Un troisième refuse de donner son parcours à la machine et préfère travailler sur papier avec la conseillère.

La conseillère insiste pour que chacun relise et retire ce qui n'est pas vrai : l'outil avait ajouté à un CV une « maîtrise du pack Office » que la personne n'a pas.""",
        excerpts={
            "lea": [
                ("comment demander à ChatGPT de reformuler une expérience de travail en compétences", ("Rédaction",)),
                ("Un troisième refuse de donner son parcours à la machine", ("Refus",)),
                ("l'outil avait ajouté à un CV une « maîtrise du pack Office » que la personne n'a pas", ("Fiabilité",)),
            ],
            "camille": [
                ("reformuler une expérience de travail en compétences", ("Rédaction",)),
                ("Deux participants qui maîtrisent mal l'écrit sont très enthousiastes", ("Qualité",)),
                ("Un troisième refuse de donner son parcours à la machine et préfère travailler sur papier avec la conseillère", ("Refus",)),
                ("l'outil avait ajouté à un CV une « maîtrise du pack Office »", ("Fiabilité",)),
            ],
        },
    ),
    DemoObservation(
        key="P3",
        collective="passerelle",
        observer=LEA,
        days_ago=85,
        setting="interview",
        title="Les encadrants techniques et la peur d'être remplacés",
        tools=(CHATGPT,),
        codes=("Emploi",),
        body="""Entretien informel avec deux encadrants techniques du chantier d'insertion (espaces verts), pendant la pause. Ils ont entendu dire que la direction « teste l'IA » pour les plannings et les bilans de parcours.

L'un dit : « si une machine écrit les bilans, à quoi on sert, nous ? ». L'autre nuance : les bilans sont la partie du métier qu'il aime le moins, et il serait content d'y passer moins de temps s'il garde la main sur le contenu.

Aucun des deux n'a jamais utilisé ChatGPT lui-même. Ils demandent que la question soit mise à l'ordre du jour du prochain CSE.""",
        excerpts={
            "lea": [
                ("« si une machine écrit les bilans, à quoi on sert, nous ? »", ("Emploi",)),
                ("il serait content d'y passer moins de temps s'il garde la main sur le contenu", ("Gain de temps",)),
            ],
            "camille": [
                ("si une machine écrit les bilans, à quoi on sert, nous ?", ("Emploi",)),
                ("les bilans sont la partie du métier qu'il aime le moins, et il serait content d'y passer moins de temps", ("Emploi",)),
                ("Aucun des deux n'a jamais utilisé ChatGPT lui-même", ("Refus",)),
            ],
        },
    ),
    DemoObservation(
        key="P4",
        collective="passerelle",
        observer=CAMILLE,
        days_ago=70,
        setting="daily_work",
        title="Demande de subvention FSE préparée avec Le Chat",
        tools=(LECHAT,),
        purposes=("writing", "admin"),
        codes=("Rédaction", "Gain de temps", "Qualité"),
        body="""La directrice prépare un dossier de demande de subvention au **Fonds social européen**. Elle utilise Le Chat de Mistral « parce que c'est français » pour produire une première version des parties « contexte » et « indicateurs ».

Elle estime avoir gagné une journée de travail sur un dossier qui en demande habituellement quatre. Elle réécrit cependant entièrement la partie sur le public accompagné : le texte généré parlait de « bénéficiaires éloignés de l'emploi » avec un ton qu'elle juge stigmatisant.

Elle ne saisit aucune donnée nominative, seulement des chiffres agrégés.""",
    ),
    DemoObservation(
        key="P5",
        collective="passerelle",
        observer=LEA,
        days_ago=40,
        setting="meeting",
        title="Bilans de parcours : l'essai de Copilot est arrêté",
        tools=(COPILOT,),
        purposes=("writing", "admin"),
        codes=("Refus", "Qualité", "Souveraineté des données"),
        body="""Réunion d'équipe des conseillères en insertion. La direction avait proposé d'essayer Copilot, inclus dans l'abonnement Microsoft 365 de l'association, pour rédiger les bilans de fin de parcours à partir des notes d'entretien.

Après trois semaines, l'équipe décide d'arrêter : il fallait anonymiser chaque note avant de la coller, ce qui prenait presque autant de temps que la rédaction. Une conseillère explique aussi que les bilans générés « se ressemblent tous » et effacent ce qui est propre à chaque personne.

La direction accepte l'arrêt et garde l'outil pour les courriels administratifs.""",
        excerpts={
            "lea": [
                ("il fallait anonymiser chaque note avant de la coller, ce qui prenait presque autant de temps que la rédaction", ("Souveraineté des données",)),
                ("les bilans générés « se ressemblent tous » et effacent ce qui est propre à chaque personne", ("Qualité",)),
                ("Après trois semaines, l'équipe décide d'arrêter", ("Refus",)),
            ],
            "camille": [
                ("il fallait anonymiser chaque note avant de la coller, ce qui prenait presque autant de temps que la rédaction", ("Gain de temps",)),
                ("les bilans générés « se ressemblent tous »", ("Qualité",)),
                ("l'équipe décide d'arrêter", ("Refus",)),
                ("garde l'outil pour les courriels administratifs", ("Rédaction",)),
            ],
        },
    ),
    DemoObservation(
        key="P6",
        collective="passerelle",
        observer=CAMILLE,
        days_ago=28,
        setting="daily_work",
        title="Un article du Code du travail qui n'existe pas",
        tools=(CHATGPT,),
        purposes=("search",),
        codes=("Fiabilité",),
        body="""Le président de l'association a demandé à ChatGPT quelles étaient les obligations d'une association employeuse en matière de mutuelle d'entreprise pour les contrats aidés. La réponse cite un article du Code du travail qui n'existe pas.

La comptable, qui connaît le sujet, s'en aperçoit en cherchant l'article sur Légifrance. Depuis, elle a affiché au-dessus de son bureau : **« ChatGPT n'est pas un juriste »**.

Le président continue à s'en servir « pour débroussailler », mais vérifie désormais les références.""",
    ),
    DemoObservation(
        key="P7",
        collective="passerelle",
        observer=AMINATA,
        days_ago=14,
        setting="training",
        title="Formation « IA et insertion » de la fédération régionale",
        tools=(CHATGPT, LECHAT),
        purposes=("ideation", "writing"),
        codes=("Apprentissage entre pairs", "Emploi"),
        body="""Demi-journée de formation organisée par la fédération régionale des structures d'insertion, à laquelle participent quatre salariés de l'association. Le formateur compare ChatGPT et Le Chat sur la rédaction d'une offre d'emploi.

Les participants apprécient surtout les exercices pratiques ; une conseillère dit avoir enfin compris « ce qu'il ne faut pas mettre dedans ».

La question de l'emploi des salariés en parcours, dont certains occupent des postes administratifs, n'est pas abordée par le formateur mais revient dans les discussions à la pause.""",
    ),
    DemoObservation(
        key="P8",
        collective="passerelle",
        observer=LEA,
        days_ago=6,
        setting="daily_work",
        title="Un quiz d'accueil créé par une salariée en parcours",
        tools=(CLAUDE,),
        purposes=("ideation", "communication"),
        codes=("Détournement", "Qualité"),
        publishable=True,
        body="""Une salariée en parcours, en poste d'agent administratif, a créé avec Claude un petit quiz d'accueil sur le règlement intérieur. Elle l'a fait de sa propre initiative, sur son téléphone, après avoir vu une vidéo sur les réseaux sociaux.

Sa tutrice découvre le quiz en réunion et le trouve « vraiment bien fait » ; il sera imprimé pour la prochaine session d'accueil. La salariée dit qu'elle n'aurait « jamais osé » proposer un document écrit avant.""",
    ),
    # --- SCOP Le Panier Vaudais (alimentation, Vaulx-en-Velin) ------------------------------------------
    DemoObservation(
        key="V1",
        collective="panier",
        observer=CAMILLE,
        days_ago=118,
        setting="daily_work",
        title="Les fiches recettes du site réécrites avec ChatGPT",
        tools=(CHATGPT,),
        purposes=("writing", "communication"),
        codes=("Rédaction", "Gain de temps"),
        body="""Le cuisinier-associé chargé de la communication réécrit les fiches recettes du site internet avec ChatGPT. Il donne la liste des ingrédients et demande « un texte chaleureux de 80 mots ».

Il trouve le résultat « un peu trop marketing » et retire systématiquement les adjectifs comme *savoureux* ou *authentique*. Il estime gagner une heure par semaine.

Les autres associés n'étaient pas au courant et découvrent la pratique pendant l'observation.""",
    ),
    DemoObservation(
        key="V2",
        collective="panier",
        observer=LEA,
        days_ago=104,
        setting="meeting",
        title="Réunion des associés : « nos données partent aux États-Unis »",
        tools=(CHATGPT, LECHAT),
        codes=("Souveraineté des données",),
        publishable=True,
        body="""Réunion mensuelle des sept associés de la SCOP. Un point « outils numériques » a été ajouté à l'ordre du jour après la découverte des fiches recettes rédigées avec ChatGPT.

Une associée rappelle que les fichiers clients et les allergies déclarées par les clients de la cantine ne doivent pas sortir de l'entreprise. Le débat porte vite sur la souveraineté :

> « nos données partent aux États-Unis, et on ne sait pas ce qu'ils en font »

Un associé propose Le Chat de Mistral, hébergé en Europe, comme compromis. La décision est reportée : les associés demandent d'abord une charte d'usage écrite, à voter à la prochaine réunion.""",
        excerpts={
            "lea": [
                ("les fichiers clients et les allergies déclarées par les clients de la cantine ne doivent pas sortir de l'entreprise", ("Souveraineté des données",)),
                ("« nos données partent aux États-Unis, et on ne sait pas ce qu'ils en font »", ("Souveraineté des données",)),
            ],
            "camille": [
                ("Un point « outils numériques » a été ajouté à l'ordre du jour après la découverte des fiches recettes rédigées avec ChatGPT", ("Rédaction",)),
                ("nos données partent aux États-Unis, et on ne sait pas ce qu'ils en font", ("Souveraineté des données",)),
                ("Un associé propose Le Chat de Mistral, hébergé en Europe, comme compromis", ("Souveraineté des données",)),
            ],
        },
    ),
    DemoObservation(
        key="V3",
        collective="panier",
        observer=LEA,
        days_ago=74,
        setting="meeting",
        title="La charte d'usage de l'IA est votée",
        tools=(LECHAT,),
        purposes=("admin",),
        codes=("Apprentissage entre pairs", "Souveraineté des données", "Refus"),
        body="""La charte d'usage de l'IA générative est votée à l'unanimité moins une abstention. Elle tient sur une page :

- pas de données clients ni de données de santé dans un outil en ligne ;
- Le Chat comme outil par défaut, ChatGPT toléré pour les textes publics ;
- un point d'étape dans six mois.

L'associé qui s'abstient explique qu'il « ne veut pas de ces outils du tout » mais ne veut pas bloquer les autres. La charte a été rédigée à la main, sans IA, « par principe ».""",
    ),
    DemoObservation(
        key="V4",
        collective="panier",
        observer=HUGO,
        days_ago=60,
        setting="daily_work",
        title="Le coût de revient d'un nouveau plat, calcul faux",
        tools=(LECHAT,),
        purposes=("admin",),
        codes=("Fiabilité",),
        body="""La gérante utilise Le Chat pour construire un tableau de coût de revient d'un nouveau plat du traiteur. Elle colle les prix fournisseurs et demande le coût par portion.

Le calcul est faux d'environ 15 % : l'outil a oublié le coût de l'énergie qu'elle avait pourtant mentionné dans sa question. Elle refait le calcul sur son tableur et conclut : « pour les chiffres, je reste sur mon tableur ». Elle garde l'outil pour formuler les mails aux fournisseurs.""",
    ),
    DemoObservation(
        key="V5",
        collective="panier",
        observer=CAMILLE,
        days_ago=45,
        setting="daily_work",
        title="Les menus de la cantine traduits avec DeepL",
        tools=(DEEPL,),
        purposes=("translating",),
        codes=("Traduction",),
        body="""Un salarié traduit les menus de la semaine en anglais et en espagnol avec DeepL pour les salariés étrangers de la zone d'activité. Il relit l'anglais lui-même ; pour l'espagnol, il demande de temps en temps à une cliente hispanophone de vérifier.

La traduction de « quenelle » reste un sujet de plaisanterie. L'usage est antérieur au débat sur l'IA et n'est pas perçu comme de « l'IA » par l'équipe.""",
    ),
    DemoObservation(
        key="V6",
        collective="panier",
        observer=LEA,
        days_ago=20,
        setting="interview",
        title="L'associé qui a arrêté ChatGPT",
        tools=(CHATGPT,),
        purposes=("writing",),
        codes=("Refus", "Qualité"),
        body="""Entretien avec l'associé qui s'était abstenu lors du vote de la charte. Il a utilisé ChatGPT pendant deux mois l'an dernier pour écrire les posts de la page Facebook, puis a arrêté.

Il explique que les textes « ne sonnaient pas comme nous » et que des clients habitués le lui ont fait remarquer. Il évoque aussi la consommation d'énergie des centres de données, qu'il juge incompatible avec le projet écologique de la SCOP.

Il ne demande pas que les autres arrêtent, mais souhaite que la question soit rediscutée au bilan de la charte.""",
        excerpts={
            "lea": [
                ("Il a utilisé ChatGPT pendant deux mois l'an dernier pour écrire les posts de la page Facebook, puis a arrêté", ("Refus",)),
                ("les textes « ne sonnaient pas comme nous »", ("Qualité",)),
                ("la consommation d'énergie des centres de données", ("Refus",)),
            ],
            "camille": [
                ("pour écrire les posts de la page Facebook", ("Rédaction",)),
                ("puis a arrêté", ("Refus",)),
                ("les textes « ne sonnaient pas comme nous » et que des clients habitués le lui ont fait remarquer", ("Qualité",)),
            ],
        },
    ),
    DemoObservation(
        key="V7",
        collective="panier",
        observer=CAMILLE,
        days_ago=9,
        setting="daily_work",
        title="Réponse à un appel d'offres de restauration scolaire",
        tools=(LECHAT,),
        purposes=("summarising", "writing"),
        codes=("Synthèse", "Gain de temps"),
        body="""La SCOP répond à un appel d'offres d'une commune pour la restauration scolaire. La gérante demande à Le Chat de résumer le cahier des clauses techniques de quarante pages et d'en extraire les critères de notation.

Le résumé est jugé fiable ; elle vérifie tout de même les critères un par un dans le document. Elle estime avoir économisé une demi-journée.

Pour la note méthodologique, elle écrit elle-même : « c'est là qu'on se distingue, pas question que ça ressemble aux autres ».""",
    ),
    # --- Tiers-lieu La Mezzanine (numérique solidaire, Croix-Rousse) ------------------------------------
    DemoObservation(
        key="M1",
        collective="mezzanine",
        observer=HUGO,
        days_ago=115,
        setting="daily_work",
        title="Un Llama sur un serveur de récupération",
        tools=(LLAMA,),
        purposes=("coding",),
        codes=("Détournement", "Souveraineté des données"),
        publishable=True,
        body="""Deux bénévoles du tiers-lieu ont installé un modèle Llama 3 sur un ancien serveur récupéré auprès d'une entreprise qui renouvelait son parc. La machine, sans carte graphique, répond lentement : environ une phrase toutes les cinq secondes.

L'objectif affiché est de « montrer qu'on peut faire sans les GAFAM ». Pour l'instant, seuls les bénévoles du fablab s'en servent, surtout pour écrire de petits scripts.

Une discussion porte sur la consommation électrique du serveur, qui tourne jour et nuit.""",
        excerpts={
            "lea": [
                ("ont installé un modèle Llama 3 sur un ancien serveur récupéré auprès d'une entreprise qui renouvelait son parc", ("Détournement",)),
                ("« montrer qu'on peut faire sans les GAFAM »", ("Souveraineté des données",)),
            ],
            "camille": [
                ("un ancien serveur récupéré", ("Détournement",)),
                ("répond lentement : environ une phrase toutes les cinq secondes", ("Fiabilité",)),
                ("montrer qu'on peut faire sans les GAFAM", ("Souveraineté des données",)),
            ],
        },
    ),
    DemoObservation(
        key="M2",
        collective="mezzanine",
        observer=AMINATA,
        days_ago=96,
        setting="training",
        title="Atelier « Démystifier l'IA » pour les habitants",
        tools=(CHATGPT, LLAMA),
        purposes=("ideation",),
        codes=("Apprentissage entre pairs", "Fiabilité"),
        body="""Atelier public du jeudi soir, quatorze participants, surtout des retraités et des parents du quartier. L'animatrice compare les réponses de ChatGPT et du Llama du tiers-lieu à la même question sur l'histoire des canuts.

Le public rit beaucoup des erreurs du modèle local, qui invente un « Musée de la Soie de la Croix-Rousse ». Une participante demande si « l'ordinateur comprend vraiment ».

L'animatrice insiste sur le fait que les deux outils produisent du texte *plausible*, pas du texte *vrai*.""",
    ),
    DemoObservation(
        key="M3",
        collective="mezzanine",
        observer=LEA,
        days_ago=80,
        setting="daily_work",
        title="Permanence d'entraide numérique : un courrier à la CAF",
        tools=(CHATGPT,),
        purposes=("admin", "writing"),
        codes=("Rédaction", "Apprentissage entre pairs", "Souveraineté des données"),
        body="""Permanence d'entraide numérique. Un médiateur aide une habitante à écrire un courrier de contestation à la CAF. Il utilise ChatGPT pour produire un premier jet, mais sans saisir le nom ni le numéro d'allocataire, qu'il ajoute ensuite dans le traitement de texte.

L'habitante relit et demande de retirer une phrase qu'elle trouve « trop agressive ». Le médiateur explique qu'il a appris cette façon de faire d'une collègue d'un autre tiers-lieu, lors d'une rencontre du réseau.""",
    ),
    DemoObservation(
        key="M4",
        collective="mezzanine",
        observer=HUGO,
        days_ago=50,
        setting="daily_work",
        title="Le serveur tombe en panne",
        tools=(LLAMA, CHATGPT),
        purposes=("coding",),
        codes=("Dépendance", "Souveraineté des données"),
        body="""Le serveur qui héberge le Llama du tiers-lieu a cessé de fonctionner après une coupure de courant ; le disque système est endommagé. Les bénévoles le réinstallent en un week-end, en documentant cette fois la procédure sur le wiki du fablab.

Pendant la panne, plusieurs habitués sont revenus à ChatGPT « en attendant », et certains n'en sont pas repartis. Un bénévole résume : « l'auto-hébergement, c'est de la souveraineté, mais c'est aussi du travail gratuit ».""",
        excerpts={
            "lea": [
                ("en documentant cette fois la procédure sur le wiki du fablab", ("Apprentissage entre pairs",)),
                ("plusieurs habitués sont revenus à ChatGPT « en attendant », et certains n'en sont pas repartis", ("Dépendance",)),
                ("« l'auto-hébergement, c'est de la souveraineté, mais c'est aussi du travail gratuit »", ("Souveraineté des données", "Emploi")),
            ],
            "camille": [
                ("documentant cette fois la procédure sur le wiki du fablab", ("Apprentissage entre pairs",)),
                ("plusieurs habitués sont revenus à ChatGPT", ("Dépendance",)),
                ("l'auto-hébergement, c'est de la souveraineté", ("Souveraineté des données",)),
            ],
        },
    ),
    DemoObservation(
        key="M5",
        collective="mezzanine",
        observer=CAMILLE,
        days_ago=35,
        setting="daily_work",
        title="Les podcasts du quartier transcrits avec Whisper",
        tools=(WHISPER,),
        purposes=("communication",),
        codes=("Souveraineté des données", "Gain de temps"),
        publishable=True,
        body="""L'équipe du podcast de quartier transcrit ses épisodes avec Whisper, installé sur l'ordinateur du studio. La transcription d'un épisode de quarante minutes prend une heure, sans envoyer l'audio sur internet.

Les noms propres et les mots d'arabe dialectal sont souvent mal transcrits, et une bénévole corrige chaque transcription. Les transcriptions sont publiées sur le site pour les personnes sourdes et malentendantes, ce que l'équipe n'avait jamais eu le temps de faire à la main.""",
    ),
    DemoObservation(
        key="M6",
        collective="mezzanine",
        observer=LEA,
        days_ago=18,
        setting="meeting",
        title="Faut-il ouvrir le Llama à tous les adhérents ?",
        tools=(LLAMA,),
        codes=("Fiabilité", "Apprentissage entre pairs"),
        body="""Réunion du collège des usagers du tiers-lieu. La proposition est d'ouvrir l'accès au Llama à tous les adhérents, avec un compte.

Les bénévoles techniques craignent de ne pas pouvoir assurer le support et que le serveur ne suive pas. Une adhérente demande qui est responsable si le modèle donne une mauvaise information sur une démarche administrative.

Décision : ouverture progressive à vingt adhérents volontaires, avec une charte et un cahier de retours en papier.""",
    ),
    DemoObservation(
        key="M7",
        collective="mezzanine",
        observer=AMINATA,
        days_ago=4,
        setting="event",
        title="Une affiche générée pour la fête de quartier",
        tools=(CHATGPT,),
        purposes=("images", "communication"),
        codes=("Emploi", "Détournement"),
        body="""Préparation de la fête de quartier. Une bénévole génère trois propositions d'affiche avec ChatGPT. Le graphiste bénévole du tiers-lieu est vexé : il fait les affiches depuis cinq ans.

Après discussion, l'image générée sert de point de départ et il la redessine à sa manière. L'affiche finale mentionne « illustration : collectif », ce qui satisfait tout le monde.""",
    ),
    # --- SCIC Scènes Partagées (culture, Oullins) -------------------------------------------------------
    DemoObservation(
        key="S1",
        collective="scenes",
        observer=CAMILLE,
        days_ago=110,
        setting="meeting",
        title="Dossiers de résidence : le même texte pour tout le monde ?",
        tools=(CHATGPT,),
        purposes=("writing",),
        codes=("Rédaction", "Qualité"),
        body="""Comité de programmation de la SCIC. La chargée de production signale que, sur les trente dossiers de candidature à la résidence artistique, une dizaine ont des textes de présentation « étrangement semblables », probablement générés.

Le comité discute : faut-il pénaliser ces dossiers ? Une artiste associée rappelle que beaucoup de compagnies n'ont pas de chargé de diffusion et que l'outil leur évite d'être exclues pour un dossier mal écrit.

Le comité décide de ne pas pénaliser, mais d'ajouter un entretien oral pour les dossiers présélectionnés.""",
    ),
    DemoObservation(
        key="S2",
        collective="scenes",
        observer=HUGO,
        days_ago=88,
        setting="event",
        title="Surtitres anglais pour la tournée au Benelux",
        tools=(WHISPER, DEEPL),
        purposes=("translating",),
        codes=("Traduction", "Emploi"),
        body="""Pour une tournée en Belgique et aux Pays-Bas, la régisseuse prépare des surtitres en anglais. Elle transcrit la captation avec Whisper puis traduit avec DeepL.

Le metteur en scène relit tout et réécrit les jeux de mots, que la traduction automatique aplatit. Le travail qui aurait coûté environ 1 500 euros à un traducteur professionnel est fait en interne, en deux jours.

La régisseuse se demande si c'est « juste » vis-à-vis des traducteurs, qui pourraient aussi être sociétaires de la SCIC.""",
        excerpts={
            "lea": [
                ("Elle transcrit la captation avec Whisper puis traduit avec DeepL", ("Traduction",)),
                ("réécrit les jeux de mots, que la traduction automatique aplatit", ("Qualité",)),
                ("Le travail qui aurait coûté environ 1 500 euros à un traducteur professionnel est fait en interne, en deux jours", ("Emploi",)),
            ],
            "camille": [
                ("traduit avec DeepL", ("Traduction",)),
                ("Le travail qui aurait coûté environ 1 500 euros à un traducteur professionnel est fait en interne", ("Gain de temps",)),
                ("si c'est « juste » vis-à-vis des traducteurs", ("Emploi",)),
            ],
        },
    ),
    DemoObservation(
        key="S3",
        collective="scenes",
        observer=LEA,
        days_ago=66,
        setting="daily_work",
        title="La newsletter et le « prompt maison »",
        tools=(CLAUDE,),
        purposes=("writing", "communication"),
        codes=("Rédaction", "Dépendance", "Apprentissage entre pairs"),
        body="""La chargée de communication rédige la newsletter avec Claude à partir de la liste des événements du mois. Elle a construit un long « prompt maison » qui décrit le ton de la SCIC et qu'elle partage avec ses collègues dans un document commun. Les collègues l'utilisent pour leurs propres courriels.

Elle dit qu'elle « ne saurait plus faire sans » et s'inquiète de ce qui arriverait si l'outil devenait payant.""",
        excerpts={
            "lea": [
                ("Elle a construit un long « prompt maison » qui décrit le ton de la SCIC et qu'elle partage avec ses collègues", ("Apprentissage entre pairs",)),
                ("« ne saurait plus faire sans »", ("Dépendance",)),
                ("s'inquiète de ce qui arriverait si l'outil devenait payant", ("Dépendance",)),
            ],
            "camille": [
                ("La chargée de communication rédige la newsletter avec Claude", ("Rédaction",)),
                ("qu'elle partage avec ses collègues dans un document commun", ("Apprentissage entre pairs",)),
                ("« ne saurait plus faire sans » et s'inquiète de ce qui arriverait si l'outil devenait payant", ("Dépendance",)),
            ],
        },
    ),
    DemoObservation(
        key="S4",
        collective="scenes",
        observer=CAMILLE,
        days_ago=48,
        setting="meeting",
        title="Pas d'images générées dans les supports de la SCIC",
        tools=(GEMINI,),
        purposes=("images",),
        codes=("Refus", "Emploi"),
        body="""Réunion du conseil coopératif. Un sociétaire, artiste plasticien, proteste contre l'usage d'images générées par Gemini dans la dernière plaquette de saison. Il rappelle que ces modèles ont été entraînés sur des œuvres sans l'accord de leurs auteurs. La direction reconnaît ne pas y avoir pensé.

Le conseil décide qu'aucune image générée ne sera utilisée dans les supports de la SCIC, mais l'usage de l'IA pour le texte n'est pas remis en cause. Deux sociétaires trouvent cette différence de traitement incohérente.""",
    ),
    DemoObservation(
        key="S5",
        collective="scenes",
        observer=AMINATA,
        days_ago=33,
        setting="daily_work",
        title="Comptabilité analytique avec Copilot dans Excel",
        tools=(COPILOT,),
        purposes=("admin",),
        codes=("Fiabilité",),
        body="""La comptable de la SCIC teste Copilot dans Excel pour ventiler les dépenses par spectacle. Les formules proposées sont correctes dans la plupart des cas, mais une formule de recherche renvoie des valeurs décalées d'une ligne, sans message d'erreur.

Elle s'en rend compte en comparant les totaux. Elle conclut que l'outil est utile « si on sait déjà faire », et ne le recommande pas à la stagiaire.""",
    ),
    DemoObservation(
        key="S6",
        collective="scenes",
        observer=LEA,
        days_ago=16,
        setting="interview",
        title="Entretien collectif : la part de l'IA dans le temps de travail",
        tools=(CHATGPT, CLAUDE),
        purposes=("writing", "summarising"),
        codes=("Gain de temps", "Emploi"),
        body="""Entretien collectif avec l'équipe permanente (cinq personnes). Chacun estime le temps hebdomadaire passé avec un outil d'IA générative : de zéro pour le régisseur à « deux à trois heures » pour la chargée de communication.

Tout le monde s'accorde sur le gain de temps pour les tâches rédactionnelles. En revanche, personne ne sait dire à quoi le temps gagné a servi : « on a juste fait plus de choses ».

La directrice s'interroge sur l'intensification du travail que cela masque.""",
        excerpts={
            "lea": [
                ("Tout le monde s'accorde sur le gain de temps pour les tâches rédactionnelles", ("Gain de temps",)),
                ("« on a juste fait plus de choses »", ("Emploi",)),
                ("l'intensification du travail que cela masque", ("Emploi",)),
            ],
            "camille": [
                ("le gain de temps pour les tâches rédactionnelles", ("Gain de temps", "Rédaction")),
                ("personne ne sait dire à quoi le temps gagné a servi : « on a juste fait plus de choses »", ("Gain de temps",)),
                ("La directrice s'interroge sur l'intensification du travail que cela masque", ("Emploi",)),
            ],
        },
    ),
    DemoObservation(
        key="S7",
        collective="scenes",
        observer=CAMILLE,
        days_ago=3,
        setting="online",
        title="L'appel à bénévoles du festival écrit à plusieurs",
        tools=(LECHAT,),
        purposes=("writing", "ideation"),
        codes=("Idéation", "Apprentissage entre pairs"),
        publishable=True,
        body="""Sur le canal de discussion en ligne de la SCIC, trois bénévoles préparent l'appel à bénévoles du festival. L'une propose un texte généré avec Le Chat ; les deux autres le modifient directement dans le document partagé.

La version finale garde la structure proposée par l'outil mais aucune phrase d'origine. Une bénévole commente : « la machine nous a donné le squelette, on a mis la chair ».""",
    ),
    # --- Mutuelle Solidaire du Rhône (santé, Vénissieux) — consent withdrawn ---------------------------
    DemoObservation(
        key="U1",
        collective="mutuelle",
        observer=CAMILLE,
        days_ago=108,
        setting="daily_work",
        title="Des réponses types aux adhérents préparées avec Copilot",
        tools=(COPILOT,),
        purposes=("writing", "communication"),
        codes=("Rédaction", "Qualité"),
        body="""Au service adhérents de l'agence, deux conseillers utilisent Copilot pour préparer des réponses types aux questions fréquentes sur les remboursements d'optique. Les réponses sont relues par la responsable qualité avant d'entrer dans la base de connaissances.

Aucune donnée d'adhérent n'est saisie. La responsable estime que les réponses sont « plus claires que nos anciens modèles ».""",
    ),
    DemoObservation(
        key="U2",
        collective="mutuelle",
        observer=LEA,
        days_ago=90,
        setting="meeting",
        title="Le délégué à la protection des données s'inquiète",
        tools=(COPILOT, CHATGPT),
        codes=("Souveraineté des données",),
        body="""Réunion de service avec le délégué à la protection des données du groupe mutualiste. Il rappelle que toute donnée de santé saisie dans un outil non autorisé constitue une violation potentielle.

Il a constaté qu'un conseiller avait collé dans ChatGPT un échange de courriels avec un adhérent contenant un diagnostic. L'usage de ChatGPT est interdit sur les postes de l'agence à compter de la semaine suivante ; Copilot reste autorisé dans le cadre du contrat du groupe.""",
    ),
    DemoObservation(
        key="U3",
        collective="mutuelle",
        observer=HUGO,
        days_ago=62,
        setting="daily_work",
        title="Synthèse des réclamations du trimestre",
        tools=(COPILOT,),
        purposes=("summarising",),
        codes=("Synthèse", "Gain de temps", "Fiabilité"),
        body="""La responsable qualité fait résumer par Copilot les trois cents réclamations du trimestre, préalablement exportées sans nom ni numéro d'adhérent. Elle obtient un classement par thème en quelques minutes, contre deux jours de lecture habituellement.

Elle vérifie sur un échantillon de vingt réclamations et trouve deux erreurs de classement. Le rapport trimestriel mentionne pour la première fois l'usage d'un outil d'IA.""",
    ),
    DemoObservation(
        key="U4",
        collective="mutuelle",
        observer=CAMILLE,
        days_ago=38,
        setting="meeting",
        title="Les élus mutualistes demandent un moratoire",
        codes=("Refus", "Emploi"),
        body="""Assemblée de section locale des adhérents. Plusieurs élus mutualistes demandent un moratoire sur l'IA générative au service adhérents, au nom de la relation humaine qui fait la différence entre une mutuelle et une assurance.

La direction répond qu'aucune réponse n'est envoyée sans relecture humaine. Le débat est vif ; une motion est renvoyée au conseil d'administration du groupe.""",
    ),
    # --- Collectif des locataires des Vernes (habitat, Givors) -------------------------------------------
    DemoObservation(
        key="H1",
        collective="habitat",
        observer=LEA,
        days_ago=116,
        setting="daily_work",
        title="Un bénévole traduit le flyer avec DeepL",
        tools=(DEEPL,),
        purposes=("translating", "communication"),
        codes=("Traduction", "Apprentissage entre pairs"),
        publishable=True,
        body="""Le collectif de locataires prépare un flyer pour la réunion publique sur la rénovation des logements. Un bénévole retraité traduit le texte en arabe, en turc et en portugais avec DeepL, sur l'ordinateur de la maison de quartier.

Il ne lit aucune de ces langues et demande à des voisins de vérifier : la version turque est jugée bonne, la version arabe « trop littéraire ». Une voisine réécrit l'arabe à la main.

Le flyer est distribué dans les boîtes aux lettres des quatre tours.""",
    ),
    DemoObservation(
        key="H2",
        collective="habitat",
        observer=CAMILLE,
        days_ago=100,
        setting="meeting",
        title="Un courrier au bailleur écrit en réunion",
        tools=(CHATGPT,),
        purposes=("writing",),
        codes=("Rédaction", "Refus"),
        body="""Réunion du collectif dans le local associatif, une douzaine d'habitants. Il s'agit d'écrire au bailleur social au sujet des infiltrations d'eau. Une jeune habitante propose d'utiliser ChatGPT sur son téléphone et lit la proposition à voix haute.

Le groupe garde la structure mais rajoute des exemples précis, appartement par appartement. Un habitant âgé dit qu'il « préfère une lettre écrite par nous, avec nos fautes » ; le groupe vote et envoie la version retravaillée, signée de tous.""",
        excerpts={
            "lea": [
                ("Une jeune habitante propose d'utiliser ChatGPT sur son téléphone et lit la proposition à voix haute", ("Rédaction",)),
                ("Le groupe garde la structure mais rajoute des exemples précis", ("Détournement",)),
                ("il « préfère une lettre écrite par nous, avec nos fautes »", ("Refus",)),
            ],
            "camille": [
                ("propose d'utiliser ChatGPT sur son téléphone", ("Rédaction",)),
                ("Le groupe garde la structure mais rajoute des exemples précis, appartement par appartement", ("Apprentissage entre pairs",)),
                ("« préfère une lettre écrite par nous, avec nos fautes »", ("Refus",)),
            ],
        },
    ),
    DemoObservation(
        key="H3",
        collective="habitat",
        observer=AMINATA,
        days_ago=77,
        setting="meeting",
        title="Comprendre le diagnostic énergétique du bailleur",
        tools=(LECHAT,),
        purposes=("summarising", "search"),
        codes=("Synthèse", "Fiabilité"),
        body="""Le bailleur a envoyé un diagnostic énergétique de soixante pages. Deux membres du collectif demandent à Le Chat de le résumer et d'expliquer les termes techniques ; le résumé leur permet de préparer des questions pour la réunion avec le bailleur.

Lors de la réunion, l'ingénieur du bailleur confirme la plupart des points, mais corrige une confusion entre isolation par l'extérieur et isolation des combles. Les habitants disent s'être sentis « moins bêtes » face aux techniciens.""",
    ),
    DemoObservation(
        key="H4",
        collective="habitat",
        observer=HUGO,
        days_ago=58,
        setting="online",
        title="Groupe WhatsApp : une rumeur sur les loyers",
        tools=(CHATGPT,),
        purposes=("search",),
        codes=("Fiabilité",),
        body="""Sur le groupe WhatsApp du collectif, un membre partage une capture d'écran d'une réponse de ChatGPT affirmant que les loyers seront augmentés de 30 % après les travaux. L'information provoque une vague d'inquiétude.

Une animatrice du collectif rappelle que l'outil ne connaît pas le dossier et renvoie vers le compte rendu officiel, qui prévoit une hausse plafonnée. Le message est supprimé par son auteur le lendemain.""",
    ),
    DemoObservation(
        key="H5",
        collective="habitat",
        observer=LEA,
        days_ago=42,
        setting="interview",
        title="« Pas contre, mais pas concernée »",
        codes=("Refus",),
        body="""Entretien avec une habitante, membre active du collectif depuis dix ans. Elle n'a pas d'ordinateur et se sert de son téléphone uniquement pour appeler et pour WhatsApp. Elle entend parler de l'IA par les jeunes du collectif et se dit « pas contre, mais pas concernée ».

Elle remarque que les courriers sont mieux écrits depuis quelques mois, mais qu'elle les comprend moins bien : « avant, on écrivait comme on parle ». Elle tient à ce que les décisions continuent à se prendre en réunion, pas « dans les téléphones ».""",
    ),
    DemoObservation(
        key="H6",
        collective="habitat",
        observer=CAMILLE,
        days_ago=24,
        setting="meeting",
        title="Préparer une prise de parole au conseil municipal",
        tools=(CLAUDE,),
        purposes=("writing", "ideation"),
        codes=("Idéation", "Apprentissage entre pairs"),
        body="""Trois membres du collectif préparent une intervention de trois minutes au conseil municipal. Ils demandent à Claude des arguments pour obtenir un relogement temporaire pendant les travaux.

L'outil propose une liste d'arguments juridiques ; le groupe en retient deux et écarte les autres, jugés « trop avocat ». La porte-parole réécrit le texte pour pouvoir le dire avec ses mots. Elle s'entraîne devant le groupe, qui chronomètre.""",
    ),
    DemoObservation(
        key="H7",
        collective="habitat",
        observer=LEA,
        days_ago=8,
        setting="meeting",
        title="Bilan de l'année : l'IA a-t-elle changé le collectif ?",
        tools=(CHATGPT, DEEPL, CLAUDE),
        codes=("Qualité", "Dépendance"),
        publishable=True,
        body="""Réunion de bilan de l'année du collectif. À la demande de l'équipe d'étude, un temps est consacré à l'IA.

Les plus jeunes estiment que les outils leur ont permis de « parler d'égal à égal » avec le bailleur. Les plus anciens constatent que ce sont toujours les mêmes, ceux qui ont un smartphone récent, qui rédigent désormais les courriers.

**Décision :** chaque courrier important sera relu à voix haute en réunion avant envoi, qu'il ait été écrit avec ou sans IA.""",
    ),
]

#: (author, target kind, target, body). Targets are a code name or an observation key.
MEMOS = [
    (
        CAMILLE,
        "code",
        "Souveraineté des données",
        "Le thème revient dans presque toutes les structures, mais sous deux formes : la **protection des "
        "personnes** (données de santé, allergies, parcours d'insertion) et la **dépendance aux acteurs "
        "américains**. À distinguer peut-être en deux sous-codes lors de la prochaine séance de codage.",
    ),
    (
        LEA,
        "code",
        "Refus",
        "Ne pas confondre le refus argumenté (écologie, authenticité, droits des auteurs) et le non-usage "
        "faute d'équipement (voir l'entretien « Pas contre, mais pas concernée »). Proposition : réserver "
        "*Refus* aux refus exprimés, et créer un code *Non-usage* si le cas se répète.",
    ),
    (
        LEA,
        "observation",
        "P1",
        "À rapprocher de la charte votée par la SCOP de Vaulx-en-Velin : ici, aucune règle n'encadre "
        "l'usage. Demander au président si le CA a été informé que ses échanges passaient par ChatGPT.",
    ),
    (
        CAMILLE,
        "observation",
        "H7",
        "Belle illustration de l'**inégalité d'accès** à l'intérieur d'un même collectif. Citation possible "
        "pour le rapport intermédiaire (consentement « citation » en place).",
    ),
]


def _users() -> dict[str, object]:
    emails = [LEA, CAMILLE, HUGO, AMINATA]
    users = {u.email: u for u in get_user_model().objects.filter(email__in=emails)}
    missing = sorted(set(emails) - set(users))
    if missing:
        raise ValueError(f"Demo people missing ({', '.join(missing)}): run commons.demo.build first.")
    return users


def ensure_tools() -> dict[str, AITool]:
    """The eight tools of the registry, created when missing (names are globally unique)."""
    tools = {}
    for spec in TOOLS:
        defaults = {k: v for k, v in spec.items() if k != "name"}
        tools[spec["name"]], _created = AITool.objects.get_or_create(name=spec["name"], defaults=defaults)
    return tools


def _ensure_study(bureau) -> StudyPage:
    study = StudyPage.objects.child_of(bureau).filter(slug=STUDY_SLUG).first()
    if study is None:
        study = StudyPage(
            title=STUDY_TITLE,
            slug=STUDY_SLUG,
            research_question=RESEARCH_QUESTION,
            context=CONTEXT,
            status=StudyStatus.FIELDWORK,
        )
        bureau.add_child(instance=study)
        study.save_revision().publish()
        study.refresh_from_db()
    return study


def _ensure_collectives(bureau) -> dict[str, Collective]:
    now = timezone.now()
    form, _created = ConsentForm.objects.get_or_create(
        bureau=bureau, title=CONSENT_TITLE, version=1, defaults={"text": CONSENT_TEXT}
    )
    collectives = {}
    for key, spec in COLLECTIVES.items():
        collective = Collective.objects.filter(bureau=bureau, name=spec["name"]).first()
        if collective is None:
            collective = Collective.objects.create(
                bureau=bureau,
                name=spec["name"],
                legal_form=spec["legal_form"],
                sector=spec["sector"],
                size_band=spec["size_band"],
                territory=spec["territory"],
            )
        if not collective.consents.exists():
            withdrawn = spec.get("withdrawn_days_ago")
            ConsentRecord.objects.create(
                form=form,
                collective=collective,
                scopes=list(spec["scopes"]),
                given_at=now - timedelta(days=125),
                withdrawn_at=now - timedelta(days=withdrawn) if withdrawn else None,
            )
        for pseudonym, role in spec["informants"]:
            Informant.objects.get_or_create(collective=collective, pseudonym=pseudonym, defaults={"role": role})
        collectives[key] = collective
    return collectives


def _ensure_codebook(study: StudyPage) -> dict[str, Code]:
    codes = {}
    for (name, colour, definition), children in CODEBOOK:
        family, _created = Code.objects.get_or_create(
            study=study, name=name, defaults={"colour": colour, "definition": definition}
        )
        codes[name] = family
        for child_name, child_colour, child_definition in children:
            codes[child_name], _created = Code.objects.get_or_create(
                study=study,
                name=child_name,
                defaults={"colour": child_colour, "definition": child_definition, "parent": family},
            )
    return codes


def _ensure_observation(study, spec, collectives, users, tools, codes) -> Observation:
    observation = Observation.objects.filter(study=study, title=spec.title).first()
    if observation is not None:
        return observation
    observation = Observation(
        study=study,
        observer=users[spec.observer],
        observed_on=timezone.localdate() - timedelta(days=spec.days_ago),
        collective=collectives[spec.collective],
        setting=spec.setting,
        purposes=list(spec.purposes),
        title=spec.title,
        body=spec.body,
        visibility=Visibility.PUBLISHABLE if spec.publishable else Visibility.TEAM,
    )
    observation.codes.set([codes[name] for name in spec.codes])
    observation.save()
    observation.ai_tools.set([tools[name] for name in spec.tools])
    return observation


def locate(plain: str, phrase: str) -> tuple[int, int]:
    """[start, end) of `phrase` in an observation's plain text; raises if it is not there."""
    start = plain.find(phrase)
    if start < 0:
        raise ValueError(f"Phrase not found in the observation: {phrase!r}")
    return start, start + len(phrase)


def _ensure_excerpts(observation, spec, users, codes) -> None:
    coders = {"lea": users[LEA], "camille": users[CAMILLE]}
    for coder_key, items in spec.excerpts.items():
        for phrase, code_names in items:
            start, end = locate(observation.plain_text, phrase)
            excerpt, created = Excerpt.objects.get_or_create(
                observation=observation,
                coder=coders[coder_key],
                start=start,
                end=end,
                defaults={"text": observation.plain_text[start:end]},
            )
            if created:
                excerpt.codes.set([codes[name] for name in code_names])


def _ensure_memos(study, observations, users, codes) -> None:
    for author, kind, target, body in MEMOS:
        lookup = {"code": codes[target]} if kind == "code" else {"observation": observations[target]}
        Memo.objects.get_or_create(study=study, author=users[author], **lookup, defaults={"body": body})


@transaction.atomic
def build(bureau) -> StudyPage:
    """Create (or complete) the demo study under `bureau` and return it."""
    users = _users()
    study = _ensure_study(bureau)
    tools = ensure_tools()
    collectives = _ensure_collectives(bureau)
    codes = _ensure_codebook(study)
    observations = {}
    for spec in OBSERVATIONS:
        observation = _ensure_observation(study, spec, collectives, users, tools, codes)
        observations[spec.key] = observation
        _ensure_excerpts(observation, spec, users, codes)
    _ensure_memos(study, observations, users, codes)
    # An imported REFI-QDA project (NVivo-style offsets): documents, imported codes and coders.
    from . import demo_refi

    demo_refi.build(study, users[CAMILLE])
    return study
