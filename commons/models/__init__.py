"""The bureau: its page, colleges, memberships and invitations."""

from .bureau import BureauPage, College
from .invitation import Invitation
from .membership import Membership, Role

__all__ = ["BureauPage", "College", "Invitation", "Membership", "Role"]
