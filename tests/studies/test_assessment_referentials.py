"""Referentials as versioned data (messages checked in French, the site's language) (issue 19, item 1): the file format, refusals with their line,
atomic imports (a bad file and a dry run change nothing), the upgrade map, adoption by the
bureau's vote and immutability once adopted."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from commons import actions
from commons.actions import GovernanceError
from commons.models import Proposal
from commons.models.governance import ProposalKind
from commons.rules import ensure_default_rules
from studies.assessments import scoring, validation
from studies.assessments.importing import import_referential
from studies.assessments.validation import InvalidReferential
from studies.assessments.votes import propose_adoption
from studies.models import Criterion, Referential, ReferentialVersion, Rubric, Theme, VersionLocked

from .assessment_data import DEMO_FILE, SMALL, SMALL_V2, line_of

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Referential, ReferentialVersion, Theme, Rubric, Criterion))


def refused(text: str, name: str = "") -> list[validation.Problem]:
    with pytest.raises(InvalidReferential) as error:
        validation.load(text, name)
    return error.value.problems


# --- The format and its refusals --------------------------------------------------------------


def test_the_demo_file_is_valid_and_marked_as_an_example():
    data = validation.load(DEMO_FILE.read_text())
    criteria = [k for t in data["themes"] for r in t["rubrics"] for k in r["criteria"]]
    assert len(data["themes"]) == 4 and len(criteria) == 12
    assert data["referential"]["example"] is True
    assert "EXEMPLE ÉCRIT POUR LA DÉMONSTRATION" in DEMO_FILE.read_text()
    assert data["scale"]["not_applicable"] == "excluded"
    assert data["rule"]["levels"][1] == {"code": "partial", "label": "Partiel", "points": "1"}


def test_yaml_and_json_give_the_same_rule_and_checksum():
    from_yaml = validation.load(SMALL)
    import yaml

    as_json = json.dumps(yaml.safe_load(SMALL), indent=2, ensure_ascii=False)
    from_json = validation.load(as_json, "x.json")
    assert from_json["rule"] == from_yaml["rule"]
    assert scoring.rule_checksum(from_json["rule"]) == scoring.rule_checksum(from_yaml["rule"])


def test_an_unknown_level_is_refused_with_its_line():
    text = SMALL.replace("min_level: partial", "min_level: halfway")
    (problem,) = refused(text)
    assert problem.line == line_of(text, "min_level: halfway")
    assert "halfway" in problem.message and "absent, partial, present" in problem.message


def test_a_cycle_is_refused_with_its_line():
    text = SMALL.replace("{code: C1, title: Critère 1}", "{code: C1, title: Critère 1, depends_on: [C2]}").replace(
        "{code: C2, title: Critère 2, not_applicable_allowed: true}",
        "{code: C2, title: Critère 2, depends_on: [C1]}",
    )
    problems = refused(text)
    assert len(problems) == 1
    assert "en boucle" in problems[0].message and "C1 → C2 → C1" in problems[0].message
    assert problems[0].line in (line_of(text, "code: C1"), line_of(text, "code: C2"))


def test_a_self_dependency_and_an_unknown_dependency_are_refused():
    text = SMALL.replace("{code: C3, title: Critère 3}", "{code: C3, title: Critère 3, depends_on: [C3, C9]}")
    messages = [p.message for p in refused(text)]
    assert any("en boucle" in m for m in messages) and any("C9" in m for m in messages)


def test_a_duplicate_code_is_refused_with_both_lines():
    text = SMALL.replace("{code: C3, title: Critère 3}", "{code: C1, title: Critère 3}")
    (problem,) = refused(text)
    assert problem.line == line_of(text, "{code: C1, title: Critère 3}")
    assert f"ligne {line_of(text, 'code: C1, title: Critère 1')}" in problem.message


def test_a_missing_scale_is_refused_with_its_line():
    start, end = line_of(SMALL, "scale:"), line_of(SMALL, "not_applicable:")
    lines = SMALL.splitlines()
    text = "\n".join(lines[: start - 1] + lines[end:]) + "\n"
    problems = refused(text)
    assert any("L'échelle manque" in p.message and p.line == 1 for p in problems)


def test_a_level_without_points_and_a_scale_of_one_level_are_refused():
    text = SMALL.replace("    - {code: partial, points: 1}\n", "").replace(
        "{code: present, points: 2}", "{code: present}"
    )
    messages = [str(p) for p in refused(text)]
    assert any("pas de points" in m and f"ligne {line_of(text, '{code: present}')}" in m for m in messages)
    one_level = SMALL.replace("    - {code: absent, points: 0}\n", "").replace("    - {code: partial, points: 1}\n", "")
    messages = [p.message for p in refused(one_level)]
    assert any("au moins deux niveaux" in m for m in messages)


def test_syntax_errors_and_duplicate_keys_name_their_line():
    (problem,) = refused("referential:\n  name: x\n  name: y\n")
    assert problem.line == 3 and "deux fois" in problem.message
    (problem,) = refused('{"referential": {"name": "x",\n "name": "y"}}', "f.json")
    assert problem.line == 2 and "deux fois" in problem.message
    (problem,) = refused('{"referential":\n {"name" "x"}}', "f.json")
    assert problem.line == 2
    (problem,) = refused("themes: [\n  a: b\n")
    assert problem.line is not None and problem.line >= 2


def test_json_errors_are_reported_on_their_line():
    import yaml

    data = yaml.safe_load(SMALL)
    data["grades"][0]["prerequisites"][0]["min_level"] = "halfway"
    text = json.dumps(data, indent=2, ensure_ascii=False)
    (problem,) = refused(text, "r.json")
    assert problem.line == line_of(text, '"min_level": "halfway"')


def test_fractions_are_exact_and_bounds_checked():
    assert validation.fraction(0.1) == validation.fraction("1/10")
    text = SMALL.replace("min_score: 1/2", "min_score: 3/2")
    (problem,) = refused(text)
    assert problem.line == line_of(text, "min_score: 3/2")


# --- Importing --------------------------------------------------------------------------------


def test_import_writes_the_tree_and_the_rule_with_its_checksum(bureau, people):
    report = import_referential(SMALL, bureau=bureau, by=people["coordinator"])
    version = ReferentialVersion.objects.get(pk=report.version_id)
    assert (report.themes, report.rubrics, report.criteria) == (2, 2, 3)
    assert list(version.criteria.order_by("position").values_list("code", flat=True)) == ["C1", "C2", "C3"]
    assert version.rule_sha256 == scoring.rule_checksum(version.rule) == report.rule_sha256
    assert Rubric.objects.get(code="R1").essential is True
    assert Criterion.objects.get(code="C2").not_applicable_allowed is True
    assert version.status == "imported"


def test_a_dry_run_and_a_refused_file_change_nothing(bureau):
    before = counts()
    report = import_referential(SMALL, bureau=bureau, dry_run=True)
    assert report.dry_run and report.criteria == 3 and report.version_id is None
    assert counts() == before
    with pytest.raises(InvalidReferential):
        import_referential(SMALL.replace("min_level: partial", "min_level: nope"), bureau=bureau)
    assert counts() == before


def test_a_version_is_never_replaced_by_a_second_import(bureau):
    import_referential(SMALL, bureau=bureau)
    before = counts()
    with pytest.raises(InvalidReferential, match="jamais remplacée"):
        import_referential(SMALL, bureau=bureau)
    assert counts() == before


def test_the_upgrade_map_names_criteria_of_both_versions(bureau):
    import_referential(SMALL, bureau=bureau)
    report = import_referential(SMALL_V2, bureau=bureau)
    v2 = ReferentialVersion.objects.get(pk=report.version_id)
    assert v2.previous.label == "v1" and v2.upgrade_map == {"C1": "C1", "C3": "C3b"}
    before = counts()
    bad_old = SMALL_V2.replace("label: v2", "label: v3").replace("    C3: C3b", "    C9: C3b")
    with pytest.raises(InvalidReferential) as error:
        import_referential(bad_old, bureau=bureau)
    assert error.value.problems[0].line == line_of(bad_old, "C9: C3b")
    bad_new = SMALL_V2.replace("label: v2", "label: v3").replace("    C3: C3b", "    C3: C7")
    with pytest.raises(InvalidReferential) as error:
        import_referential(bad_new, bureau=bureau)
    assert error.value.problems[0].line == line_of(bad_new, "C3: C7")
    unknown_from = SMALL_V2.replace("label: v2", "label: v3").replace("from: v1", "from: v0")
    with pytest.raises(InvalidReferential, match="v0"):
        import_referential(unknown_from, bureau=bureau)
    assert counts() == before


def test_the_command_prints_each_problem_with_its_line_and_changes_nothing(bureau, tmp_path):
    good = tmp_path / "ok.yaml"
    good.write_text(SMALL)
    out = StringIO()
    call_command("import_referential", str(good), "--bureau", bureau.slug, "--dry-run", stdout=out)
    assert "3 critères" in out.getvalue() and not ReferentialVersion.objects.exists()
    bad = tmp_path / "bad.yaml"
    text = SMALL.replace("min_level: partial", "min_level: halfway")
    bad.write_text(text)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_referential", str(bad), "--bureau", bureau.slug, stderr=err)
    assert f"bad.yaml:{line_of(text, 'halfway')}:" in err.getvalue()
    assert not Referential.objects.exists()
    with pytest.raises(CommandError):
        call_command("import_referential", str(good), "--bureau", "nope")
    call_command("import_referential", str(good), "--bureau", bureau.slug, stdout=StringIO())
    assert ReferentialVersion.objects.count() == 1


# --- Adoption by the bureau's vote ------------------------------------------------------------


def decide(proposal: Proposal, people, choice: str = "for"):
    proposal = actions.open_proposal(proposal, people["coordinator"], timezone.now() + timedelta(days=3))
    for who in ("member", "coordinator"):
        actions.cast_ballot(proposal, people[who], choice=choice)
    Proposal.objects.filter(pk=proposal.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    return actions.close_proposal(proposal.pk)


def test_a_version_is_adopted_by_the_bureaus_vote_then_immutable(bureau, people):
    ensure_default_rules(bureau)
    version = ReferentialVersion.objects.get(pk=import_referential(SMALL, bureau=bureau).version_id)
    with pytest.raises(GovernanceError):
        propose_adoption(version, people["observer"])
    proposal = propose_adoption(version, people["member"])
    assert proposal.kind == ProposalKind.REFERENTIAL and proposal.target == version
    assert proposal.rule.method == "majority"  # the table's line for the kind
    with pytest.raises(GovernanceError, match="déjà proposée"):
        propose_adoption(version, people["coordinator"])
    decision = decide(proposal, people)
    version.refresh_from_db()
    assert version.adopted and version.decision == decision
    with pytest.raises(VersionLocked):
        version.notes = "changed"
        version.save()
    with pytest.raises(VersionLocked):
        Criterion.objects.filter(version=version).first().save()
    with pytest.raises(VersionLocked):
        version.delete()
    with pytest.raises(GovernanceError, match="déjà adoptée"):
        propose_adoption(version, people["member"])


def test_a_rejected_adoption_leaves_the_version_open(bureau, people):
    ensure_default_rules(bureau)
    version = ReferentialVersion.objects.get(pk=import_referential(SMALL, bureau=bureau).version_id)
    decide(propose_adoption(version, people["member"]), people, choice="against")
    version.refresh_from_db()
    assert not version.adopted
    propose_adoption(version, people["member"])  # may be proposed again
