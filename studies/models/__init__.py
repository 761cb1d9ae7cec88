"""The research: studies, the AI tool registry, observations, the codebook, excerpts and memos."""

from .agreement_summaries import CoderCoverage, CoderOverlap, CoderPair, ObservationCoder
from .assessment import (
    ActionStatus,
    Answer,
    AnswerChange,
    Assessment,
    AssessmentStatus,
    Criterion,
    EngagementPlan,
    Evidence,
    Finding,
    Indicator,
    Measurement,
    Objective,
    PlanAction,
    PlanStatus,
    ProgressReview,
    Referential,
    ReferentialVersion,
    Review,
    Rubric,
    Theme,
    VersionLocked,
    VersionStatus,
)
from .coding import Code, CodedObservation, Excerpt, Memo
from .documents import Document
from .erasure import ErasureReason, ErasureRecord, PartyKind
from .interviews import Interview, InterviewMode
from .observations import Observation, ObservationPurpose, Purpose, Setting, Visibility
from .protocol import ProtocolPage, ProtocolVersion
from .readings import Reading
from .registration import Registration
from .report import ReportKind, ReportVersion, StudyReportPage
from .study import AITool, Hosting, StudyPage, StudyStatus
from .tallies import CodeTally

__all__ = [
    "ActionStatus",
    "EngagementPlan",
    "Indicator",
    "Measurement",
    "Objective",
    "PlanAction",
    "PlanStatus",
    "ProgressReview",
    "Answer",
    "AnswerChange",
    "Assessment",
    "AssessmentStatus",
    "Criterion",
    "Evidence",
    "Finding",
    "Referential",
    "ReferentialVersion",
    "Review",
    "Rubric",
    "Theme",
    "VersionLocked",
    "VersionStatus",
    "AITool",
    "Code",
    "CoderCoverage",
    "CoderOverlap",
    "CoderPair",
    "CodeTally",
    "CodedObservation",
    "Document",
    "ErasureReason",
    "ErasureRecord",
    "Excerpt",
    "Hosting",
    "Interview",
    "InterviewMode",
    "Memo",
    "Observation",
    "ObservationCoder",
    "ObservationPurpose",
    "PartyKind",
    "ProtocolPage",
    "ProtocolVersion",
    "Purpose",
    "Reading",
    "Registration",
    "ReportKind",
    "ReportVersion",
    "StudyReportPage",
    "Setting",
    "StudyPage",
    "StudyStatus",
    "Visibility",
]
