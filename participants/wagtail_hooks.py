"""Admin registration for participants: member profiles, as a snippet (search by name and organisation).

Collectives, informants, consent forms and consent records are managed per bureau: their admin is
registered by `commons` (`commons.admin_participants`), since `participants` knows nothing of bureaus.
"""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import MemberProfile


class MemberProfileViewSet(SnippetViewSet):
    model = MemberProfile
    icon = "user"
    menu_label = _("Member profiles")
    search_backend_name = None  # plain database search: profiles are few
    list_display = ["display_name", "category", "organisation", "user"]
    list_filter = ["category"]
    search_fields = ["display_name", "organisation"]
    add_to_admin_menu = False


register_snippet(MemberProfileViewSet)


@hooks.register("register_log_actions")
def register_leaving_log_actions(actions):
    """An erased account in Wagtail's audit log: the departed number and the counts, never a name."""
    actions.register_action("bec.member.erase", _("Erase a member's account"), _("Member account erased"))
