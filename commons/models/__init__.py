"""The bureau: its page, colleges, memberships and invitations."""

from .bureau import BureauPage, CitationStyle, College
from .governance import (
    Ballot,
    BallotChange,
    ChainFormatChange,
    Comment,
    Decision,
    DecisionRule,
    Elector,
    KindRule,
    Proposal,
    ProposalOption,
)
from .invitation import Invitation
from .library import Reference, ReferenceType
from .membership import Membership, Role
from .proxies import Proxy
from .resources import Resource, ResourceTheme
from .workflow import CollectiveDecisionTask, CollectiveDecisionTaskState

__all__ = [
    "Ballot", "BallotChange", "BureauPage", "ChainFormatChange", "CitationStyle", "College",
    "CollectiveDecisionTask",
    "CollectiveDecisionTaskState",
    "Comment", "Decision", "DecisionRule", "Elector", "KindRule",
    "Invitation", "Membership", "Proposal", "ProposalOption", "Proxy", "Reference", "ReferenceType",
    "Resource", "ResourceTheme", "Role",
]
