"""People: member profiles, observed collectives, informants, and their consent."""

from .collectives import Collective, Informant, LegalForm, SizeBand
from .consent import ConsentForm, ConsentRecord, ConsentScope
from .leaving import LeaveRequest
from .profile import MemberProfile, StakeholderCategory, departed_label, display_name

__all__ = [
    "Collective",
    "ConsentForm",
    "ConsentRecord",
    "ConsentScope",
    "Informant",
    "LeaveRequest",
    "LegalForm",
    "MemberProfile",
    "SizeBand",
    "StakeholderCategory",
    "departed_label",
    "display_name",
]
