"""The codebook and its use: per-study hierarchical codes, codes on observations and on excerpts, memos.

Codes are taggit tags, but a code's name is unique *within its study* (TagBase makes names
globally unique, which would forbid two studies from both having a code « usages »): `name`
and `slug` are redefined without `unique`, and constraints scope them to the study.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from taggit.models import TagBase, TaggedItemBase

from commons.fields import MarkdownField, html_field

DEFAULT_COLOUR = "#1d6b5f"


def validate_colour(value: str) -> None:
    import re

    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value or ""):
        raise ValidationError(_("A colour is written #RRGGBB."))


class Code(TagBase):
    study = models.ForeignKey("studies.StudyPage", on_delete=models.CASCADE, related_name="codes")
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, allow_unicode=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent code"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    definition = MarkdownField(_("definition"), html_field="definition_html")
    definition_html = html_field()
    colour = models.CharField(_("colour"), max_length=7, default=DEFAULT_COLOUR, validators=[validate_colour])

    class Meta:
        verbose_name = _("code")
        verbose_name_plural = _("codes")
        ordering = ["study", "name"]
        constraints = [
            models.UniqueConstraint(fields=["study", "name"], name="unique_code_name_per_study"),
            models.UniqueConstraint(fields=["study", "slug"], name="unique_code_slug_per_study"),
        ]

    def clean(self) -> None:
        """A parent belongs to the same study and is neither the code itself nor one of its descendants."""
        if self.parent_id is None:
            return
        if self.parent.study_id != self.study_id:
            raise ValidationError({"parent": _("The parent code belongs to another study.")})
        node = self.parent
        while node is not None:
            if node.pk == self.pk:
                raise ValidationError(
                    {"parent": _("A code cannot be placed under itself or one of its sub-codes.")}
                )
            node = node.parent


class CodedObservation(TaggedItemBase):
    """A code applied to a whole observation."""

    tag = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="coded_observations")
    content_object = ParentalKey("studies.Observation", on_delete=models.CASCADE, related_name="coded_items")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tag", "content_object"], name="unique_code_per_observation")
        ]


class Excerpt(models.Model):
    """A character range [start, end) of a source's plain text (observation or interview), by one coder."""

    observation = models.ForeignKey(
        "studies.Observation", null=True, blank=True, on_delete=models.CASCADE, related_name="excerpts"
    )
    interview = models.ForeignKey(
        "studies.Interview", null=True, blank=True, on_delete=models.CASCADE, related_name="excerpts"
    )
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField(help_text=_("The excerpt's text when it was coded (used to re-anchor it)."))
    coder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="excerpts"
    )
    codes = models.ManyToManyField(Code, related_name="excerpts")
    memo = models.TextField(_("memo"), blank=True)
    needs_review = models.BooleanField(
        default=False, help_text=_("The note changed and this text was not found.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["observation", "interview", "start", "end"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="excerpt_not_empty"),
            models.CheckConstraint(
                condition=(
                    models.Q(observation__isnull=False, interview__isnull=True)
                    | models.Q(observation__isnull=True, interview__isnull=False)
                ),
                name="excerpt_in_one_source",
            ),
        ]

    def __str__(self) -> str:
        return f"[{self.start}:{self.end}] {self.text[:40]}"


class Memo(models.Model):
    """A researcher's memo on a code, an observation or an interview (exactly one of them)."""

    study = models.ForeignKey("studies.StudyPage", on_delete=models.CASCADE, related_name="memos")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    code = models.ForeignKey(Code, null=True, blank=True, on_delete=models.CASCADE, related_name="memos")
    observation = models.ForeignKey(
        "studies.Observation", null=True, blank=True, on_delete=models.CASCADE, related_name="memos"
    )
    interview = models.ForeignKey(
        "studies.Interview", null=True, blank=True, on_delete=models.CASCADE, related_name="memos"
    )
    body = MarkdownField(_("memo"), html_field="body_html")
    body_html = html_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(code__isnull=False, observation__isnull=True, interview__isnull=True)
                    | models.Q(code__isnull=True, observation__isnull=False, interview__isnull=True)
                    | models.Q(code__isnull=True, observation__isnull=True, interview__isnull=False)
                ),
                name="memo_on_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author} ({self.created_at:%Y-%m-%d})"
