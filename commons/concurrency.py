"""Refuse, on the server, a page save built on an out-of-date revision.

Wagtail warns co-editors in the browser (editing-session notices, the "overwrite a newer version"
dialog) and refuses stale *autosaves*, but a plain form POST from an outdated editor is saved as
the newest revision: the colleague's edit silently disappears from the draft. Pages that are
co-edited (the protocol; later the report pages) use `RefuseStaleSavesForm`, which applies to
every POST the rule Wagtail applies to autosaves. The editor is re-rendered with the person's
text and the error, so nothing is lost on either side; saving again, having seen the newer
version, is a deliberate overwrite.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminPageForm

from participants.models import display_name


def stale_revision_error(page, data: Mapping[str, str]) -> str | None:
    """The message to show when `data` (the POST) was built on an older revision than the latest one.

    Mirrors `wagtail.admin.views.pages.edit.EditView.is_out_of_date`, except that a POST which does
    not say which revision it was built on is refused too (the editor always says it).
    """
    if page.pk is None:
        return None  # creating a page: nothing to overwrite
    latest = page.revisions.order_by("-created_at", "-pk").select_related("user").first()
    if latest is None:
        return None
    overwrite = data.get("overwrite_revision_id")
    loaded = data.get("loaded_revision_id")
    if overwrite:
        stale = overwrite != str(latest.pk)
    elif loaded:
        stale = loaded != str(latest.pk) or data.get("loaded_revision_created_at", "") != (
            latest.created_at.isoformat()
        )
    else:
        stale = True
    if not stale:
        return None
    who = display_name(latest.user) if latest.user_id else _("someone")
    return _(
        "Not saved: %(who)s saved a newer version of this page on %(when)s, after you opened it. "
        "Your text is still in the form below: compare it with the newer version (History), then "
        "save again to keep yours, or reload the page to start from theirs."
    ) % {"who": who, "when": timezone.localtime(latest.created_at).strftime("%d/%m/%Y %H:%M:%S")}


class RefuseStaleSavesForm(WagtailAdminPageForm):
    """Base form of co-edited pages: a stale save is a form error, not a lost update."""

    def clean(self):
        cleaned = super().clean()
        error = stale_revision_error(self.instance, self.data)
        if error:
            self.add_error(None, error)
        return cleaned
