"""Admin registration for commons: memberships and invitations as read-mostly viewsets."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from .models import Invitation, Membership


class MembershipViewSet(ModelViewSet):
    model = Membership
    icon = "group"
    menu_label = _("Memberships")
    list_display = ["user", "bureau", "role", "college", "joined_at", "left_at"]
    list_filter = ["bureau", "role", "left_at"]
    search_fields = ["user__email", "user__bec_profile__display_name"]
    search_backend_name = None
    form_fields = ["user", "bureau", "role", "college", "joined_at", "left_at"]


class NoAddPermissionPolicy(ModelPermissionPolicy):
    """Invitations are created from the bureau's members page, which emails the single-use link."""

    def user_has_permission(self, user, action):
        return action != "add" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


class InvitationViewSet(ModelViewSet):
    model = Invitation
    icon = "mail"
    menu_label = _("Invitations")
    list_display = ["email", "bureau", "role", "college", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["bureau", "role"]
    search_fields = ["email"]
    search_backend_name = None
    form_fields = ["expires_at"]


register_permission_policy(Invitation, NoAddPermissionPolicy(Invitation))


class CommonsViewSetGroup(ViewSetGroup):
    menu_label = _("Bureaus")
    menu_icon = "site"
    items = (MembershipViewSet, InvitationViewSet)


@hooks.register("register_admin_viewset")
def register_viewsets():
    return CommonsViewSetGroup()


@hooks.register("register_log_actions")
def register_governance_log_actions(actions):
    """Proposal lifecycle events in Wagtail's audit log (Reports › Site history)."""
    actions.register_action("bec.proposal.open", _("Open a vote"), _("Vote opened"))
    actions.register_action("bec.proposal.extend", _("Extend a vote"), _("Vote extended"))
    actions.register_action("bec.proposal.withdraw", _("Withdraw a proposal"), _("Proposal withdrawn"))
    actions.register_action("bec.proposal.decide", _("Record a decision"), _("Decision recorded"))
