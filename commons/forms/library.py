"""Forms of the bureau's library: the import (a file, then its confirmation), the list's filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..library.importing import MAX_BYTES
from ..models.bureau import CitationStyle
from ..models.library import KEY_RE, Reference, ReferenceType


class ReferenceImportForm(forms.Form):
    """A BibTeX, RIS or CSL-JSON file (its extension names the format)."""

    file = forms.FileField(
        label=_("File"),
        help_text=_("A .bib (BibTeX), .ris (RIS) or .json (CSL-JSON, Zotero's « CSL JSON » export) file, "
                    "at most %(limit)s MB.") % {"limit": MAX_BYTES // 1024 // 1024},
        widget=forms.ClearableFileInput(attrs={"accept": ".bib,.ris,.json"}),
    )


class CitationStyleForm(forms.Form):
    """The bureau's citation style, chosen by its coordinators on the library page."""

    citation_style = forms.ChoiceField(label=_("Citation style"), choices=CitationStyle.choices)


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


class ReferenceForm(forms.ModelForm):
    """One reference typed by hand; authors one per line, « Family, Given » or an institution as is."""

    authors_text = forms.CharField(
        label=_("Authors"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: « Family, Given », or an institution's name as it is."),
    )
    url = forms.URLField(label=_("URL"), required=False, max_length=1000, assume_scheme="https")

    class Meta:
        model = Reference
        fields = ["key", "kind", "title", "year", "container", "volume", "issue", "pages", "publisher", "doi",
                  "url", "abstract", "language"]
        widgets = {"abstract": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, bureau, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bureau = bureau
        self.fields["year"].widget.attrs.update(min=1000, max=2999)
        self.fields["year"].validators.append(_year_range)
        if self.instance.pk:
            self.fields["authors_text"].initial = "\n".join(
                a.get("literal") or ", ".join(p for p in (a.get("family", ""), a.get("given", "")) if p)
                for a in self.instance.authors or ()
            )

    def clean_key(self) -> str:
        key = self.cleaned_data["key"].strip()
        if not KEY_RE.match(key):
            raise forms.ValidationError(_("A citation key is letters, digits and : . - _ / without spaces."))
        taken = Reference.objects.filter(bureau=self.bureau, key__iexact=key).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("This citation key is already used in the library."))
        return key

    def clean_authors_text(self) -> str:
        text = self.cleaned_data["authors_text"]
        authors = []
        for line in text.splitlines():
            line = " ".join(line.split())
            if not line:
                continue
            family, comma, given = line.partition(",")
            if not comma:
                authors.append({"literal": line})
            else:
                authors.append({"family": family.strip(), "given": given.strip()} if given.strip()
                               else {"family": family.strip()})
        self.instance.authors = authors[:100]
        return text


def _year_range(value) -> None:
    if value is not None and not 1000 <= value <= 2999:
        raise forms.ValidationError(_("A year between 1000 and 2999."))
