"""Admin views shared by the participants' snippets.

`ProtectedDeleteView`: deleting a collective that has observations, an informant who was
interviewed, a consent form that records point at... is refused by the database's protected
foreign keys (`ProtectedError`). Wagtail's reference index does not know these links (observations
and interviews are not snippets), so its delete view tried, and the admin answered 500. Here the
refusal is a message naming what still depends on the object, and nothing is deleted: consent
records and the material they cover go away through withdrawal and erasure, not a delete button.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import ProtectedError
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from wagtail.snippets.views.snippets import DeleteView


def dependants(error: ProtectedError) -> str:
    """« 3 observations, 1 interview »: what the protected foreign keys point from, counted by kind."""
    counts: dict[str, int] = {}
    for obj in error.protected_objects:
        meta = obj._meta
        label = str(meta.verbose_name_plural)
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{count} {label}" for label, count in sorted(counts.items()))


class ProtectedDeleteView(DeleteView):
    """Wagtail's snippet delete view, refusing with a message when other records still need the object."""

    def form_valid(self, form) -> HttpResponse:
        try:
            return super().form_valid(form)
        except ProtectedError as error:
            messages.error(
                self.request,
                _("%(object)s cannot be deleted: other records still depend on it (%(records)s).")
                % {"object": capfirst(str(self.object)), "records": dependants(error)},
            )
            return HttpResponseRedirect(self.get_success_url())
