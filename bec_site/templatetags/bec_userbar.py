"""`{% bec_userbar %}`: Wagtail's userbar, only on a page the signed-in person may edit.

Why: Wagtail's `{% wagtailuserbar %}` renders for anyone with access to the admin (every voting
member of a bureau) on every page, and asks for it the person's admin profile, their page
permissions and the page's workflow state: about half the time of a signed-in request on a plain
page (`make bench`, issue 15). Its items are about the page shown (edit it, add a page under it,
explore its siblings); where the person may do none of that it offers only a link to the admin,
which the site's menu already has (« Edit the site »). So it is rendered only where the person
holds an editing permission on the page or an ancestor (`participants.permission_cache.may_edit_here`,
answered from the cached permissions, no query), and always in the admin's preview, where the
editor's accessibility checker lives in it.
"""

from __future__ import annotations

from django import template
from wagtail.admin.templatetags.wagtailuserbar import get_page_instance, wagtailuserbar

from participants.permission_cache import may_edit_here

register = template.Library()


@register.simple_tag(takes_context=True)
def bec_userbar(context, position: str = "bottom-right") -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    in_preview = getattr(request, "is_preview", False) or getattr(request, "in_preview_panel", False)
    if not in_preview and not may_edit_here(user, get_page_instance(context)):
        return ""
    return wagtailuserbar(context, position)
