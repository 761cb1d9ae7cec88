"""Demo: the interim report « Premiers constats », adopted by the bureau's vote, and a second revision
under vote.

Everything goes through the real machinery: revisions (figures frozen when each is saved), the
bureau's collective-decision workflow, ballots and the close, which publishes the voted revision and
records v1 with its decision. Quotes are chosen among the excerpts that may be quoted
(`studies.quotes`), so the demo never quotes a collective that did not consent to quotation.
Idempotent: nothing is done when the report exists.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from commons import actions
from commons.models import Proposal

from .demo_protocol import _users
from .models import ReportVersion, StudyPage, StudyReportPage
from .quotes import quotable_excerpts

REPORT_SLUG = "premiers-constats"

INTRO = """Après quatre mois de terrain dans six structures de l'ESS lyonnaise, ce rapport intermédiaire \
rassemble ce que l'équipe a observé et codé jusqu'ici. Il ne conclut pas : il dit **ce qui revient**, \
ce qui surprend, et les questions que la suite du terrain devra trancher.

Les chiffres ci-dessous sont ceux du jour où le rapport a été soumis au vote du bureau ; ils sont datés \
et ne bougent plus, même si le codage continue."""

USES = """La rédaction domine nettement : courriers aux financeurs, comptes rendus, publications. \
Viennent ensuite la synthèse de documents longs et, plus rarement, la traduction. Dans presque tous \
les cas, l'usage a commencé **par une personne seule**, sans décision collective.

Le temps gagné sur l'écriture rejoint ce que mesurent les études en entreprise [@noy2023; \
@brynjolfsson2023], mais nos notes montrent une relecture qui en reprend une part [@exemple-benevolat2025]."""

TENSIONS = """Les tensions les plus citées portent sur les données des personnes accompagnées et sur \
l'hébergement des outils hors d'Europe. Plusieurs structures ont posé des règles *après* un premier \
incident plutôt qu'avant, comme dans la coopérative décrite par [@exemple-scop2023, p. 4]. Les \
risques connus des grands modèles de langage [@bender2021] y sont rarement discutés."""

NEXT = """La seconde phase du terrain interrogera les conseils d'administration : qui décide, et quand, \
de l'usage de ces outils ? Les travaux sur les communs [@ostrom1990; @coriat2015] en donnent le cadre."""

ADDED = """**Ajout de la v2** : depuis la première version, deux structures ont formalisé une charte \
d'usage ; la figure sur les usages a été recalculée."""


def _body(excerpts, *, second: bool = False) -> list[dict]:
    quotes = [{"type": "quote", "value": {"excerpt": e.pk, "comment": ""}} for e in excerpts]
    body = [
        {"type": "text", "value": INTRO},
        {
            "type": "key_figures",
            "value": {
                "items": [
                    {"label": "sources analysées", "measure": "sources", "filters": ""},
                    {"label": "extraits codés", "measure": "excerpts", "filters": ""},
                    {"label": "collectifs observés", "measure": "collectives", "filters": ""},
                ]
            },
        },
        {"type": "heading", "value": "Ce que font les structures"},
        {"type": "text", "value": USES},
        {
            "type": "figure",
            "value": {
                "title": "Extraits codés par code",
                "table": "codes",
                "filters": "",
                "chart": "bar",
                "caption": "Les codes les plus utilisés par l'équipe.",
            },
        },
        *quotes[:2],
        {"type": "heading", "value": "Outils et finalités"},
        {
            "type": "figure",
            "value": {
                "title": "Outils d'IA × finalités",
                "table": "crosstab",
                "filters": "?rows=ai_tool&columns=purpose&limit=8",
                "chart": "stacked",
                "caption": "Nombre d'observations par outil et par finalité.",
            },
        },
        {"type": "heading", "value": "Tensions"},
        {"type": "text", "value": TENSIONS},
        *quotes[2:],
        {"type": "code", "value": {"code": "Rédaction"}},
        {"type": "protocol_version", "value": {"number": 2}},
        {"type": "publishable_notes", "value": {"heading": "Notes de terrain publiables", "limit": 2}},
        {"type": "heading", "value": "Et maintenant ?"},
        {"type": "text", "value": NEXT},
    ]
    if second:
        body.insert(1, {"type": "text", "value": ADDED})
    return body


def _submit(page: StudyReportPage, user) -> Proposal:
    state = page.get_workflow().start(page, user)
    return Proposal.objects.get(task_state__workflow_state=state)


def _quotes(study: StudyPage) -> list:
    """Three quotable excerpts of the study, from different collectives where possible."""
    chosen, seen = [], set()
    candidates = list(quotable_excerpts([study.pk]).order_by("pk"))
    for excerpt in candidates:
        collective = (
            excerpt.observation.collective_id
            if excerpt.observation_id
            else excerpt.interview.informant.collective_id
        )
        if collective not in seen and 40 <= len(excerpt.text) <= 400:
            chosen.append(excerpt)
            seen.add(collective)
        if len(chosen) == 3:
            return chosen
    return (chosen + [e for e in candidates if e not in chosen])[:3]


def build(study: StudyPage) -> StudyReportPage:
    page = StudyReportPage.objects.child_of(study).filter(slug=REPORT_SLUG).first()
    if page is not None:
        return page
    u = _users()
    excerpts = _quotes(study)
    page = StudyReportPage(
        title="Premiers constats",
        slug=REPORT_SLUG,
        live=False,
        kind="interim",
        summary="Quatre mois de terrain dans six structures de l'ESS : l'IA générative y entre par la "
        "rédaction, sans décision collective, et soulève surtout des questions de données.",
        change_summary="Première version du rapport intermédiaire.",
        body=_body(excerpts),
    )
    study.add_child(instance=page)
    page.save_revision(user=u["lea"])
    page = StudyReportPage.objects.get(pk=page.pk)
    proposal = _submit(page, u["lea"])
    for key in ("camille", "karim", "lea", "aminata", "hugo", "ines"):
        actions.cast_ballot(proposal, u[key], choice="for")
    past = timezone.now() - timedelta(days=10)
    Proposal.objects.filter(pk=proposal.pk).update(
        opens_at=past - timedelta(days=7),
        closes_at=past,
        created_at=past - timedelta(days=7),
        closed_early_at=None,
    )
    actions.close_proposal(proposal.pk)
    ReportVersion.objects.filter(report=page).update(published_at=past)

    # v2, under vote now: an added paragraph and the figures recomputed at its submission.
    page = StudyReportPage.objects.get(pk=page.pk).get_latest_revision_as_object()
    page.body = _body(excerpts, second=True)
    page.change_summary = "Ajout des chartes d'usage adoptées depuis la v1 ; figures recalculées."
    page.save_revision(user=u["karim"])
    proposal = _submit(StudyReportPage.objects.get(pk=page.pk), u["karim"])
    for key, choice in (("karim", "for"), ("camille", "for")):
        actions.cast_ballot(proposal, u[key], choice=choice)
    return StudyReportPage.objects.get(pk=page.pk)
