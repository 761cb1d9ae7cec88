"""Coding a source: an excerpt and its codes, the codes of a whole observation, a memo.

The forms parse and check the request against the source (offsets within its text, the text still
the one the browser showed); the codes offered are the study's only, so a code of another study is
refused as a field error.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from participants.text import is_blank

from ..codebook import MAX_MEMO
from ..models import Code, StudyPage
from ..sources import OBSERVATIONS, SourceKind


def _codes_field(study: StudyPage, *, required: bool) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=Code.objects.filter(study=study),
        required=required,
        error_messages={
            "required": gettext_lazy("Pick at least one code."),
            "invalid_choice": gettext_lazy("This code is not in this study's codebook."),
            "invalid_pk_value": gettext_lazy("This code is not in this study's codebook."),
            "invalid_list": gettext_lazy("Pick codes from this study's codebook."),
        },
    )


class ExcerptForm(forms.Form):
    """A passage [start, end) of a source's plain text, its codes and an optional memo.

    The messages naming the text (« the note », « the transcript ») come from the source's kind.
    """

    start = forms.IntegerField(
        label=gettext_lazy("Start"),
        min_value=0,
        error_messages={
            "invalid": gettext_lazy("The start of the passage must be a whole number."),
            "min_value": gettext_lazy("The start of the passage cannot be negative."),
        },
    )
    end = forms.IntegerField(
        label=gettext_lazy("End"),
        min_value=0,
        error_messages={
            "invalid": gettext_lazy("The end of the passage must be a whole number."),
            "min_value": gettext_lazy("The end of the passage cannot be negative."),
        },
    )
    memo = forms.CharField(
        label=gettext_lazy("Memo (optional)"),
        required=False,
        max_length=MAX_MEMO,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # What the browser showed as selected: refused if the text changed since the page was loaded.
    selected_text = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, study: StudyPage, source, kind: SourceKind = OBSERVATIONS, **kwargs):
        super().__init__(*args, **kwargs)
        self.source, self.kind = source, kind
        self.fields["start"].error_messages["required"] = kind.wording["start_required"]
        self.fields["end"].error_messages["required"] = kind.wording["end_required"]
        self.fields["codes"] = _codes_field(study, required=True)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start is None or end is None:
            return data
        text = self.kind.plain_text(self.source)
        if end <= start:
            message = _(
                "The passage is empty or reversed: its end (%(end)s) must come after its start (%(start)s)."
            )
            raise forms.ValidationError(message % {"start": start, "end": end}, code="reversed")
        if end > len(text):
            message = str(self.kind.wording["out_of_range"])
            raise forms.ValidationError(message % {"length": len(text)}, code="out_of_range")
        passage = text[start:end]
        expected = data.get("selected_text") or ""
        version = data.get("version")
        if (expected and expected != passage) or (
            not expected and version is not None and version != self.source.version
        ):
            raise forms.ValidationError(self.kind.wording["stale"], code="stale")
        if is_blank(passage):
            raise forms.ValidationError(_("The selected passage is only blank space."), code="blank")
        data["text"] = passage
        return data


class ObservationCodesForm(forms.Form):
    def __init__(self, *args, study: StudyPage, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["codes"] = _codes_field(study, required=False)


class MemoForm(forms.Form):
    """A memo (Markdown) on a source or on a code: required once trimmed, at most `MAX_MEMO` characters.

    `help_text` says what the memo is about where the form is shown (a code's memo, a source's).
    """

    body = forms.CharField(
        label=gettext_lazy("New memo"),
        max_length=MAX_MEMO,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Markdown: **bold**, *italics*, lists, links."),
        error_messages={"required": gettext_lazy("The memo is empty.")},
    )

    def __init__(self, *args, help_text: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if help_text is not None:
            self.fields["body"].help_text = help_text

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if is_blank(body):
            raise forms.ValidationError(_("The memo is empty."))
        return body
