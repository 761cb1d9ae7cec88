"""People: member profiles, observed collectives, informants, and their consent."""

from .collectives import Collective, Informant, LegalForm, SizeBand
from .consent import ConsentForm, ConsentRecord, ConsentScope
from .profile import MemberProfile, StakeholderCategory, display_name

__all__ = [
    "Collective",
    "ConsentForm",
    "ConsentRecord",
    "ConsentScope",
    "Informant",
    "LegalForm",
    "MemberProfile",
    "SizeBand",
    "StakeholderCategory",
    "display_name",
]
