"""Forms of the commons, one module per page family: `members` (invitations, memberships) and
`proposals` (drafting, ballots, discussion, vote actions).

Forms shape and check what people type; they ask the policies (`commons.permissions`), the
membership model and `commons.voting` what is allowed, and leave state changes to
`commons.actions`. Import them from here: ``from commons.forms import ProposalForm``.
"""

from .library import (
    CitationStyleForm,
    LibraryFilterForm,
    ReferenceConfirmForm,
    ReferenceForm,
    ReferenceImportForm,
)
from .members import InvitationForm, MembershipForm
from .proposals import (
    DATETIME_LOCAL_FORMATS,
    MAX_OPTIONS,
    CommentForm,
    DateTimeLocalInput,
    ExtendForm,
    OpenForm,
    ProposalForm,
    ballot_choices,
    ballot_from_post,
    grade_choices,
    rule_label,
)

__all__ = [
    "DATETIME_LOCAL_FORMATS",
    "MAX_OPTIONS",
    "CommentForm",
    "DateTimeLocalInput",
    "ExtendForm",
    "InvitationForm",
    "CitationStyleForm",
    "LibraryFilterForm",
    "ReferenceConfirmForm",
    "ReferenceForm",
    "ReferenceImportForm",
    "MembershipForm",
    "OpenForm",
    "ProposalForm",
    "ballot_choices",
    "ballot_from_post",
    "grade_choices",
    "rule_label",
]
