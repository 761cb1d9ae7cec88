"""The site's home page: what wagtail-bec is, and the list of bureaus."""

from __future__ import annotations

from django.db import models
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page


class HomePage(Page):
    intro = models.TextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["commons.BureauPage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        from commons import page_cache
        from commons.models import BureauPage

        # Public: anonymous visitors may get the home page from the cache (commons.page_cache).
        page_cache.mark(request, quotes=False)
        context = super().get_context(request, *args, **kwargs)
        context["bureaus"] = (
            BureauPage.objects.child_of(self)
            .live()
            .public()
            .annotate(member_count=Count("memberships", filter=Q(memberships__left_at__isnull=True)))
            .order_by("title")
        )
        return context
