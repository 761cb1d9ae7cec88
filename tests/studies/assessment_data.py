"""Small referential files for the assessment tests (YAML text, line numbers known)."""

from __future__ import annotations

from pathlib import Path

DEMO_FILE = Path(__file__).resolve().parents[2] / "studies/assessments/referentials/ia-generative-ess.yaml"

SMALL = """\
referential:
  name: Petit référentiel
  publisher: Tests
version:
  label: v1
scale:
  levels:
    - {code: absent, points: 0}
    - {code: partial, points: 1}
    - {code: present, points: 2}
  not_applicable: excluded
grades:
  - code: bronze
    min_score: 1/2
    prerequisites:
      - {rubrics: essential, min_level: partial}
themes:
  - code: T1
    title: Thème 1
    rubrics:
      - code: R1
        title: Rubrique 1
        essential: true
        criteria:
          - {code: C1, title: Critère 1}
          - {code: C2, title: Critère 2, not_applicable_allowed: true}
  - code: T2
    title: Thème 2
    rubrics:
      - code: R2
        title: Rubrique 2
        criteria:
          - {code: C3, title: Critère 3}
"""

SMALL_V2 = (
    SMALL.replace("label: v1", "label: v2")
    .replace("{code: C3, title: Critère 3}", "{code: C3b, title: Critère 3 reformulé}\n          - {code: C4, title: Nouveau}")
    + "upgrade:\n  from: v1\n  map:\n    C1: C1\n    C3: C3b\n"
)


ALL_SMALL = {"C1": "present", "C2": "na", "C3": "absent"}


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line containing `needle`."""
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def adopted(bureau, text: str = SMALL):
    """Import `text` into `bureau` and mark it adopted (the vote itself is tested elsewhere)."""
    from studies.assessments.importing import import_referential
    from studies.models import ReferentialVersion, VersionStatus

    report = import_referential(text, bureau=bureau)
    ReferentialVersion.objects.filter(pk=report.version_id).update(status=VersionStatus.ADOPTED)
    return ReferentialVersion.objects.get(pk=report.version_id)


def answer_all(assessment, by, levels: dict[str, str]):
    from studies.assessments import services

    for criterion in assessment.version.criteria.all():
        if criterion.code in levels:
            level = levels[criterion.code]
            services.record_answer(
                assessment,
                criterion,
                by,
                {"level": level, "justification": "Sans objet ici." if level == "na" else ""},
            )
