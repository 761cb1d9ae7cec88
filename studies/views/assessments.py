"""Assessment pages: referentials and assessments of a study, answering, steps and results.

Team pages (`studies.permissions`): the team reads, contributors answer, coordinators take an
assessment through review. Every assessment is looked up through `Assessment.objects.consented()`:
an assessment of a collective that withdrew its « assessment » consent is a 404 everywhere, at once.
Collectives appear by pseudonym code only. Each page costs a fixed number of queries whatever the
size of the grid or the number of answers (the criteria, with their rubric and theme, in one query;
the answers, with their assessors, in one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from commons.actions import GovernanceError
from commons.models import Proposal
from commons.models.governance import ProposalKind, Status
from commons.views.proposals import detail_url
from participants.models import display_name

from .. import permissions
from ..analysis import charts
from ..assessments import evidence as evidence_service
from ..assessments import plans, scoring, services
from ..assessments.services import AssessmentError
from ..assessments.votes import propose_adoption
from ..forms import AnswerForm, EvidenceForm, NewAssessmentForm
from ..models import (
    ActionStatus,
    Answer,
    Assessment,
    AssessmentStatus,
    Criterion,
    EngagementPlan,
    Finding,
    Indicator,
    PlanAction,
    PlanStatus,
    ReferentialVersion,
    Review,
    StudyPage,
)
from ..models.assessment import Direction, Severity, Verdict

VIEW_ONLY = _("Observers read the assessments; members and coordinators answer them.")


def _url(study: StudyPage, name: str, *args) -> str:
    return study.url + study.reverse_subpage(name, args=args)


def _assessment(study: StudyPage, assessment_id: int) -> Assessment:
    found = (
        Assessment.objects.consented()
        .filter(study=study, pk=assessment_id)
        .select_related("version__referential", "collective")
        .first()
    )
    if found is None:
        raise Http404(_("No such assessment in this study."))
    return found


def _subject(assessment: Assessment) -> str:
    return assessment.collective.code if assessment.collective_id else _("the bureau itself")


# --- The grid as a tree ------------------------------------------------------------------------


@dataclass
class RubricNode:
    rubric: object
    criteria: list = field(default_factory=list)
    score: Fraction | None = None


@dataclass
class ThemeNode:
    theme: object
    rubrics: list[RubricNode] = field(default_factory=list)
    score: Fraction | None = None


def grid(version: ReferentialVersion) -> tuple[list[ThemeNode], list[Criterion]]:
    """The version's themes → rubrics → criteria from one query."""
    criteria = list(
        Criterion.objects.filter(version=version).select_related("rubric__theme").order_by("position")
    )
    themes: dict[int, ThemeNode] = {}
    rubrics: dict[int, RubricNode] = {}
    for criterion in criteria:
        rubric, theme = criterion.rubric, criterion.rubric.theme
        if theme.pk not in themes:
            themes[theme.pk] = ThemeNode(theme)
        if rubric.pk not in rubrics:
            rubrics[rubric.pk] = RubricNode(rubric)
            themes[theme.pk].rubrics.append(rubrics[rubric.pk])
        rubrics[rubric.pk].criteria.append(criterion)
    return list(themes.values()), criteria


def level_labels(version: ReferentialVersion) -> dict[str, str]:
    return {level["code"]: level["label"] for level in version.rule["levels"]} | {"na": _("not applicable")}


def readable_prerequisites(prerequisites: list[dict], labels: dict[str, str]) -> list[dict]:
    """The grade's prerequisites with each level named by its label (« Partiel »), as members read
    the scale, not by the code the rule file uses (`partial`)."""
    return [
        {**p, "min_level": labels.get(p["min_level"], p["min_level"])} if p.get("min_level") else p
        for p in prerequisites
    ]


def percent(value: Fraction | None) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f} %".replace(".", ",")


# --- Referentials and the list of assessments -------------------------------------------------


@permissions.contributor_required(VIEW_ONLY, team_reads=True, policy=permissions.can_assess)
def assessment_index(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """The bureau's referential versions, the study's assessments, and opening a new one."""
    form = NewAssessmentForm(study, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                assessment = services.create_assessment(
                    study,
                    form.cleaned_data["version"],
                    request.user,
                    collective=form.cleaned_data["collective"],
                    assessed_on=form.cleaned_data["assessed_on"],
                )
            except AssessmentError as error:
                form.add_error(None, str(error))
            else:
                return redirect(_url(study, "assessment_detail", assessment.pk))
        status = 400
    else:
        status = 200
    versions = list(
        ReferentialVersion.objects.filter(referential__bureau_id=study.bureau.pk)
        .select_related("referential")
        .order_by("referential__name", "imported_at", "pk")
    )
    pending = _pending(versions)
    for version in versions:
        version.url = _url(study, "referential_version", version.pk)
        version.pending = pending.get(version.pk)
    assessments = list(
        Assessment.objects.consented()
        .filter(study=study)
        .select_related("version__referential", "collective")
    )
    for assessment in assessments:
        assessment.url = _url(study, "assessment_detail", assessment.pk)
        assessment.results_url = _url(study, "assessment_results", assessment.pk)
        assessment.subject = _subject(assessment)
    return render(
        request,
        "studies/assessments/index.html",
        {
            "page": study,
            "versions": versions,
            "assessments": assessments,
            "form": form,
            "can_assess": permissions.can_assess(request.user, study),
            "overview_url": _url(study, "assessment_overview"),
        },
        status=status,
    )


def _pending(versions: list[ReferentialVersion]) -> dict[int, Proposal]:
    """Each version's draft or running adoption vote, in one query."""
    if not versions:
        return {}
    rows = Proposal.objects.filter(
        kind=ProposalKind.REFERENTIAL,
        target_type=ContentType.objects.get_for_model(ReferentialVersion),
        target_id__in=[v.pk for v in versions],
        status__in=(Status.DRAFT, Status.OPEN),
    ).order_by("pk")
    return {row.target_id: row for row in rows}


@permissions.contributor_required(
    _("Only the bureau's voting members propose to adopt a referential version."), team_reads=True
)
def referential_version(request: HttpRequest, study: StudyPage, version_id: int) -> HttpResponse:
    """One version: its grid, its scoring rule and checksum; POST proposes its adoption to the bureau."""
    version = (
        ReferentialVersion.objects.filter(referential__bureau_id=study.bureau.pk, pk=version_id)
        .select_related("referential", "decision")
        .first()
    )
    if version is None:
        raise Http404(_("No such referential version in this bureau."))
    if request.method == "POST":
        try:
            proposal = propose_adoption(version, request.user)
        except GovernanceError as error:
            messages.error(request, str(error))
            return redirect(_url(study, "referential_version", version.pk))
        messages.success(request, _("The adoption is proposed to the bureau."))
        return redirect(detail_url(study.bureau, proposal))
    themes, criteria = grid(version)
    labels = level_labels(version)
    pending = _pending([version]).get(version.pk)
    return render(
        request,
        "studies/assessments/version.html",
        {
            "page": study,
            "version": version,
            "themes": themes,
            "criteria_count": len(criteria),
            "rule": version.rule,
            "grades": [
                {**grade, "prerequisites": readable_prerequisites(grade["prerequisites"], labels)}
                for grade in version.rule.get("grades", ())
            ],
            "pending": pending,
            "pending_url": detail_url(study.bureau, pending) if pending else "",
            "can_propose": permissions.can_contribute(request.user, study),
        },
    )


# --- One assessment ---------------------------------------------------------------------------


def _answers(assessment: Assessment) -> list[Answer]:
    return list(Answer.objects.filter(assessment=assessment).select_related("assessor__bec_profile"))


def _steps(request: HttpRequest, study: StudyPage, assessment: Assessment) -> list[tuple[str, str, str]]:
    """The steps this visitor may take now: (action, label, url)."""
    labels = {
        "submit": _("Submit the assessment"),
        "start_review": _("Start the review"),
        "request_changes": _("Request changes"),
        "mark_reviewed": _("Mark as reviewed"),
        "freeze": _("Freeze the assessment"),
    }
    steps = []
    for action, (sources, _target) in services.TRANSITIONS.items():
        if assessment.status not in sources:
            continue
        allowed = (
            permissions.can_assess(request.user, study)
            if action == "submit"
            else permissions.can_steer_assessment(request.user, study)
        )
        if allowed:
            steps.append((action, labels[action], _url(study, "assessment_step", assessment.pk, action)))
    return steps


@permissions.team_required
def assessment_detail(request: HttpRequest, study: StudyPage, assessment_id: int) -> HttpResponse:
    """The grid with, per criterion, the visitor's answer and where the assessors agree or not."""
    assessment = _assessment(study, assessment_id)
    themes, criteria = grid(assessment.version)
    answers = _answers(assessment)
    agreed = services.consensus(
        assessment, criteria, [(a.criterion_id, a.assessor_id, a.level) for a in answers]
    )
    labels = level_labels(assessment.version)
    names = {a.assessor_id: display_name(a.assessor) for a in answers}
    mine = {a.criterion_id: a for a in answers if a.assessor_id == request.user.pk}
    for criterion in criteria:
        criterion.url = _url(study, "assessment_answer", assessment.pk, criterion.pk)
        own = mine.get(criterion.pk)
        criterion.my_level = labels.get(own.level, "") if own and own.level else ""
        criterion.agreed = labels.get(agreed.levels.get(criterion.code, ""), "")
        criterion.disagreement = [
            (names[assessor], labels.get(level, level))
            for assessor, level in agreed.disagreements.get(criterion.code, {}).items()
        ]
    return render(
        request,
        "studies/assessments/detail.html",
        {
            "page": study,
            "assessment": assessment,
            "subject": _subject(assessment),
            "themes": themes,
            "missing": len(agreed.missing),
            "disagreements": len(agreed.disagreements),
            "steps": _steps(request, study, assessment),
            "editable": assessment.status in services.EDITABLE
            and permissions.can_assess(request.user, study),
            "results_url": _url(study, "assessment_results", assessment.pk),
            "review_url": _url(study, "assessment_review", assessment.pk),
            "evidence_url": _url(study, "assessment_evidence", assessment.pk),
            "plan_url": _url(study, "assessment_plan", assessment.pk),
            "upgrade_url": _url(study, "assessment_upgrade", assessment.pk)
            if permissions.can_steer_assessment(request.user, study)
            else "",
            "index_url": _url(study, "assessments"),
        },
    )


@permissions.contributor_required(VIEW_ONLY, team_reads=True, policy=permissions.can_assess)
def assessment_answer(
    request: HttpRequest, study: StudyPage, assessment_id: int, criterion_id: int
) -> HttpResponse:
    """One criterion: the visitor's answer (never pre-filled), the others' answers beside it."""
    assessment = _assessment(study, assessment_id)
    themes, criteria = grid(assessment.version)
    position = next((i for i, c in enumerate(criteria) if c.pk == criterion_id), None)
    if position is None:
        raise Http404(_("This criterion is not in the assessment's referential version."))
    criterion = criteria[position]
    answers = [a for a in _answers(assessment) if a.criterion_id == criterion.pk]
    own = next((a for a in answers if a.assessor_id == request.user.pk), None)
    initial = own.values() if own else None
    form = AnswerForm(assessment.version, criterion, request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():
                    answer = services.record_answer(assessment, criterion, request.user, form.cleaned_data)
                    chosen = [int(v) for v in request.POST.getlist("evidence") if v.isdigit() and len(v) < 19]
                    evidence_service.attach(answer, chosen)
            except AssessmentError as error:
                form.add_error(None, str(error))
            else:
                following = criteria[position + 1] if position + 1 < len(criteria) else None
                if following is not None and "next" in request.POST:
                    return redirect(_url(study, "assessment_answer", assessment.pk, following.pk))
                return redirect(
                    _url(study, "assessment_detail", assessment.pk) + f"#criterion-{criterion.pk}"
                )
        status = 400
    labels = level_labels(assessment.version)
    offered = list(evidence_service.subject_evidence(assessment))
    attached = set(  # one query whether or not the visitor has answered yet
        Answer.evidence.through.objects.filter(
            answer__assessment=assessment, answer__criterion=criterion, answer__assessor=request.user
        ).values_list("evidence_id", flat=True)
    )
    others = [
        (display_name(a.assessor), labels.get(a.level, "—") if a.level else "—", a.comment)
        for a in answers
        if a.assessor_id != request.user.pk
    ]
    return render(
        request,
        "studies/assessments/answer.html",
        {
            "page": study,
            "assessment": assessment,
            "subject": _subject(assessment),
            "criterion": criterion,
            "form": form,
            "others": others,
            "offered": offered,
            "attached": attached,
            "evidence_url": _url(study, "assessment_evidence", assessment.pk),
            "position": position + 1,
            "total": len(criteria),
            "editable": assessment.status in services.EDITABLE
            and permissions.can_assess(request.user, study),
            "has_next": position + 1 < len(criteria),
            "previous_url": _url(study, "assessment_answer", assessment.pk, criteria[position - 1].pk)
            if position
            else "",
            "detail_url": _url(study, "assessment_detail", assessment.pk),
        },
        status=status,
    )


@permissions.contributor_required(VIEW_ONLY, policy=permissions.can_assess)
@require_POST
def assessment_step(request: HttpRequest, study: StudyPage, assessment_id: int, action: str) -> HttpResponse:
    """Submit (contributors) or take through review and freeze (coordinators); refusals say why."""
    assessment = _assessment(study, assessment_id)
    if action not in services.TRANSITIONS:
        raise Http404(_("Unknown step."))
    if action != "submit" and not permissions.can_steer_assessment(request.user, study):
        messages.error(request, _("Only the bureau's coordinators take an assessment through its review."))
        return redirect(_url(study, "assessment_detail", assessment.pk))
    try:
        services.transition(assessment, action, request.user)
    except AssessmentError as error:
        messages.error(request, str(error))
    return redirect(_url(study, "assessment_detail", assessment.pk))


# --- Results ----------------------------------------------------------------------------------


@permissions.team_required
def assessment_results(request: HttpRequest, study: StudyPage, assessment_id: int) -> HttpResponse:
    """Scores per rubric, theme and overall, the grade reached and why not the next, the weakest
    rubric, the formula; the frozen stages beside the current computation."""
    assessment = _assessment(study, assessment_id)
    themes, criteria = grid(assessment.version)
    agreed = services.consensus(assessment, criteria)
    # Once reviewed, the levels that count are the reviewer's where recorded (both are kept).
    reviewed = assessment.status in (AssessmentStatus.REVIEWED, AssessmentStatus.FROZEN)
    result = scoring.score(
        assessment.version.rule, services.reviewed_levels(assessment) if reviewed else agreed.levels
    )
    for theme in themes:
        theme.score = result.themes[theme.theme.code].score
        theme.percent = percent(theme.score)
        for node in theme.rubrics:
            node.score = result.rubrics[node.rubric.code].score
            node.percent = percent(node.score)
    frozen = assessment.frozen_scores or {}
    stages = [
        (stage, label)
        for stage, label in (("self", _("self-assessed")), ("final", _("final")))
        if stage in frozen
    ]
    rubric_rows = [node for theme in themes for node in theme.rubrics]
    series = (
        [] if "final" in frozen else [(_("now"), [round(float(n.score or 0) * 100, 1) for n in rubric_rows])]
    )
    for stage, label in stages:
        series.append(
            (
                label,
                [
                    round(float(Fraction(frozen[stage]["rubrics"].get(n.rubric.code) or 0)) * 100, 1)
                    for n in rubric_rows
                ],
            )
        )
    chart = charts.bar(
        _("Score per rubric (%)"),
        _("Share of the possible points reached in each rubric, computed from the referential's rule."),
        [n.rubric.code for n in rubric_rows],
        series,
    )
    grades = [
        {
            "code": g["code"],
            "label": g["label"],
            "min_score": g["min_score"],
            "percent": percent(Fraction(g["min_score"])),
            "prerequisites": readable_prerequisites(g["prerequisites"], level_labels(assessment.version)),
            "reasons": [r.replace("overall", _("overall")) for r in result.grades.get(g["code"], [])],
        }
        for g in assessment.version.rule["grades"]
    ]
    labels = level_labels(assessment.version)
    previous = (
        Assessment.objects.consented()
        .filter(study=study, collective_id=assessment.collective_id, assessed_on__lt=assessment.assessed_on)
        .order_by("-assessed_on", "-pk")
        .first()
    )
    return render(
        request,
        "studies/assessments/results.html",
        {
            "page": study,
            "assessment": assessment,
            "subject": _subject(assessment),
            "themes": themes,
            "result": result,
            "overall": percent(result.overall),
            "overall_fraction": result.overall,
            "grade": next((g for g in grades if g["code"] == result.grade), None),
            "grades": grades,
            "weakest": next((n for n in rubric_rows if n.rubric.code == result.weakest_rubric), None),
            "chart": chart,
            "levels": assessment.version.rule["levels"],
            "level_labels": labels,
            "not_applicable": assessment.version.rule["not_applicable"],
            "not_applicable_percent": percent(Fraction(assessment.version.rule["not_applicable"]))
            if assessment.version.rule["not_applicable"] != "excluded"
            else "",
            "missing": result.missing,
            "disagreements": sorted(agreed.disagreements),
            "stages": [
                (
                    label,
                    percent(Fraction(frozen[s]["overall"])) if frozen[s]["overall"] else "—",
                    frozen[s]["grade"],
                )
                for s, label in stages
            ],
            "rule_sha256": assessment.version.rule_sha256,
            "frozen_sha256": frozen.get("rule_sha256", ""),
            "detail_url": _url(study, "assessment_detail", assessment.pk),
            "downloads": [
                (
                    label,
                    _url(study, f"assessment_{table}_csv", assessment.pk),
                    _url(study, f"assessment_{table}_xlsx", assessment.pk),
                )
                for table, label in (("answers", _("Answers")), ("scores", _("Scores")), ("plan", _("Plan")))
            ],
            "previous": previous,
            "compare_url": f"{_url(study, 'assessment_compare')}?a={previous.pk}&b={assessment.pk}"
            if previous
            else "",
        },
    )


# --- Review -----------------------------------------------------------------------------------


@permissions.contributor_required(
    _("Only the bureau's coordinators record a review."),
    team_reads=True,
    policy=permissions.can_steer_assessment,
)
def assessment_review(request: HttpRequest, study: StudyPage, assessment_id: int) -> HttpResponse:
    """Per criterion, the self-assessed level and the reviewer's (both kept), the finding and its
    severity; the verdict. Recorded while the assessment is in review."""
    assessment = _assessment(study, assessment_id)
    themes, criteria = grid(assessment.version)
    review = Review.objects.filter(assessment=assessment).select_related("reviewer__bec_profile").first()
    findings = {f.criterion_id: f for f in Finding.objects.filter(review=review)} if review else {}
    status = 200
    error = ""
    if request.method == "POST" and "propose_close" in request.POST:
        from ..assessments.votes import propose_review_closing

        try:
            proposal = propose_review_closing(assessment, request.user)
        except GovernanceError as refusal:
            messages.error(request, str(refusal))
            return redirect(_url(study, "assessment_review", assessment.pk))
        return redirect(detail_url(study.bureau, proposal))
    if request.method == "POST":
        posted = {
            c.pk: {
                "reviewed_level": request.POST.get(f"level-{c.pk}", ""),
                "finding": request.POST.get(f"finding-{c.pk}", "")[:5000],
                "severity": request.POST.get(f"severity-{c.pk}", ""),
            }
            for c in criteria
        }
        try:
            services.record_review(
                assessment,
                request.user,
                findings=posted,
                verdict=request.POST.get("verdict", ""),
                verdict_text=request.POST.get("verdict_text", "")[:5000],
                auditor_name=request.POST.get("auditor_name", "")[:200],
            )
        except AssessmentError as refusal:
            error, status = str(refusal), 400
        else:
            messages.success(request, _("The review is saved."))
            return redirect(_url(study, "assessment_review", assessment.pk))
    agreed = services.consensus(assessment, criteria)
    labels = level_labels(assessment.version)
    for criterion in criteria:
        criterion.self_level = labels.get(agreed.levels.get(criterion.code, ""), "—")
        criterion.finding = findings.get(criterion.pk)
        criterion.level_choices = [
            (level["code"], level["label"]) for level in assessment.version.rule["levels"]
        ]
        if criterion.not_applicable_allowed:
            criterion.level_choices.append(("na", labels["na"]))
    return render(
        request,
        "studies/assessments/review.html",
        {
            "page": study,
            "assessment": assessment,
            "subject": _subject(assessment),
            "themes": themes,
            "review": review,
            "reviewer_name": display_name(review.reviewer) if review and review.reviewer else "",
            "verdicts": Verdict.choices,
            "severities": Severity.choices,
            "editable": assessment.status == "in_review"
            and permissions.can_steer_assessment(request.user, study),
            "error": error,
            "detail_url": _url(study, "assessment_detail", assessment.pk),
        },
        status=status,
    )


# --- Evidence ---------------------------------------------------------------------------------


@permissions.contributor_required(VIEW_ONLY, team_reads=True, policy=permissions.can_assess)
def assessment_evidence(request: HttpRequest, study: StudyPage, assessment_id: int) -> HttpResponse:
    """The evidence about the assessment's subject (files served through the consent check), and
    adding a file or a link."""
    assessment = _assessment(study, assessment_id)
    form = EvidenceForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                evidence_service.add_evidence(
                    assessment,
                    request.user,
                    title=data["title"],
                    url=data["url"],
                    upload=data["file"],
                    dated=data["dated"],
                    valid_until=data["valid_until"],
                    personal_data=data["personal_data"],
                )
            except AssessmentError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The evidence is added."))
                return redirect(_url(study, "assessment_evidence", assessment.pk))
        status = 400
    pieces = list(evidence_service.subject_evidence(assessment))
    today = timezone.localdate()
    for piece in pieces:
        piece.expired = piece.valid_until is not None and piece.valid_until < today
    return render(
        request,
        "studies/assessments/evidence.html",
        {
            "page": study,
            "assessment": assessment,
            "subject": _subject(assessment),
            "pieces": pieces,
            "form": form,
            "can_add": assessment.status in services.EDITABLE and permissions.can_assess(request.user, study),
            "detail_url": _url(study, "assessment_detail", assessment.pk),
        },
        status=status,
    )


# --- Engagement plan --------------------------------------------------------------------------


def _date(value: str):
    from django.utils.dateparse import parse_date

    try:
        parsed = parse_date(value or "")
    except ValueError:
        parsed = None
    if parsed is None:
        raise AssessmentError(_("« %(value)s » is not a date (YYYY-MM-DD).") % {"value": value[:20]})
    return parsed


def _plan_post(request: HttpRequest, study: StudyPage, assessment: Assessment, plan) -> None:
    """One form of the plan page, named by its `form` field; a refusal raises `AssessmentError`."""
    post = request.POST
    form = post.get("form", "")
    if form == "create" and plan is None:
        plans.create_plan(
            assessment,
            request.user,
            title=post.get("title", "")[:200] or _("Engagement plan"),
            starts_on=_date(post.get("starts_on", "")),
            ends_on=_date(post.get("ends_on", "")),
        )
        return
    if plan is None:
        raise AssessmentError(_("Create the plan first."))
    if form == "objective":
        codes = [c.strip() for c in post.get("criteria", "").replace(";", ",").split(",") if c.strip()]
        plans.add_objective(plan, title=post.get("title", "")[:300], criterion_codes=codes)
    elif form == "action":
        objective = plan.objectives.filter(pk=_int(post.get("objective"))).first()
        if objective is None:
            raise AssessmentError(_("Choose the action's objective."))
        plans.add_action(
            objective,
            title=post.get("title", ""),
            owner=post.get("owner", ""),
            starts_on=_date(post["starts_on"]) if post.get("starts_on") else None,
            due_on=_date(post["due_on"]) if post.get("due_on") else None,
        )
    elif form == "action_status":
        action = PlanAction.objects.filter(objective__plan=plan, pk=_int(post.get("action"))).first()
        if action is None:
            raise AssessmentError(_("Unknown action."))
        plans.set_action_status(action, post.get("status", ""))
    elif form in ("action_evidence", "action_link"):
        action = (
            PlanAction.objects.filter(objective__plan=plan, pk=_int(post.get("action")))
            .select_related("objective__plan__assessment")
            .first()
        )
        if action is None:
            raise AssessmentError(_("Unknown action."))
        if form == "action_link":
            plans.add_action_link(
                action, request.user, title=post.get("title", "")[:200], url=post.get("url", "")[:2000]
            )
        else:
            ids = [_int(value) for value in post.getlist("evidence")[:500]]
            if None in ids:
                raise AssessmentError(_("Unknown evidence."))
            plans.attach_evidence(action, ids)
    elif form == "review_held":
        review = plan.progress_reviews.filter(pk=_int(post.get("review"))).first()
        if review is None:
            raise AssessmentError(_("Unknown progress review."))
        plans.record_review_held(
            review, held_on=_date(post.get("held_on", "")), summary=post.get("summary", "")[:5000]
        )
    elif form == "indicator":
        objective = (
            plan.objectives.filter(pk=_int(post.get("objective"))).first() if post.get("objective") else None
        )
        plans.add_indicator(
            plan,
            name=post.get("name", "")[:200],
            unit=post.get("unit", "")[:40],
            direction=post.get("direction", ""),
            baseline=post.get("baseline", "")[:30],
            target=post.get("target", "")[:30],
            method=post.get("method", "")[:5000],
            objective=objective,
        )
    elif form == "progress_review":
        plans.add_progress_review(
            plan, scheduled_on=_date(post.get("scheduled_on", "")), notes=post.get("notes", "")[:5000]
        )
    elif form == "propose":
        try:
            plans.propose_plan(plan, request.user)
        except GovernanceError as error:
            raise AssessmentError(str(error)) from error
    else:
        raise AssessmentError(_("Unknown form."))


def _int(value) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 19 else None


def _series_chart(indicator, measurements) -> str:
    labels = [m.measured_on.strftime("%d/%m/%Y") for m in measurements]
    values = [float(m.value) for m in measurements]
    return charts.line(
        _("%(name)s (%(unit)s)") % {"name": indicator.name, "unit": indicator.unit},
        _("Measured values, with the baseline and the target."),
        labels,
        [
            (_("measured"), values),
            (_("baseline"), [float(indicator.baseline)] * len(values)),
            (_("target"), [float(indicator.target)] * len(values)),
        ],
    )


@permissions.contributor_required(VIEW_ONLY, team_reads=True, policy=permissions.can_assess)
def assessment_plan(request: HttpRequest, study: StudyPage, assessment_id: int) -> HttpResponse:
    """The engagement plan of a frozen assessment: objectives, actions, indicators with their series
    charted, progress reviews; its forms while a draft, its adoption by the bureau's vote."""
    assessment = _assessment(study, assessment_id)
    plan = EngagementPlan.objects.filter(assessment=assessment).select_related("decision").first()
    status, error = 200, ""
    if request.method == "POST":
        try:
            with transaction.atomic():
                _plan_post(request, study, assessment, plan)
        except AssessmentError as refusal:
            status, error = 400, str(refusal)
        else:
            return redirect(_url(study, "assessment_plan", assessment.pk))
    context = {
        "page": study,
        "assessment": assessment,
        "subject": _subject(assessment),
        "plan": plan,
        "error": error,
        "can_edit": permissions.can_assess(request.user, study),
        "detail_url": _url(study, "assessment_detail", assessment.pk),
        "action_statuses": ActionStatus.choices,
        "directions": Direction.choices,
    }
    if plan is not None:
        objectives = list(
            plan.objectives.prefetch_related("criteria", "actions__evidence__document")
        )
        indicators = list(plan.indicators.prefetch_related("measurements"))
        for indicator in indicators:
            series = list(indicator.measurements.all())
            indicator.series = series
            indicator.url = _url(study, "plan_indicator", assessment.pk, indicator.pk)
            indicator.latest = series[-1] if series else None
            indicator.progress = percent(plans.progress(indicator, series[-1].value)) if series else "—"
            indicator.chart = _series_chart(indicator, series) if len(series) >= 1 else ""
        pending = plans.pending_adoption(plan)
        context.update(
            {
                "objectives": objectives,
                "indicators": indicators,
                "reviews": list(plan.progress_reviews.all()),
                "subject_evidence": list(evidence_service.subject_evidence(assessment)),
                "today": timezone.localdate(),
                "pending": pending,
                "pending_url": detail_url(study.bureau, pending) if pending else "",
                "is_draft": plan.status == PlanStatus.DRAFT,
            }
        )
    return render(request, "studies/assessments/plan.html", context, status=status)


@permissions.contributor_required(VIEW_ONLY, team_reads=True, policy=permissions.can_assess)
def plan_indicator(
    request: HttpRequest, study: StudyPage, assessment_id: int, indicator_id: int
) -> HttpResponse:
    """One indicator: its series charted and listed (append-only), and recording a new value."""
    assessment = _assessment(study, assessment_id)
    indicator = (
        Indicator.objects.filter(plan__assessment=assessment, pk=indicator_id).select_related("plan").first()
    )
    if indicator is None:
        raise Http404(_("No such indicator in this plan."))
    status, error = 200, ""
    if request.method == "POST":
        try:
            plans.record_measurement(
                indicator,
                request.user,
                measured_on=_date(request.POST.get("measured_on", "")),
                value=request.POST.get("value", "")[:30],
                note=request.POST.get("note", ""),
            )
        except AssessmentError as refusal:
            status, error = 400, str(refusal)
        else:
            return redirect(_url(study, "plan_indicator", assessment.pk, indicator.pk))
    series = list(indicator.measurements.select_related("recorded_by__bec_profile"))
    for measurement in series:
        measurement.progress = percent(plans.progress(indicator, measurement.value))
        measurement.by = display_name(measurement.recorded_by) if measurement.recorded_by else "—"
    return render(
        request,
        "studies/assessments/indicator.html",
        {
            "page": study,
            "assessment": assessment,
            "subject": _subject(assessment),
            "indicator": indicator,
            "series": series,
            "chart": _series_chart(indicator, series) if series else "",
            "error": error,
            "can_measure": indicator.plan.status == PlanStatus.ADOPTED
            and permissions.can_assess(request.user, study),
            "plan_url": _url(study, "assessment_plan", assessment.pk),
        },
        status=status,
    )


# --- Exports and comparison -------------------------------------------------------------------


@permissions.team_required
def assessment_export(request: HttpRequest, study: StudyPage, assessment_id: int, table: str, fmt: str):
    """The answers, the scores or the plan as CSV or XLSX (`commons.spreadsheets`)."""
    from commons.spreadsheets import csv_response, xlsx_response

    from ..assessments import exports

    assessment = _assessment(study, assessment_id)
    if table not in exports.TABLES or fmt not in ("csv", "xlsx"):
        raise Http404(_("Unknown download."))
    subject = assessment.collective.code if assessment.collective_id else "bureau"
    filename = f"evaluation-{subject}-{assessment.assessed_on:%Y-%m-%d}-{table}.{fmt}"
    data = list(exports.rows(assessment, table))
    if fmt == "csv":
        return csv_response(filename, data)
    return xlsx_response(filename, data, title=table)


@permissions.team_required
def assessment_compare(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """Two assessments of the same subject, on the criteria they share (through the upgrade map when
    the later one is on the next version); a change of version or of scoring rule is flagged."""
    from ..assessments import comparison

    ids = [_int(request.GET.get(key)) for key in ("a", "b")]
    found = {
        a.pk: a
        for a in Assessment.objects.consented()
        .filter(study=study, pk__in=[i for i in ids if i])
        .select_related("version__referential", "collective")
    }
    first, second = found.get(ids[0]), found.get(ids[1])
    if first is None or second is None:
        raise Http404(_("Choose two assessments of this study."))
    if first.collective_id != second.collective_id:
        raise Http404(_("Only two assessments of the same subject are compared."))
    if (second.assessed_on, second.pk) < (first.assessed_on, first.pk):
        first, second = second, first
    result = comparison.compare(first, second)
    labels = level_labels(first.version) | level_labels(second.version)
    for row in result.rows:
        row.before_label = labels.get(row.before, row.before or "—")
        row.after_label = labels.get(row.after, row.after or "—")
    return render(
        request,
        "studies/assessments/compare.html",
        {
            "page": study,
            "first": first,
            "second": second,
            "subject": _subject(first),
            "result": result,
            "before_overall": percent(result.before_overall),
            "after_overall": percent(result.after_overall),
        },
    )


#: Below this many collectives, no comparison across collectives is shown (a small group would let a
#: reader recognise a collective behind its code). Overridable: settings.BEC_ASSESSMENT_MIN_GROUP.
MIN_GROUP = 5


@permissions.team_required
def assessment_overview(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """Frozen assessments compared across collectives, per referential version: each collective's
    latest final score by pseudonym code, and the mean per rubric — only from `MIN_GROUP` collectives."""
    from django.conf import settings

    minimum = getattr(settings, "BEC_ASSESSMENT_MIN_GROUP", MIN_GROUP)
    latest: dict[int, dict[int, Assessment]] = {}
    rows = (
        Assessment.objects.consented()
        .filter(study=study, status=AssessmentStatus.FROZEN, collective__isnull=False)
        .select_related("collective", "version__referential")
        .order_by("version_id", "collective_id", "-assessed_on", "-pk")
    )
    versions = {}
    for assessment in rows:
        versions[assessment.version_id] = assessment.version
        latest.setdefault(assessment.version_id, {}).setdefault(assessment.collective_id, assessment)
    groups = []
    for version_id, by_collective in latest.items():
        version = versions[version_id]
        members = sorted(by_collective.values(), key=lambda a: a.collective.code)
        group = {"version": version, "count": len(members), "shown": len(members) >= minimum}
        if group["shown"]:
            grades = {g["code"]: g["label"] for g in version.rule["grades"]}
            group["rows"] = [
                {
                    "code": a.collective.code,
                    "date": a.assessed_on,
                    "overall": percent(Fraction(a.frozen_scores["final"]["overall"]))
                    if a.frozen_scores["final"]["overall"]
                    else "—",
                    "grade": grades.get(a.frozen_scores["final"]["grade"], "—"),
                }
                for a in members
            ]
            rubric_codes = [r["code"] for t in version.rule["themes"] for r in t["rubrics"]]
            means = []
            for code in rubric_codes:
                values = [
                    Fraction(a.frozen_scores["final"]["rubrics"][code])
                    for a in members
                    if a.frozen_scores["final"]["rubrics"].get(code)
                ]
                means.append((code, sum(values, Fraction(0)) / len(values) if values else None))
            group["means"] = [(code, percent(value)) for code, value in means]
            group["chart"] = charts.bar(
                _("Mean score per rubric (%)"),
                _("Mean of the collectives' latest final scores, rubric by rubric."),
                [code for code, _value in means],
                [(_("mean"), [round(float(value or 0) * 100, 1) for _code, value in means])],
            )
        groups.append(group)
    return render(
        request,
        "studies/assessments/overview.html",
        {"page": study, "groups": groups, "minimum": minimum},
    )


@permissions.contributor_required(
    _("Only the bureau's coordinators upgrade an assessment."), policy=permissions.can_steer_assessment
)
def assessment_upgrade(request: HttpRequest, study: StudyPage, assessment_id: int) -> HttpResponse:
    """Open a new draft on the next adopted version, carrying exactly the answers its upgrade map names
    (asks first: the page lists what is carried and what starts unanswered)."""
    assessment = _assessment(study, assessment_id)
    following = list(
        ReferentialVersion.objects.filter(previous=assessment.version, status="adopted").order_by("pk")
    )
    chosen = next((v for v in following if v.pk == _int(request.POST.get("version"))), None)
    if request.method == "POST":
        if chosen is None:
            messages.error(request, _("Choose a later version adopted by the bureau."))
            return render(
                request,
                "studies/assessments/upgrade.html",
                {
                    "page": study,
                    "assessment": assessment,
                    "subject": _subject(assessment),
                    "following": following,
                },
                status=400,
            )
        try:
            new = services.upgrade(assessment, chosen, request.user)
        except AssessmentError as error:
            messages.error(request, str(error))
            return redirect(_url(study, "assessment_detail", assessment.pk))
        messages.success(request, _("The new assessment carries the mapped answers; the others start empty."))
        return redirect(_url(study, "assessment_detail", new.pk))
    return render(
        request,
        "studies/assessments/upgrade.html",
        {"page": study, "assessment": assessment, "subject": _subject(assessment), "following": following},
    )
