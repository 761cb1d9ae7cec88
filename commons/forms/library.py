"""Forms of the bureau's library: the import (a file, then its confirmation), the list's filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..library.importing import MAX_BYTES
from ..models.library import ReferenceType


class ReferenceImportForm(forms.Form):
    """A BibTeX, RIS or CSL-JSON file (its extension names the format)."""

    file = forms.FileField(
        label=_("File"),
        help_text=_("A .bib (BibTeX), .ris (RIS) or .json (CSL-JSON, Zotero's « CSL JSON » export) file, "
                    "at most %(limit)s MB.") % {"limit": MAX_BYTES // 1024 // 1024},
        widget=forms.ClearableFileInput(attrs={"accept": ".bib,.ris,.json"}),
    )


class ReferenceConfirmForm(forms.Form):
    """The previewed file sent back for the import itself (re-read and re-planned on confirmation)."""

    name = forms.CharField(max_length=255, widget=forms.HiddenInput)
    text = forms.CharField(max_length=MAX_BYTES, strip=False, widget=forms.HiddenInput)


class LibraryFilterForm(forms.Form):
    """The list's filters (GET); a bad value is ignored rather than refused."""

    q = forms.CharField(label=_("Title, author or key contains"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("every type")), *ReferenceType.choices]
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1000, max_value=2999)
