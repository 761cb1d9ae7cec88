"""Fixtures for the analysis tests: a seeded, varied study, and the figures recomputed in plain Python.

`build_study(...)` makes observations (three collectives of different legal forms, AI tools,
purposes, months, two coders, overlapping and nested excerpts) and interviews of an informant,
at a chosen size. The `Reference` class recomputes every table from the model rows with plain
Python (its own consent check, its own overlap test), so the SQL of `studies.analysis` is checked
against counts obtained another way.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from django.utils import timezone

from commons.models import Role
from participants.models import ConsentForm, ConsentRecord, Informant
from studies.models import AITool, Code, Excerpt, Interview, Observation

PURPOSES = ["writing", "summarising", "translating", "ideation"]
TEXT = (
    "Lors de la réunion du lundi, l'équipe utilise ChatGPT pour rédiger la lettre d'information. "
    "La coordinatrice relit chaque texte et corrige les erreurs. Certains refusent l'outil par principe "
    "et préfèrent écrire à la main, ce qui crée des tensions sur le temps de travail."
)


@dataclass
class World:
    study: object
    coders: list
    observer: object
    collectives: list
    informant: Informant
    codes: dict[str, Code]
    tools: list[AITool]
    observations: list[Observation] = field(default_factory=list)
    interviews: list[Interview] = field(default_factory=list)


def build_study(bureau, study, make_person, make_collective, *, observations: int = 12, seed: int = 7) -> World:
    rng = random.Random(seed)
    coders = [make_person(bureau, Role.MEMBER), make_person(bureau, Role.COORDINATOR)]
    observer = make_person(bureau, Role.OBSERVER)
    collectives = [
        make_collective(bureau, "Association Réelle", legal_form="association", sector="culture", territory="Lyon",
                        size_band="1-9"),
        make_collective(bureau, "SCOP Véritable", legal_form="scop", sector="numérique", territory="Villeurbanne",
                        size_band="10-49"),
        make_collective(bureau, "Tiers-lieu Secret", legal_form="tiers_lieu", sector="culture", territory="Lyon"),
    ]
    form, _created = ConsentForm.objects.get_or_create(
        bureau=bureau, title="Consentement entretien", version=1, defaults={"text": "Texte."}
    )
    informant = Informant.objects.create(collective=collectives[1], pseudonym="Noé", identifying_details="Noé Vrai")
    ConsentRecord.objects.create(form=form, informant=informant, scopes=["interview"])
    family = Code.objects.create(study=study, name="Usages", slug="usages")
    codes = {
        "usages": family,
        "redaction": Code.objects.create(study=study, name="Rédaction", slug="redaction", parent=family),
        "synthese": Code.objects.create(study=study, name="Synthèse", slug="synthese", parent=family),
        "tensions": Code.objects.create(study=study, name="Tensions", slug="tensions"),
        "controle": Code.objects.create(study=study, name="Contrôle humain", slug="controle"),
    }
    tools = [AITool.objects.get_or_create(name=name)[0] for name in ("ChatGPT", "Mistral Le Chat", "DeepL")]
    world = World(study, coders, observer, collectives, informant, codes, tools)
    today = date(2026, 6, 15)
    names = list(codes)
    for index in range(observations):
        observation = Observation.objects.create(
            study=study, collective=collectives[index % 3], observer=coders[index % 2], setting="meeting",
            title=f"Note {index}", body=TEXT, observed_on=today - timedelta(days=31 * (index % 4) + index),
            purposes=rng.sample(PURPOSES, rng.randint(0, 2)),
        )
        observation.ai_tools.set(rng.sample(tools, rng.randint(0, 2)))
        world.observations.append(observation)
        _excerpts(rng, observation, coders, codes, names, field_name="observation")
    for index in range(max(2, observations // 6)):
        interview = Interview.objects.create(
            study=study, informant=informant, interviewer=coders[0], title=f"Entretien {index}", transcript=TEXT,
            conducted_on=today - timedelta(days=20 * index),
        )
        world.interviews.append(interview)
        _excerpts(rng, interview, coders, codes, names, field_name="interview")
    return world


def _excerpts(rng, source, coders, codes, names, *, field_name: str) -> None:
    length = len(source.plain_text)
    for _ in range(rng.randint(1, 4)):
        start = rng.randrange(0, length - 40)
        end = start + rng.randint(10, 80)
        excerpt = Excerpt.objects.create(
            **{field_name: source}, coder=rng.choice(coders), start=start, end=min(end, length),
            text=source.plain_text[start:end], memo=rng.choice(["", "à revoir", "=1+1 mémo"]),
        )
        excerpt.codes.set([codes[name] for name in rng.sample(names, rng.randint(1, 2))])


def withdraw(collective) -> None:
    collective.consents.update(withdrawn_at=timezone.now() - timedelta(seconds=1))


class Reference:
    """Every figure recomputed from the rows, in Python (consent checked here, not with `consented()`)."""

    def __init__(self, study) -> None:
        now = timezone.now()

        def in_force(records, scope):
            return any(
                scope in record.scopes and record.given_at <= now
                and (record.withdrawn_at is None or record.withdrawn_at > now)
                for record in records
            )

        self.observations = [
            o for o in Observation.objects.filter(study=study).select_related("collective")
            .prefetch_related("collective__consents", "ai_tools")
            if in_force(o.collective.consents.all(), "observation")
        ]
        self.interviews = [
            i for i in Interview.objects.filter(study=study).select_related("informant__collective")
            .prefetch_related("informant__consents", "informant__collective__consents")
            # The DESIGN's rule: an informant's material needs their collective's consent as well.
            if in_force(i.informant.consents.all(), "interview")
            and in_force(i.informant.collective.consents.all(), "interview")
        ]
        ok_obs = {o.pk for o in self.observations}
        ok_int = {i.pk for i in self.interviews}
        self.excerpts = [
            e for e in Excerpt.objects.prefetch_related("codes").select_related("observation", "interview")
            if (e.observation_id in ok_obs) or (e.interview_id in ok_int)
        ]
        self.codes = {code.pk: code for code in Code.objects.filter(study=study)}
        for excerpt in self.excerpts:
            excerpt.code_ids = {code.pk for code in excerpt.codes.all()}
            excerpt.source_key = ("o", excerpt.observation_id) if excerpt.observation_id else ("i", excerpt.interview_id)
            source = excerpt.observation or excerpt.interview
            excerpt.collective_id = source.collective_id if excerpt.observation_id else source.informant.collective_id

    def subtree(self, pk: int) -> set[int]:
        out = {pk}
        changed = True
        while changed:
            changed = False
            for code in self.codes.values():
                if code.parent_id in out and code.pk not in out:
                    out.add(code.pk)
                    changed = True
        return out

    def frequencies(self, pk: int, rolled: bool = False) -> dict[str, int]:
        wanted = self.subtree(pk) if rolled else {pk}
        chosen = [e for e in self.excerpts if e.code_ids & wanted]
        return {
            "excerpts": len(chosen),
            "sources": len({e.source_key for e in chosen}),
            "collectives": len({e.collective_id for e in chosen}),
            "coders": len({e.coder_id for e in chosen if e.coder_id}),
        }

    @staticmethod
    def overlap(a, b) -> bool:
        return a.source_key == b.source_key and a.start < b.end and b.start < a.end

    def cooccurrence(self, a: int, b: int, unit: str) -> tuple[int, Fraction | None]:
        if unit == "source":
            with_a = {e.source_key for e in self.excerpts if a in e.code_ids}
            with_b = {e.source_key for e in self.excerpts if b in e.code_ids}
            both, union = with_a & with_b, with_a | with_b
            return len(both), (Fraction(len(both), len(union)) if union else None)
        hits = set()
        for x in self.excerpts:
            for mine, other in ((a, b), (b, a)):
                if mine in x.code_ids and any(other in y.code_ids and self.overlap(x, y) for y in self.excerpts):
                    hits.add(x.pk)
        union = {e.pk for e in self.excerpts if {a, b} & e.code_ids}
        return len(hits), (Fraction(len(hits), len(union)) if union else None)

    def crosstab_tools_purposes(self) -> dict[tuple[int, str], int]:
        cells: dict[tuple[int, str], int] = defaultdict(int)
        for o in self.observations:
            for tool in o.ai_tools.all():
                for purpose in set(o.purposes):
                    cells[tool.pk, purpose] += 1
        return dict(cells)

    def crosstab_codes_legal_forms(self) -> dict[tuple[int, str], int]:
        pairs = set()
        for e in self.excerpts:
            source = e.observation or e.interview
            legal_form = source.collective.legal_form if e.observation_id else source.informant.collective.legal_form
            for code in e.code_ids:
                pairs.add((code, legal_form, e.source_key))
        cells: dict[tuple[int, str], int] = defaultdict(int)
        for code, legal_form, _source in pairs:
            cells[code, legal_form] += 1
        return dict(cells)
