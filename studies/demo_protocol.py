"""Demo protocol and interviews: v1 published at the start, v2 adopted by the bureau's vote through
the workflow, a third revision under vote; five interviews with their consents and coded excerpts.
v2 is registered by the bureau's vote (a frozen registration), and a second study of the bureau
starts from a fork of v2 (issue 17).

Everything goes through the real machinery (workflow, governance services, version recording),
so the demo shows what a bureau sees. Idempotent: an existing protocol page is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from wagtail.models import Revision

from commons import actions
from commons.models import Proposal
from participants.models import ConsentForm, ConsentRecord, Informant

from .models import Code, Excerpt, Interview, Observation, ProtocolPage, ProtocolVersion, StudyPage
from .versions import current_version

PROTOCOL_SLUG = "protocole"

OBJECTIVES = (
    "<p>Décrire comment les structures de l'économie sociale et solidaire de la Métropole de Lyon "
    "adoptent, adaptent ou refusent les outils d'IA générative, et <b>qui en décide</b>.</p>"
    "<p>Produire, avec elles, des repères partagés pour un usage choisi plutôt que subi.</p>"
    "<p>L'étude prolonge dans l'ESS les travaux sur les effets de l'IA générative au travail "
    "[@noy2023; @brynjolfsson2023] et la réflexion sur la gouvernance des communs [@ostrom1990, chap. 3].</p>"
)
QUESTIONS_V1 = (
    "<ol><li>Pour quelles tâches les salarié·es et bénévoles utilisent-ils l'IA générative ?</li>"
    "<li>Comment la décision d'utiliser (ou non) un outil est-elle prise ?</li>"
    "<li>Quels effets sur le travail, l'emploi et la qualité des productions sont perçus ?</li></ol>"
)
QUESTIONS_V2 = QUESTIONS_V1.replace(
    "</ol>",
    "<li>Où vont les données confiées aux outils, et les structures s'en préoccupent-elles "
    "(souveraineté des données, hébergement en Union européenne) ?</li></ol>",
)
METHOD = (
    "<p>Observation participante dans six structures pendant six mois (réunions, travail quotidien, "
    "formations), notes de terrain consignées dans la plateforme le jour même, puis entretiens "
    "semi-directifs avec des personnes volontaires.</p>"
    "<p>Les notes sont codées à deux (double codage de 12 notes pour mesurer l'accord).</p>"
)
SAMPLING_V1 = (
    "<p>Six structures choisies pour leur diversité : insertion, alimentation, numérique solidaire, "
    "culture, santé, habitat ; des statuts variés (association, SCOP, SCIC, mutuelle, collectif informel).</p>"
)
SAMPLING_V3 = SAMPLING_V1.replace(
    "</p>", " Deux tiers-lieux ruraux des Monts du Lyonnais complètent l'échantillon à partir de mars.</p>"
)
ETHICS = (
    "<p>Les risques des grands modèles de langage sont documentés [@bender2021] ; le terrain dira lesquels "
    "comptent pour les structures.</p>"
    "<p>Aucune observation sans le consentement écrit de la structure ; aucun entretien sans celui de la "
    "personne. Les enregistrements ne sont faits qu'avec un consentement spécifique et restent à l'équipe. "
    "Toute personne peut retirer son consentement : ses données sortent aussitôt des analyses.</p>"
)
DATA = (
    "<p>Les structures et les personnes sont désignées par des pseudonymes (C-01, « Nadia »…). Les notes "
    "restent sur le serveur du bureau, hébergé en France ; aucune note n'est confiée à un outil d'IA "
    "sans le consentement « traitement par IA ».</p>"
)

GRID_V1 = [
    {"name": "frequence", "label": "Fréquence d'usage observée", "field_type": "choice",
     "choices": "quotidienne\nhebdomadaire\noccasionnelle\npremière fois", "required": True, "help_text": ""},
    {"name": "decision", "label": "Qui a décidé d'utiliser l'outil ?", "field_type": "choice",
     "choices": "une personne seule\nl'équipe\nla direction\nle conseil d'administration\npersonne (usage non discuté)",
     "required": False, "help_text": ""},
    {"name": "aisance", "label": "Aisance des personnes avec l'outil", "field_type": "scale", "choices": "",
     "required": False, "help_text": "1 : très mal à l'aise — 5 : très à l'aise"},
]
GRID_V2 = [
    *GRID_V1,
    {"name": "hebergement_ue", "label": "Outil hébergé en UE ?", "field_type": "choice",
     "choices": "oui\nnon\nne sait pas", "required": True,
     "help_text": "D'après la structure ou la politique de l'éditeur."},
]
GRID_V3 = [
    *GRID_V2,
    {"name": "cout_mensuel", "label": "Coût mensuel pour la structure", "field_type": "choice",
     "choices": "gratuit\nmoins de 20 €\n20 à 100 €\nplus de 100 €", "required": False, "help_text": ""},
]

GUIDE_V1 = [
    {"question": "Pouvez-vous me raconter la première fois que vous avez utilisé un outil d'IA générative "
                 "dans votre travail ?", "probes": ["Qui vous l'a montré ?", "Pour quelle tâche ?"]},
    {"question": "Aujourd'hui, pour quoi l'utilisez-vous, concrètement ?",
     "probes": ["Pouvez-vous me montrer un exemple récent ?", "À quelle fréquence ?"]},
    {"question": "En avez-vous parlé collectivement dans votre structure ?",
     "probes": ["Y a-t-il eu une décision ?", "Qui était pour, qui était contre ?"]},
    {"question": "Qu'est-ce que cela a changé dans votre travail ?",
     "probes": ["Du temps gagné ? perdu ?", "La qualité de ce que vous produisez ?"]},
    {"question": "Y a-t-il des choses que vous refusez de confier à ces outils ?", "probes": ["Pourquoi ?"]},
]
GUIDE_V2 = [
    *GUIDE_V1[:4],
    {"question": "Savez-vous où vont les informations que vous donnez à l'outil ? Est-ce que cela compte "
                 "pour vous ?",
     "probes": ["Données des personnes accompagnées ?", "Hébergement en Europe ?", "Alternatives libres ?"]},
    GUIDE_V1[4],
]


def body(*, questions: str, sampling: str, grid: list[dict], guide: list[dict]) -> list[dict]:
    return [
        {"type": "objectives", "value": OBJECTIVES},
        {"type": "research_questions", "value": questions},
        {"type": "method", "value": METHOD},
        {"type": "sampling", "value": sampling},
        {"type": "ethics", "value": ETHICS},
        {"type": "data_management", "value": DATA},
        {"type": "observation_grid", "value": grid},
        {"type": "interview_guide", "value": guide},
    ]


def _users() -> dict[str, object]:
    return {u.email.split(".")[0]: u for u in get_user_model().objects.filter(email__endswith="@bec-demo.fr")}


def _revise(page: ProtocolPage, user, summary: str, **parts) -> ProtocolPage:
    page = ProtocolPage.objects.get(pk=page.pk)
    page.body = body(**parts)
    page.change_summary = summary
    page.save_revision(user=user)
    return page


def _submit(page: ProtocolPage, user) -> Proposal:
    state = page.get_workflow().start(page, user)
    return Proposal.objects.get(task_state__workflow_state=state)


def _backdate_version(version: ProtocolVersion, days_ago: int) -> None:
    when = timezone.now() - timedelta(days=days_ago)
    ProtocolVersion.objects.filter(pk=version.pk).update(published_at=when)
    Revision.objects.filter(pk=version.revision_id).update(created_at=when)


def ensure_protocol(study: StudyPage) -> ProtocolPage:
    page = ProtocolPage.objects.child_of(study).first()
    if page is not None:
        return page
    u = _users()
    # v1: the protocol the bureau started with, published by a coordinator.
    page = ProtocolPage(
        title="Protocole de l'étude",
        slug=PROTOCOL_SLUG,
        live=False,
        change_summary="Version initiale, discutée lors de l'assemblée de lancement.",
        body=body(questions=QUESTIONS_V1, sampling=SAMPLING_V1, grid=GRID_V1, guide=GUIDE_V1),
    )
    study.add_child(instance=page)
    page.save_revision(user=u["camille"]).publish(user=u["camille"])
    _backdate_version(current_version(page), 120)

    # v2: submitted by Léa, adopted by the bureau's vote (the workflow publishes it at the close).
    page = _revise(
        page, u["lea"],
        "Ajout d'une question de recherche et d'une question d'entretien sur la souveraineté des données, "
        "et du champ « Outil hébergé en UE ? » dans la grille d'observation.",
        questions=QUESTIONS_V2, sampling=SAMPLING_V1, grid=GRID_V2, guide=GUIDE_V2,
    )
    proposal = _submit(page, u["lea"])
    for key, choice in (("camille", "for"), ("karim", "for"), ("lea", "for"), ("aminata", "for"),
                        ("hugo", "abstain"), ("ines", "for")):
        actions.cast_ballot(proposal, u[key], choice=choice)
    past = timezone.now() - timedelta(days=45)
    # Voted under the bureau's rule for protocol changes (2/3, weighted by college); the story has
    # the vote run its whole period, though the last ballot ended it (everyone had voted).
    Proposal.objects.filter(pk=proposal.pk).update(opens_at=past - timedelta(days=7), closes_at=past,
                                                   created_at=past - timedelta(days=7), closed_early_at=None)
    actions.close_proposal(proposal.pk)
    _backdate_version(current_version(page), 45)

    # v3: under vote now (Hugo widens the sample and adds a cost question).
    page = _revise(
        page, u["hugo"],
        "Élargir l'échantillon à deux tiers-lieux ruraux et ajouter le coût mensuel des outils à la grille.",
        questions=QUESTIONS_V2, sampling=SAMPLING_V3, grid=GRID_V3, guide=GUIDE_V2,
    )
    proposal = _submit(page, u["hugo"])
    for key, choice in (("hugo", "for"), ("karim", "for"), ("ines", "against")):
        actions.cast_ballot(proposal, u[key], choice=choice, reason="Élargir avant d'avoir fini le terrain "
                               "actuel me semble prématuré." if choice == "against" else "")
    return ProtocolPage.objects.get(pk=page.pk)


def pin_observations(study: StudyPage, page: ProtocolPage) -> None:
    """Older notes were logged under v1, recent ones under v2, with the grid answered."""
    versions = {v.number: v for v in ProtocolVersion.objects.filter(protocol=page)}
    if Observation.objects.filter(study=study, protocol_version__isnull=False).exists() or 2 not in versions:
        return
    frequencies = ["quotidienne", "hebdomadaire", "occasionnelle", "première fois"]
    deciders = ["une personne seule", "l'équipe", "personne (usage non discuté)", "la direction"]
    hosting = ["non", "ne sait pas", "oui", "non"]
    cutoff = versions[2].published_at.date()
    for i, observation in enumerate(Observation.objects.filter(study=study).order_by("observed_on", "pk")):
        answers = {"frequence": frequencies[i % 4], "decision": deciders[i % 4], "aisance": 1 + i % 5}
        if observation.observed_on >= cutoff:
            answers["hebergement_ue"] = hosting[i % 4]
            version = versions[2]
        else:
            version = versions[1]
        Observation.objects.filter(pk=observation.pk).update(protocol_version=version, grid_answers=answers)


INTERVIEWS = [
    {
        "informant": "Nadia",
        "title": "Nadia, conseillère en insertion : « ChatGPT, c'est mon brouillon »",
        "days_ago": 100, "mode": "in_person", "minutes": 52, "version": 1, "coder": "lea",
        "transcript": (
            "**Enquêtrice** — Pouvez-vous me raconter la première fois ?\n\n"
            "**Nadia** — C'est une collègue qui me l'a montré pour les CV. Je passais des soirées entières à "
            "reformuler les parcours des personnes que j'accompagne. Maintenant je fais un premier jet avec "
            "ChatGPT et je reprends tout derrière.\n\n"
            "**Enquêtrice** — Vous en avez parlé en équipe ?\n\n"
            "**Nadia** — Pas vraiment. Chacun fait dans son coin. La direction sait, mais il n'y a jamais eu de "
            "décision. Moi, je ne mets jamais le nom de la personne ni son adresse, c'est ma règle à moi.\n\n"
            "**Enquêtrice** — Qu'est-ce que ça a changé ?\n\n"
            "**Nadia** — Je gagne peut-être une heure par jour. Mais les lettres se ressemblent toutes, il faut "
            "remettre la voix de la personne dedans."
        ),
        "excerpts": [
            ("je fais un premier jet avec ChatGPT et je reprends tout derrière", ["Rédaction"]),
            ("Je gagne peut-être une heure par jour", ["Gain de temps"]),
            ("les lettres se ressemblent toutes", ["Qualité"]),
        ],
    },
    {
        "informant": "Marc",
        "title": "Marc, encadrant technique : « sur le chantier, ça ne sert à rien »",
        "days_ago": 90, "mode": "phone", "minutes": 31, "version": 1, "coder": "camille",
        "transcript": (
            "**Enquêteur** — Vous utilisez ces outils ?\n\n"
            "**Marc** — Sur le chantier, ça ne sert à rien. Par contre les fiches de suivi, oui : je dicte dans "
            "le camion et l'outil me fait un résumé propre.\n\n"
            "**Enquêteur** — Et vos collègues ?\n\n"
            "**Marc** — Certains ont peur que ça remplace les postes administratifs. On en a parlé au CSE, "
            "ça a été tendu."
        ),
        "excerpts": [
            ("je dicte dans le camion et l'outil me fait un résumé propre", ["Synthèse"]),
            ("Certains ont peur que ça remplace les postes administratifs", ["Emploi"]),
        ],
    },
    {
        "informant": "Julien",
        "title": "Julien, associé de la SCOP : traduire les menus, choisir ensemble",
        "days_ago": 60, "mode": "in_person", "minutes": 47, "version": 1, "coder": "lea",
        "transcript": (
            "**Enquêtrice** — Comment la décision a-t-elle été prise ?\n\n"
            "**Julien** — En assemblée d'associés, comme tout chez nous. On l'utilise pour traduire les menus "
            "en anglais et en arabe pour la cantine. On a voté pour un outil payant plutôt que gratuit, parce "
            "qu'on ne voulait pas que nos recettes servent à entraîner le modèle.\n\n"
            "**Enquêtrice** — Et si l'outil disparaît ?\n\n"
            "**Julien** — On revient au dictionnaire. On ne veut pas en dépendre."
        ),
        "excerpts": [
            ("On l'utilise pour traduire les menus", ["Traduction"]),
            ("on ne voulait pas que nos recettes servent à entraîner le modèle", ["Souveraineté des données"]),
            ("On ne veut pas en dépendre", ["Dépendance"]),
        ],
    },
    {
        "informant": "Théo",
        "title": "Théo, bénévole du fablab : des modèles libres sur une machine du tiers-lieu",
        "days_ago": 30, "mode": "video", "minutes": 64, "version": 2, "coder": "lea",
        "transcript": (
            "**Enquêtrice** — Savez-vous où vont les informations que vous donnez à l'outil ?\n\n"
            "**Théo** — Justement, c'est pour ça qu'on a installé un modèle ouvert sur une vieille machine du "
            "fablab. C'est plus lent, les réponses sont moins bonnes, mais rien ne sort d'ici.\n\n"
            "**Enquêtrice** — Qui l'utilise ?\n\n"
            "**Théo** — Surtout les bénévoles pour préparer les ateliers. On anime aussi une soirée par mois "
            "pour montrer comment ça marche, et comment ça se trompe."
        ),
        "excerpts": [
            ("rien ne sort d'ici", ["Souveraineté des données"]),
            ("les réponses sont moins bonnes", ["Fiabilité"]),
        ],
    },
    {
        "informant": "Fatima",
        "title": "Fatima, collectif de locataires : écrire au bailleur",
        "days_ago": 12, "mode": "in_person", "minutes": 38, "version": 2, "coder": "camille",
        "transcript": (
            "**Enquêtrice** — Pour quoi l'utilisez-vous, concrètement ?\n\n"
            "**Fatima** — Pour écrire au bailleur. Avant, c'était toujours moi qui rédigeais les courriers, "
            "parce que je suis à l'aise avec l'écrit. Maintenant d'autres voisines s'y mettent, l'outil les "
            "aide à trouver le ton.\n\n"
            "**Enquêtrice** — Savez-vous où vont les informations ?\n\n"
            "**Fatima** — Non, et ça m'inquiète un peu : on parle des problèmes des familles. On va en discuter "
            "à la prochaine réunion."
        ),
        "excerpts": [
            ("l'outil les aide à trouver le ton", ["Rédaction"]),
            ("Non, et ça m'inquiète un peu", ["Souveraineté des données"]),
        ],
    },
]

#: Informants who agreed to be recorded (the others consented to the interview only).
RECORDING_CONSENT = {"Julien", "Fatima"}


def _interview_consents(study: StudyPage) -> None:
    bureau = study.get_parent()
    form, _created = ConsentForm.objects.get_or_create(
        bureau=bureau, title="Consentement à l'entretien", version=1,
        defaults={"text": "J'accepte d'être interviewé·e dans le cadre de l'étude ; mes propos sont "
                          "pseudonymisés. Si je coche « enregistrement », l'entretien peut être enregistré ; "
                          "l'enregistrement reste à l'équipe de l'étude."},
    )
    for spec in INTERVIEWS:
        informant = Informant.objects.get(collective__bureau=bureau, pseudonym=spec["informant"])
        if not ConsentRecord.objects.filter(informant=informant).exists():
            scopes = ["interview", "quotation"] + (["recording"] if spec["informant"] in RECORDING_CONSENT else [])
            ConsentRecord.objects.create(
                form=form, informant=informant, scopes=scopes,
                given_at=timezone.now() - timedelta(days=spec["days_ago"] + 3),
            )


def ensure_interviews(study: StudyPage, page: ProtocolPage) -> None:
    if Interview.objects.filter(study=study).exists():
        return
    _interview_consents(study)
    u = _users()
    bureau = study.get_parent()
    versions = {v.number: v for v in ProtocolVersion.objects.filter(protocol=page)}
    codes = {code.name: code for code in Code.objects.filter(study=study)}
    for spec in INTERVIEWS:
        interview = Interview.objects.create(
            study=study,
            informant=Informant.objects.get(collective__bureau=bureau, pseudonym=spec["informant"]),
            interviewer=u[spec["coder"]],
            conducted_on=timezone.localdate() - timedelta(days=spec["days_ago"]),
            mode=spec["mode"],
            duration_minutes=spec["minutes"],
            protocol_version=versions.get(spec["version"]),
            title=spec["title"],
            transcript=spec["transcript"],
        )
        for phrase, names in spec["excerpts"]:
            start = interview.plain_text.find(phrase)
            if start < 0:
                raise ValueError(f"Phrase not found in the transcript: {phrase!r}")
            excerpt = Excerpt.objects.create(
                interview=interview, coder=u[spec["coder"]], start=start, end=start + len(phrase), text=phrase
            )
            excerpt.codes.set([codes[name] for name in names])


REGISTRATION_DAYS_AGO = 38
FORK_TITLE = "Usages de l'IA générative dans les tiers-lieux ruraux"


def ensure_registration(page: ProtocolPage) -> None:
    """v2 registered by the bureau's vote, a week after its adoption (like a preregistration)."""
    from .models import Registration
    from .registrations import pending_registration, propose_registration

    version = ProtocolVersion.objects.filter(protocol=page, number=2).first()
    if version is None or Registration.objects.filter(version=version).exists():
        return
    if pending_registration(version) is not None:
        return
    u = _users()
    proposal = propose_registration(version, u["lea"])
    actions.open_proposal(proposal, u["camille"])
    for key, choice in (("camille", "for"), ("karim", "for"), ("lea", "for"), ("aminata", "for"),
                        ("hugo", "for"), ("ines", "abstain")):
        actions.cast_ballot(proposal, u[key], choice=choice)
    past = timezone.now() - timedelta(days=REGISTRATION_DAYS_AGO)
    Proposal.objects.filter(pk=proposal.pk).update(opens_at=past - timedelta(days=7), closes_at=past,
                                                   created_at=past - timedelta(days=7), closed_early_at=None)
    actions.close_proposal(proposal.pk)


def ensure_fork(page: ProtocolPage) -> None:
    """A second study of the bureau, on rural third places, starts from a fork of v2 (by Camille)."""
    from .forks import fork_protocol

    if ProtocolPage.objects.filter(derived_from__protocol=page).exists():
        return
    version = ProtocolVersion.objects.filter(protocol=page, number=2).first()
    if version is None:
        return
    bureau = page.get_parent().get_parent().specific
    fork_protocol(version, _users()["camille"], bureau=bureau, title=FORK_TITLE,
                  research_question="Les tiers-lieux ruraux adoptent-ils l'IA générative comme ceux des villes ?")


@transaction.atomic
def build(study: StudyPage) -> ProtocolPage:
    page = ensure_protocol(study)
    pin_observations(study, page)
    ensure_interviews(study, page)
    ensure_registration(page)
    ensure_fork(page)
    return page
