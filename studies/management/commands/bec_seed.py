"""Generate synthetic but plausible study data, fast, for load tests and benchmarks.

    manage.py bec_seed --observations 100000 [--study-slug S] [--seed 1] [--batch-size 5000] [--index]

What it creates (reusing whatever already exists, so it can be run again to add more):

- a study: `--study-slug` if given (created under the first bureau when missing), otherwise a
  dedicated « Étude de charge » under the first BureauPage — or under a new « Bureau de charge »
  when there is no bureau yet;
- about fifty collectives of the bureau, each with a current consent for every scope;
- the eight AI tools of the demo registry and about thirty codes in the demo's four families;
- N observations whose notes are assembled from French phrase banks (300–1,500 characters), with
  their AI tools, one to three whole-observation codes and one to three excerpts coded by two
  coders who agree most of the time (same or overlapping ranges, sometimes another code).

How it stays fast: everything is written with `bulk_create` in batches (one transaction per batch),
through-model rows included. `bulk_create` bypasses `Observation.save()`, so `plain_text` and
`body_html` are set here. The notes are plain paragraphs of sentences from the phrase banks, with
no Markdown syntax at all, so:

- the plain text is the note's paragraphs separated by a blank line, each on one line — what
  `commons.markup.plain_text` returns;
- the HTML is each paragraph in `<p>…</p>`, each sentence rendered once by
  `commons.markup.render_markdown` and cached (most sentences recur).

Rendering every note in full (what `MarkdownField.pre_save` does on `bulk_create`) took two thirds
of the run time, so during the seeding `pre_save` of `Observation.body` is switched off (and put back
afterwards). Both shortcuts are checked: the first rows of every batch are rendered in full and
compared, and the command stops if anything differs; the tests check the banks and the seeded rows.

Search: `bulk_create` sends no signals, so the seeded rows are not in the Wagtail search index
(searching the observation list will not find them). Pass `--index` to index each batch as it is
written (slower), or run `manage.py update_index` afterwards.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from commons.markup import plain_text, render_markdown
from participants.models import Collective, ConsentForm, ConsentRecord, ConsentScope
from participants.models.collectives import CODE_PATTERN

from ...demo import CODEBOOK, ensure_tools
from ...models import (
    Code,
    CodedObservation,
    Excerpt,
    Observation,
    ObservationPurpose,
    StudyPage,
    StudyStatus,
    Visibility,
)
from ...models.observations import purpose_rows

DEFAULT_SLUG = "etude-de-charge"
SEED_USER_PREFIX = "bec-seed-coder"
COLLECTIVE_COUNT = 50
MIN_CHARS, MAX_CHARS = 300, 1500
VERIFIED_PER_BATCH = 20

# --- The codebook: the demo's families and codes, plus thirteen more (30 in all). -------------------
EXTRA_CODES = {
    "Usages": ["Recherche d'information", "Images", "Programmation", "Administration"],
    "Appropriation": ["Formation", "Charte d'usage"],
    "Tensions": ["Écologie", "Droits d'auteur", "Données de santé", "Inégalités d'accès"],
    "Effets": ["Intensification du travail", "Autonomie", "Uniformisation des textes"],
}
EXTRA_COLOURS = [
    "#3d5a80",
    "#98c1d9",
    "#293241",
    "#52796f",
    "#84a98c",
    "#7f5539",
    "#9c6644",
    "#bc4749",
    "#6d597a",
    "#b56576",
    "#355070",
    "#e56b6f",
    "#eaac8b",
]

# --- Phrase banks. No Markdown syntax anywhere (no * _ # ` < > & [ ], no digit or dash at the start
# of a sentence), so the plain text of a note is the note itself (paragraphs kept, one line each). --
TOOL_NAMES = {
    "ChatGPT": "ChatGPT",
    "Le Chat": "Le Chat de Mistral",
    "Claude": "Claude",
    "Gemini": "Gemini",
    "Microsoft Copilot": "Copilot",
    "Llama 3 auto-hébergé": "le Llama auto-hébergé",
    "DeepL": "DeepL",
    "Whisper": "Whisper",
}
CHAT_TOOLS = ["ChatGPT", "Le Chat", "Claude", "Gemini", "Microsoft Copilot", "Llama 3 auto-hébergé"]

SUBJECTS = [
    "La coordinatrice",
    "Le trésorier",
    "Une bénévole",
    "Le président de l'association",
    "La chargée de communication",
    "Un salarié en parcours d'insertion",
    "La gérante de la SCOP",
    "Une conseillère en insertion",
    "Le comptable",
    "Une administratrice",
    "Le médiateur numérique",
    "Une volontaire en service civique",
    "La directrice",
    "Un associé de la coopérative",
    "L'animatrice du tiers-lieu",
    "La secrétaire du bureau",
    "Un encadrant technique",
    "La responsable qualité",
    "Un habitant membre du collectif",
    "La chargée de production",
]

#: (action with {tool}, title with {tool}, purposes, codes, tools allowed (None: any chat tool)).
ACTIVITIES = [
    (
        "utilise {tool} pour rédiger le compte rendu du conseil d'administration",
        "Compte rendu de CA rédigé avec {tool}",
        ["writing", "summarising"],
        ["Rédaction", "Synthèse"],
        None,
    ),
    (
        "demande à {tool} de résumer un appel à projets de trente pages",
        "Un appel à projets résumé par {tool}",
        ["summarising"],
        ["Synthèse"],
        None,
    ),
    (
        "traduit le flyer de la prochaine réunion publique avec {tool}",
        "Traduction d'un flyer avec {tool}",
        ["translating", "communication"],
        ["Traduction"],
        ["DeepL", "ChatGPT"],
    ),
    (
        "prépare une demande de subvention avec {tool}",
        "Dossier de subvention préparé avec {tool}",
        ["writing", "admin"],
        ["Rédaction", "Administration"],
        None,
    ),
    (
        "cherche des idées d'ateliers pour la rentrée avec {tool}",
        "Idées d'ateliers trouvées avec {tool}",
        ["ideation"],
        ["Idéation"],
        None,
    ),
    (
        "fait reformuler un courrier au bailleur social par {tool}",
        "Courrier au bailleur reformulé par {tool}",
        ["writing"],
        ["Rédaction"],
        None,
    ),
    (
        "teste {tool} pour classer les réclamations du trimestre",
        "Réclamations classées avec {tool}",
        ["summarising", "admin"],
        ["Synthèse", "Administration"],
        None,
    ),
    (
        "écrit les publications de la page Facebook avec {tool}",
        "Publications sur les réseaux sociaux avec {tool}",
        ["communication", "writing"],
        ["Rédaction"],
        None,
    ),
    (
        "demande à {tool} de proposer un planning des bénévoles",
        "Planning des bénévoles proposé par {tool}",
        ["admin"],
        ["Administration"],
        None,
    ),
    (
        "transcrit l'enregistrement de la réunion avec {tool}",
        "Transcription d'une réunion avec {tool}",
        ["summarising"],
        ["Synthèse"],
        ["Whisper"],
    ),
    (
        "génère une affiche pour la fête de quartier avec {tool}",
        "Une affiche générée avec {tool}",
        ["images", "communication"],
        ["Images"],
        ["ChatGPT", "Gemini"],
    ),
    (
        "écrit un petit script pour le site internet avec {tool}",
        "Un script pour le site écrit avec {tool}",
        ["coding"],
        ["Programmation"],
        None,
    ),
    (
        "pose à {tool} une question juridique sur les contrats aidés",
        "Une question juridique posée à {tool}",
        ["search"],
        ["Recherche d'information"],
        None,
    ),
    (
        "traduit les menus de la semaine en anglais et en espagnol avec {tool}",
        "Menus traduits avec {tool}",
        ["translating"],
        ["Traduction"],
        ["DeepL"],
    ),
    (
        "prépare les questions d'un entretien d'embauche avec {tool}",
        "Entretien d'embauche préparé avec {tool}",
        ["writing", "ideation"],
        ["Idéation", "Rédaction"],
        None,
    ),
]

CONTEXTS = [
    "pendant la réunion d'équipe du lundi",
    "le soir, depuis son téléphone",
    "lors de la permanence du mercredi",
    "avant l'assemblée générale",
    "pendant une formation interne",
    "dans le local associatif",
    "à la demande du conseil d'administration",
    "sans en parler au reste de l'équipe",
    "en présence de l'observatrice",
    "juste avant la date limite",
    "pendant la pause de midi",
    "dans la salle commune du tiers-lieu",
]

#: (sentence, code).
REACTIONS = [
    ("Le résultat est relu et corrigé à la main avant d'être envoyé.", "Qualité"),
    (
        "Une collègue fait remarquer que le texte ne ressemble pas à la façon dont la structure s'exprime.",
        "Uniformisation des textes",
    ),
    ("L'équipe estime avoir gagné une demi-journée de travail.", "Gain de temps"),
    ("Personne ne sait où sont stockées les données saisies dans l'outil.", "Souveraineté des données"),
    ("Une erreur de date est repérée au dernier moment par une bénévole.", "Fiabilité"),
    (
        "Un administrateur soulève la question de l'hébergement des données hors d'Europe.",
        "Souveraineté des données",
    ),
    ("Deux bénévoles disent ne pas vouloir utiliser ces outils, par principe.", "Refus"),
    ("La pratique se diffuse dans l'équipe par le bouche-à-oreille.", "Apprentissage entre pairs"),
    (
        "Une salariée montre à ses collègues comment formuler une consigne précise.",
        "Apprentissage entre pairs",
    ),
    ("Le réseau régional a proposé une formation d'une demi-journée sur ces outils.", "Formation"),
    ("Une charte d'usage est en discussion au conseil d'administration.", "Charte d'usage"),
    ("Quelqu'un rappelle la consommation d'énergie des centres de données.", "Écologie"),
    (
        "Un artiste du collectif rappelle que ces modèles ont été entraînés sans l'accord des auteurs.",
        "Droits d'auteur",
    ),
    ("Aucune donnée de santé ne doit être saisie, rappelle la responsable.", "Données de santé"),
    ("Les personnes sans smartphone récent restent à l'écart de ces usages.", "Inégalités d'accès"),
    ("Le temps gagné a surtout servi à faire plus de dossiers.", "Intensification du travail"),
    ("Un salarié craint que certaines tâches administratives disparaissent.", "Emploi"),
    ("Une bénévole se sent plus à l'aise pour écrire des courriers officiels.", "Autonomie"),
    ("L'outil a inventé une référence qu'il a fallu retirer.", "Fiabilité"),
    ("Elle dit qu'elle aurait du mal à s'en passer maintenant.", "Dépendance"),
    ("L'équipe se demande ce qui arriverait si l'outil devenait payant.", "Dépendance"),
    (
        "Le bricolage consiste à enchaîner deux outils différents pour obtenir le résultat voulu.",
        "Détournement",
    ),
]

#: (quotation, code); quoted by one of SPEAKERS.
QUOTES = [
    ("ça nous fait gagner un temps fou", "Gain de temps"),
    ("je ne saurais plus faire sans", "Dépendance"),
    ("on ne sait pas ce qu'ils font de nos données", "Souveraineté des données"),
    ("c'est pratique, mais ça écrit comme tout le monde", "Uniformisation des textes"),
    ("il faut toujours tout vérifier", "Fiabilité"),
    ("ce n'est pas à la machine de décider", "Refus"),
    ("pour les chiffres, je reste sur mon tableur", "Fiabilité"),
    ("on a appris ensemble, en se montrant nos astuces", "Apprentissage entre pairs"),
    ("si la machine fait les bilans, à quoi on sert", "Emploi"),
    ("avant, on écrivait comme on parle", "Qualité"),
]
SPEAKERS = [
    "dit une salariée",
    "résume le trésorier",
    "explique une bénévole",
    "ajoute un associé",
    "commente la coordinatrice",
    "lance un habitant",
]

CLOSINGS = [
    ("La question sera remise à l'ordre du jour de la prochaine réunion.", "Charte d'usage"),
    (
        "L'observatrice note que personne n'a demandé l'avis des personnes concernées.",
        "Souveraineté des données",
    ),
    ("La structure prévoit de faire un bilan de ces usages dans six mois.", "Charte d'usage"),
    ("L'usage reste individuel et n'a jamais été discuté collectivement.", "Autonomie"),
]

NAME_WORDS = [
    "Les Jardins",
    "La Fabrique",
    "Le Relais",
    "L'Atelier",
    "La Ruche",
    "Le Passage",
    "Les Tisserands",
    "La Boussole",
    "Le Chantier",
    "La Maison",
    "Les Canuts",
    "Le Réseau",
]
NAME_PLACES = [
    "Villeurbanne",
    "Vaulx-en-Velin",
    "Croix-Rousse",
    "Givors",
    "Vénissieux",
    "Oullins",
    "Bron",
    "Saint-Fons",
    "Rillieux",
    "Décines",
    "Guillotière",
    "Vaise",
]
LEGAL_FORMS = [
    ("association", "Association"),
    ("scop", "SCOP"),
    ("scic", "SCIC"),
    ("cooperative", "Coopérative"),
    ("mutual", "Mutuelle"),
    ("foundation", "Fondation"),
    ("tiers_lieu", "Tiers-lieu"),
    ("informal", "Collectif"),
]
SECTORS = [
    "Insertion",
    "Alimentation",
    "Culture",
    "Numérique solidaire",
    "Santé",
    "Habitat",
    "Mobilité",
    "Réemploi",
    "Éducation populaire",
    "Énergie citoyenne",
]
SIZE_BANDS = ["1-9", "10-49", "50-249", "250+"]
SETTINGS = ["meeting", "daily_work", "training", "event", "interview", "online"]


def all_sentences() -> list[str]:
    """Every sentence the generator can produce, for the tests (plain text must equal the source)."""
    sentences = [text for text, _code in REACTIONS + CLOSINGS]
    sentences += [f"« {quote} », {speaker}." for quote, _code in QUOTES for speaker in SPEAKERS]
    for action, title, *_rest in ACTIVITIES:
        for tool in TOOL_NAMES.values():
            sentences += [f"{SUBJECTS[0]} {action.format(tool=tool)} {CONTEXTS[0]}.", title.format(tool=tool)]
    return sentences


@lru_cache(maxsize=100_000)
def _sentence_html(sentence: str) -> str:
    """The HTML of one plain sentence, without its paragraph: rendered by commons.markup, once."""
    rendered = str(render_markdown(sentence))
    if not (rendered.startswith("<p>") and rendered.endswith("</p>")):
        raise CommandError(f"Not a plain sentence: {sentence!r}")
    return rendered[3:-4]


def note_html(paragraphs: list[list[str]]) -> str:
    """What render_markdown returns for plain paragraphs (checked on every batch)."""
    return "\n".join(
        "<p>" + " ".join(_sentence_html(s) for s in paragraph) + "</p>" for paragraph in paragraphs
    )


@contextmanager
def _body_html_set_by_caller() -> Iterator[None]:
    """Switch off the rendering of Observation.body in MarkdownField.pre_save for the seeding."""
    field = Observation._meta.get_field("body")
    field.pre_save = lambda instance, add: getattr(instance, field.attname)
    try:
        yield
    finally:
        del field.pre_save


class Generator:
    """Builds observations and their excerpts from the phrase banks with a seeded RNG."""

    def __init__(self, rng: random.Random, codes: dict[str, Code], tools: dict[str, int]):
        self.rng = rng
        self.codes = codes
        self.tools = tools
        self.leaf_codes = [code for code in codes.values() if code.parent_id is not None]

    def note(self) -> tuple[list[list[str]], list[tuple[int, int, str]], dict]:
        """(sentences by paragraph, sentence spans (start, end, code) in the plain text, meta)."""
        rng = self.rng
        action, title, purposes, codes, allowed = rng.choice(ACTIVITIES)
        tool = rng.choice(allowed or CHAT_TOOLS)
        tools = {tool}
        if rng.random() < 0.15:
            tools.add(rng.choice(CHAT_TOOLS))
        target = rng.randint(MIN_CHARS, MAX_CHARS)
        first = f"{rng.choice(SUBJECTS)} {action.format(tool=TOOL_NAMES[tool])} {rng.choice(CONTEXTS)}."
        coded = [(first, codes[0])]
        length = len(first)
        while True:
            pick = rng.random()
            if pick < 0.65:
                sentence, code = rng.choice(REACTIONS)
            elif pick < 0.9:
                quote, code = rng.choice(QUOTES)
                sentence = f"« {quote} », {rng.choice(SPEAKERS)}."
            else:
                sentence, code = rng.choice(CLOSINGS)
            if length + 1 + len(sentence) > MAX_CHARS:
                break
            coded.append((sentence, code))
            length += 1 + len(sentence)
            if length >= target:
                break
        paragraphs, spans, offset, current = [], [], 0, []
        for sentence, code in coded:
            spans.append((offset, offset + len(sentence), code))
            offset += len(sentence) + 1
            current.append(sentence)
            if len(current) >= rng.randint(2, 4):
                paragraphs.append(current)
                current = []
                offset += 1  # paragraphs are separated by a blank line ("\n\n") in the plain text
        if current:
            paragraphs.append(current)
        whole = list(
            dict.fromkeys([*codes, *(code for _s, _e, code in rng.sample(spans, min(2, len(spans))))])
        )
        meta = {
            "title": title.format(tool=TOOL_NAMES[tool]),
            "tools": sorted(self.tools[name] for name in tools),
            "purposes": purposes,
            "codes": [self.codes[name].pk for name in whole[:3]],
        }
        return paragraphs, spans, meta

    def excerpts(
        self, plain: str, spans: list[tuple[int, int, str]]
    ) -> list[tuple[int, int, int, list[int]]]:
        """(coder index, start, end, code ids): coder 0 codes one or two sentences; coder 1 often codes the
        same ones, sometimes a shorter or longer range, sometimes with another code."""
        rng = self.rng
        chosen = rng.sample(spans, 2 if len(spans) > 1 and rng.random() < 0.25 else 1)
        result = []
        for start, end, code in chosen:
            code_id = self.codes[code].pk
            result.append((0, start, end, [code_id]))
            if rng.random() < 0.6:
                other_start, other_end = start, end
                variant = rng.random()
                if variant < 0.3:
                    space = plain.find(" ", start + 1, end)
                    if 0 < space < end - 1:
                        other_start = space + 1
                elif variant < 0.45:
                    following = [s for s in spans if s[0] > start]
                    if following:
                        other_end = following[0][1]
                other_code = code_id if rng.random() < 0.75 else rng.choice(self.leaf_codes).pk
                result.append((1, other_start, other_end, [other_code]))
        return result


class Command(BaseCommand):
    help = "Generate synthetic observations, codes and excerpts fast (bulk inserts) for load tests."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--observations", type=int, required=True, help="How many observations to add.")
        parser.add_argument("--study-slug", default=None, help="Seed this study (created if missing).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (same seed, same data).")
        parser.add_argument("--batch-size", type=int, default=5000, help="Observations per transaction.")
        parser.add_argument("--index", action="store_true", help="Also add the rows to the search index.")

    def handle(
        self,
        *args,
        observations: int,
        study_slug: str | None,
        seed: int,
        batch_size: int,
        index: bool,
        **options,
    ) -> None:
        if observations < 0 or batch_size < 1:
            raise CommandError(_("--observations cannot be negative and --batch-size must be at least 1."))
        started = time.perf_counter()
        rng = random.Random(seed)
        with transaction.atomic():
            study = self._study(study_slug)
            bureau = study.get_parent().specific
            coders, observers = self._people(bureau)
            collective_ids = self._collectives(bureau)
            tools = {tool.name: tool.pk for tool in ensure_tools().values()}
            codes = self._codes(study)
        self.stdout.write(
            _(
                "Seeding %(count)s observations into « %(study)s » "
                "(%(collectives)s collectives, %(codes)s codes)…"
            )
            % {
                "count": f"{observations:,}",
                "study": study.title,
                "collectives": len(collective_ids),
                "codes": len(codes),
            }
        )
        generator = Generator(rng, codes, tools)
        backend = None
        if index:
            from wagtail.search.backends import get_search_backend

            backend = get_search_backend()
        totals = {"excerpts": 0, "codings": 0}
        done = 0
        while done < observations:
            size = min(batch_size, observations - done)
            with transaction.atomic(), _body_html_set_by_caller():
                created = self._batch(generator, study, size, collective_ids, coders, observers, totals)
                if backend is not None:
                    backend.add_bulk(Observation, created)
            done += size
            reset_queries()  # DEBUG=True keeps every SQL statement otherwise
            self.stdout.write(
                _("  %(done)s / %(total)s observations — %(seconds).1f s")
                % {
                    "done": f"{done:,}",
                    "total": f"{observations:,}",
                    "seconds": time.perf_counter() - started,
                }
            )
        # `bulk_create` sends no signal: the codebook's tallies and the agreement's summaries are
        # computed once, at the end.
        from studies import agreement_summaries, tallies

        tallies.rebuild(study)
        agreement_summaries.rebuild(study)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Done: %(count)s observations, %(codings)s whole-observation codes, "
                    "%(excerpts)s excerpts in %(seconds).1f s (%(rate)s observations/s, %(vendor)s)."
                )
                % {
                    "count": f"{observations:,}",
                    "codings": f"{totals['codings']:,}",
                    "excerpts": f"{totals['excerpts']:,}",
                    "seconds": elapsed,
                    "rate": f"{observations / elapsed:,.0f}" if elapsed else "—",
                    "vendor": connection.vendor,
                }
            )
        )
        if not index:
            self.stdout.write(
                _("Not indexed for search: run `manage.py update_index` (or seed with --index).")
            )

    # --- Set-up: study, people, collectives, codes. ---------------------------------------------------

    def _study(self, slug: str | None) -> StudyPage:
        from commons.models import BureauPage

        if slug:
            study = StudyPage.objects.filter(slug=slug).order_by("path").first()
            if study is not None:
                return study
        bureau = BureauPage.objects.order_by("path").first() or self._bureau()
        slug = slug or DEFAULT_SLUG
        study = StudyPage.objects.child_of(bureau).filter(slug=slug).first()
        if study is None:
            study = StudyPage(
                title="Étude de charge",
                slug=slug,
                research_question="Données synthétiques pour mesurer les performances à grande échelle.",
                context="Étude générée par `manage.py bec_seed` : toutes les notes sont **synthétiques**.",
                status=StudyStatus.ANALYSIS,
            )
            bureau.add_child(instance=study)
            study.save_revision().publish()
            study.refresh_from_db()
        return study

    def _bureau(self):
        from wagtail.models import Site

        from commons.models import BureauPage, College

        site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
        if site is None:
            raise CommandError(_("No Wagtail site: run `manage.py migrate` first."))
        bureau = BureauPage(
            title="Bureau de charge",
            slug="bureau-de-charge",
            question="Que devient le site avec cent mille observations ?",
            charter="Bureau créé par `manage.py bec_seed` pour les tests de charge.",
            governance="Aucune décision n'y est prise.",
        )
        bureau.colleges.add(College(name="Membres", weight=100, sort_order=0))
        site.root_page.specific.add_child(instance=bureau)
        bureau.save_revision().publish()
        bureau.refresh_from_db()
        return bureau

    def _people(self, bureau) -> tuple[list[int], list[int]]:
        """Two coders and up to six observers: the bureau's voting members, or seed accounts."""
        from commons.models import Membership, Role
        from participants.models import MemberProfile

        members = list(
            Membership.objects.voting()
            .filter(bureau=bureau)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        User = get_user_model()
        number = 1
        while len(members) < 2:
            email = f"{SEED_USER_PREFIX}-{number}@example.invalid"
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    username=f"{SEED_USER_PREFIX}-{number}", email=email, password=None
                )
                MemberProfile.objects.create(
                    user=user, display_name=f"Codeur·se {number}", category="researcher"
                )
            if user.pk not in members:
                Membership.objects.create(
                    user=user, bureau=bureau, role=Role.MEMBER, college=bureau.colleges.first()
                )
                members.append(user.pk)
            number += 1
        return members[:2], members[:6]

    def _collectives(self, bureau) -> list[int]:
        """Fifty collectives with a current consent for every scope (those of earlier runs are reused)."""
        names_rng = random.Random(0)  # the same fifty, whatever --seed says
        specs = []
        for number in range(1, COLLECTIVE_COUNT + 1):
            legal_form, label = names_rng.choice(LEGAL_FORMS)
            place = names_rng.choice(NAME_PLACES)
            specs.append(
                {
                    "name": f"{label} {names_rng.choice(NAME_WORDS)} ({place}) — charge {number:02d}",
                    "legal_form": legal_form,
                    "sector": names_rng.choice(SECTORS),
                    "size_band": names_rng.choice(SIZE_BANDS),
                    "territory": place,
                }
            )
        existing = dict(
            Collective.objects.filter(bureau=bureau, name__in=[s["name"] for s in specs]).values_list(
                "name", "pk"
            )
        )
        missing = [spec for spec in specs if spec["name"] not in existing]
        if missing:
            numbers = [
                int(m.group(1))
                for code in Collective.objects.filter(bureau=bureau).values_list("code", flat=True)
                if (m := CODE_PATTERN.match(code))
            ]
            first = max(numbers, default=0) + 1
            created = Collective.objects.bulk_create(
                [
                    Collective(bureau=bureau, code=f"C-{first + i:02d}", **spec)
                    for i, spec in enumerate(missing)
                ]
            )
            form, _created = ConsentForm.objects.get_or_create(
                bureau=bureau,
                title="Consentement (données de charge)",
                version=1,
                defaults={
                    "text": "Formulaire fictif : les collectifs de l'étude de charge sont synthétiques."
                },
            )
            given = timezone.now() - timedelta(days=400)
            ConsentRecord.objects.bulk_create(
                [
                    ConsentRecord(form=form, collective=c, scopes=list(ConsentScope.values), given_at=given)
                    for c in created
                ]
            )
            existing.update({c.name: c.pk for c in created})
        return [existing[spec["name"]] for spec in specs]

    def _codes(self, study: StudyPage) -> dict[str, Code]:
        """The demo codebook plus EXTRA_CODES, about thirty codes (existing ones are kept)."""
        codes = {code.name: code for code in Code.objects.filter(study=study)}
        colours = iter(EXTRA_COLOURS)
        for (family, colour, definition), children in CODEBOOK:
            if family not in codes:
                codes[family] = Code.objects.create(
                    study=study,
                    name=family,
                    slug=slugify(family, allow_unicode=True),
                    colour=colour,
                    definition=definition,
                )
            extra = [
                (name, next(colours), "Code ajouté pour l'étude de charge.") for name in EXTRA_CODES[family]
            ]
            for name, child_colour, child_definition in [*children, *extra]:
                if name not in codes:
                    codes[name] = Code.objects.create(
                        study=study,
                        name=name,
                        slug=slugify(name, allow_unicode=True),
                        parent=codes[family],
                        colour=child_colour,
                        definition=child_definition,
                    )
        return codes

    # --- One batch of observations, with everything hanging from them. --------------------------------

    def _batch(self, generator: Generator, study, size, collective_ids, coders, observers, totals) -> list:
        rng = generator.rng
        today = timezone.localdate()
        rows, extras = [], []
        for _n in range(size):
            paragraphs, spans, meta = generator.note()
            body = "\n\n".join(" ".join(paragraph) for paragraph in paragraphs)
            plain = "\n\n".join(" ".join(paragraph) for paragraph in paragraphs)
            rows.append(
                Observation(
                    study=study,
                    body_html=note_html(paragraphs),
                    observer_id=rng.choice(observers),
                    observed_on=today - timedelta(days=rng.randint(0, 364)),
                    collective_id=rng.choice(collective_ids),
                    setting=rng.choice(SETTINGS),
                    purposes=meta["purposes"],
                    title=meta["title"],
                    body=body,
                    plain_text=plain,
                    visibility=Visibility.PUBLISHABLE if rng.random() < 0.1 else Visibility.TEAM,
                )
            )
            extras.append((meta, spans, plain))
        for row in rows[:VERIFIED_PER_BATCH]:
            if row.body_html != str(render_markdown(row.body)) or row.plain_text != plain_text(row.body):
                raise CommandError(f"The fast rendering differs from commons.markup for: {row.body!r}")
        Observation.objects.bulk_create(rows, batch_size=1000)

        tool_links, code_links, excerpts, excerpt_codes = [], [], [], []
        ToolLink = Observation.ai_tools.through
        for observation, (meta, spans, plain) in zip(rows, extras, strict=True):
            tool_links += [ToolLink(observation_id=observation.pk, aitool_id=tool) for tool in meta["tools"]]
            code_links += [
                CodedObservation(content_object_id=observation.pk, tag_id=code) for code in meta["codes"]
            ]
            for coder, start, end, code_ids in generator.excerpts(plain, spans):
                excerpts.append(
                    Excerpt(
                        observation_id=observation.pk,
                        start=start,
                        end=end,
                        text=plain[start:end],
                        coder_id=coders[coder],
                    )
                )
                excerpt_codes.append(code_ids)
        ToolLink.objects.bulk_create(tool_links, batch_size=2000)
        # `bulk_create` bypasses `Observation.save`, which keeps the purpose rows in step: write them here.
        ObservationPurpose.objects.bulk_create(purpose_rows(rows), batch_size=2000)
        CodedObservation.objects.bulk_create(code_links, batch_size=2000)
        Excerpt.objects.bulk_create(excerpts, batch_size=1000)
        ExcerptCode = Excerpt.codes.through
        ExcerptCode.objects.bulk_create(
            [
                ExcerptCode(excerpt_id=excerpt.pk, code_id=code)
                for excerpt, ids in zip(excerpts, excerpt_codes, strict=True)
                for code in ids
            ],
            batch_size=2000,
        )
        totals["codings"] += len(code_links)
        totals["excerpts"] += len(excerpts)
        return rows
