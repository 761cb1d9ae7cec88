"""Checks on an uploaded interview recording: its name, its size and what its first bytes say it is.

Why: the form used to trust the file's extension, so an HTML page or a script renamed
``entretien.mp3`` was stored as the bureau's document and served back from the site's domain.
Now the content is sniffed with `filetype` (magic numbers, a maintained library): a recording must
be sound or video whatever its name says. The size limit comes from the environment
(``BEC_MAX_RECORDING_MB``, read into ``settings.BEC_RECORDING_MAX_BYTES``).
"""

from __future__ import annotations

import os

import filetype
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

__all__ = [
    "DEFAULT_MAX_RECORDING_MB",
    "RECORDING_FORMATS",
    "check_recording",
    "recording_formats",
    "recording_max_bytes",
    "sniffed_type",
]

#: Sound and video formats a recording may have (further limited to WAGTAILDOCS_EXTENSIONS if set).
RECORDING_FORMATS = ("mp3", "m4a", "aac", "ogg", "oga", "opus", "wav", "flac", "webm", "mp4")
#: The largest recording accepted when ``BEC_MAX_RECORDING_MB`` is not set: about 3 hours of MP3.
DEFAULT_MAX_RECORDING_MB = 200
#: How much of the file is read to recognise it (filetype needs 261 bytes; containers a little more).
SNIFF_BYTES = 8192


def recording_formats() -> list[str]:
    """The extensions accepted, in the order shown to people."""
    allowed = getattr(settings, "WAGTAILDOCS_EXTENSIONS", None)
    return [ext for ext in RECORDING_FORMATS if allowed is None or ext in allowed]


def recording_max_bytes() -> int:
    """The size limit in bytes (``settings.BEC_RECORDING_MAX_BYTES``, from ``BEC_MAX_RECORDING_MB``)."""
    return getattr(settings, "BEC_RECORDING_MAX_BYTES", DEFAULT_MAX_RECORDING_MB * 1024 * 1024)


def sniffed_type(upload: UploadedFile) -> str | None:
    """The MIME type the file's first bytes show (``audio/mpeg``...), or None when not recognised."""
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(position)
    kind = filetype.guess(head)
    return kind.mime if kind is not None else None


def check_recording(upload: UploadedFile) -> UploadedFile:
    """`upload` if it may be kept as a recording; else a `ValidationError` saying what is wrong.

    In order: the extension (a clear message for an obvious mistake), the size (before reading
    anything), then the content: it must be recognised as sound or video.
    """
    extension = os.path.splitext(upload.name or "")[1].lower().lstrip(".")
    formats = recording_formats()
    if extension not in formats:
        raise forms.ValidationError(
            _("A recording is a sound or video file (%(formats)s); « %(name)s » is not one of them."),
            code="format",
            params={"formats": ", ".join(formats), "name": upload.name},
        )
    limit = recording_max_bytes()
    if upload.size > limit:
        raise forms.ValidationError(
            _("The recording is too large (%(size)s; at most %(limit)s)."),
            code="too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
        )
    mime = sniffed_type(upload)
    if mime is None or mime.split("/")[0] not in ("audio", "video"):
        raise forms.ValidationError(
            _(
                "« %(name)s » is named like a recording but its content is not sound or video "
                "(%(detected)s). Choose the recording file itself."
            ),
            code="content",
            params={"name": upload.name, "detected": mime or _("unrecognised content")},
        )
    return upload
