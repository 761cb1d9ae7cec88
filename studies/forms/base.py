"""What the study forms share: the date input, and stamping the protocol version a source follows."""

from __future__ import annotations

from django import forms

from ..versions import version_in_force


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class FollowsProtocolVersion:
    """A model form of a source (observation, interview) that records the protocol version it followed.

    One rule, in one place: a new source follows the study's version in force when the form is
    opened (`studies.versions.version_in_force`); an edited one keeps the version it was recorded
    under, so later versions do not rewrite the past. The form exposes it as ``protocol_version``
    (the observation grid and the interview page show it) and stamps it on the instance at save.
    """

    protocol_version = None

    def follow_protocol(self, study) -> None:
        """Call from ``__init__``, once ``self.instance`` is set."""
        instance = self.instance
        self.protocol_version = instance.protocol_version if instance.pk else version_in_force(study)

    def save(self, commit: bool = True):
        self.instance.protocol_version = self.protocol_version
        return super().save(commit=commit)
