"""The research: studies, the AI tool registry, observations, the codebook, excerpts and memos."""

from .coding import Code, CodedObservation, Excerpt, Memo
from .observations import Observation, Purpose, Setting, Visibility
from .study import AITool, Hosting, StudyPage, StudyStatus

__all__ = [
    "AITool",
    "Code",
    "CodedObservation",
    "Excerpt",
    "Hosting",
    "Memo",
    "Observation",
    "Purpose",
    "Setting",
    "StudyPage",
    "StudyStatus",
    "Visibility",
]
