"""The REFI-QDA import form of the study's « Échanges » page (`studies.views.refi`)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

ACCEPTED = (".qdpx", ".qdc")


class RefiImportForm(forms.Form):
    """A `.qdpx` project or a `.qdc` codebook, no larger than the archive limit of the settings."""

    file = forms.FileField(
        label=_("REFI-QDA file"),
        help_text=_("A project (.qdpx) or a codebook (.qdc) exported by NVivo, ATLAS.ti, MAXQDA, QualCoder…"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith(ACCEPTED):
            raise forms.ValidationError(_("Choose a .qdpx project or a .qdc codebook."))
        limit = settings.BEC_EXCHANGE_MAX_ARCHIVE_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large (at most %(max)d MB).") % {"max": limit // (1024 * 1024)}
            )
        return upload
