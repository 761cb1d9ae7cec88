"""Resources: the bureau's public inventory of guides, tools, trainings, reports and data sets.

A member proposes a resource (status « proposed »: seen by the bureau's members only); it becomes
public when it is published — by a coordinator directly, or by the adoption of a proposal of kind
« publication of a resource » when the bureau's « kind → rule » table has a line for that kind
(`commons.resources`). Themes are taggit tags (the shared `taggit.Tag` table, through
`ResourceTheme`), so the same theme reads the same across bureaus.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from ..fields import MarkdownField, html_field


class ResourceKind(models.TextChoices):
    GUIDE = "guide", _("guide")
    TOOL = "tool", _("tool")
    TRAINING = "training", _("training")
    REPORT = "report", _("report")
    DATASET = "dataset", _("data set")


class ResourceLanguage(models.TextChoices):
    FR = "fr", _("French")
    EN = "en", _("English")
    MULTI = "multi", _("several languages")
    OTHER = "other", _("other language")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("everyone")
    COLLECTIVES = "collectives", _("ESS collectives")
    VOLUNTEERS = "volunteers", _("volunteers and employees")
    RESEARCHERS = "researchers", _("researchers")
    TRAINERS = "trainers", _("trainers and facilitators")
    TECHNICAL = "technical", _("technical teams")


class ResourceStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    PUBLISHED = "published", _("published")


class ResourceQuerySet(models.QuerySet):
    def published(self) -> ResourceQuerySet:
        """What public pages, the feed and the counts read: published resources only."""
        return self.filter(status=ResourceStatus.PUBLISHED, published_at__isnull=False)


class ResourceTheme(TaggedItemBase):
    content_object = models.ForeignKey(
        "commons.Resource", on_delete=models.CASCADE, related_name="tagged_themes"
    )


class Resource(models.Model):
    bureau = models.ForeignKey("commons.BureauPage", on_delete=models.CASCADE, related_name="resources")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind of resource"), max_length=20, choices=ResourceKind.choices)
    summary = MarkdownField(_("summary"), html_field="summary_html", help_text=_("Markdown."))
    summary_html = html_field()
    url = models.URLField(_("link"), max_length=500)
    licence = models.CharField(_("licence"), max_length=120, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=ResourceLanguage.choices, default=ResourceLanguage.FR
    )
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.EVERYONE
    )
    themes = TaggableManager(through=ResourceTheme, blank=True, verbose_name=_("themes"))
    status = models.CharField(
        _("status"), max_length=20, choices=ResourceStatus.choices, default=ResourceStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["bureau", "status", "published_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == ResourceStatus.PUBLISHED
