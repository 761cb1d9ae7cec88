"""The forms of the study pages, one module per page family; import them from here.

Forms parse and check a request: every choice is scoped to the study (its bureau's collectives and
informants, its own codes), consent is checked where material is recorded, and a source records the
protocol version it follows (`base.FollowsProtocolVersion`). The rules that change data live in the
services (`studies.codebook`); the views only wire a form to a service and a template.
"""

from .agreement import COMPARE_ERROR, CoderPairForm
from .assessments import AnswerForm, EvidenceForm, NewAssessmentForm
from .base import DateInput, FollowsProtocolVersion
from .codebook import CODE_MEMO_HELP, CodeForm, MergeForm
from .coding import ExcerptForm, MemoForm, ObservationCodesForm
from .exchange import RefiImportForm
from .interviews import (
    MAX_DURATION,
    InformantChoiceField,
    InterviewForm,
    bureau_informants,
)
from .observations import (
    CodeChoiceField,
    CollectiveChoiceField,
    ObservationEditForm,
    ObservationFilterForm,
    ObservationForm,
    bureau_collectives,
)

__all__ = [
    "AnswerForm",
    "EvidenceForm",
    "NewAssessmentForm",
    "RefiImportForm",
    "CODE_MEMO_HELP",
    "COMPARE_ERROR",
    "MAX_DURATION",
    "CodeChoiceField",
    "CodeForm",
    "CoderPairForm",
    "CollectiveChoiceField",
    "DateInput",
    "ExcerptForm",
    "FollowsProtocolVersion",
    "InformantChoiceField",
    "InterviewForm",
    "MemoForm",
    "MergeForm",
    "ObservationCodesForm",
    "ObservationEditForm",
    "ObservationFilterForm",
    "ObservationForm",
    "bureau_collectives",
    "bureau_informants",
]
