"""A Markdown text field that stores its sanitised HTML next to the source.

Why: the design stores rendered Markdown instead of recomputing it on every view, and every
user-written Markdown field must go through `commons.markup`. Putting both rules in a field
means models only declare ``body = MarkdownField(html_field="body_html")`` and cannot forget
either. ``pre_save`` runs for ``save()`` *and* ``bulk_create()`` (not for ``QuerySet.update()``,
which would leave the HTML stale). One deliberate exception: `manage.py bec_seed` switches
``pre_save`` off for ``Observation.body`` while it seeds (rendering 100,000 notes in full took two
thirds of its run) and stores HTML built from `render_markdown` itself, checking the first rows of
every batch against a full render. The HTML field must be declared after the source field (Django
evaluates ``pre_save`` in field order when it builds the INSERT/UPDATE).
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import models

from .markup import render_markdown, render_with_references


class MarkdownField(models.TextField):
    """TextField holding Markdown source; renders into ``html_field`` on every save."""

    def __init__(self, *args: Any, html_field: str, **kwargs: Any) -> None:
        self.html_field = html_field
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["html_field"] = self.html_field
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        source = super().pre_save(model_instance, add) or ""
        citer = self.citer(model_instance, source)
        if citer is not None:
            setattr(model_instance, self.html_field, str(render_with_references(source, citer)))
        else:
            setattr(model_instance, self.html_field, str(render_markdown(source)))
        return source

    @staticmethod
    def citer(model_instance: models.Model, source: str):
        """The citer for a text with ``[@`` in it, when its model knows its bureau (`citation_bureau`).

        Citations are resolved when the text is saved, like the rest of its HTML: the text of a
        proposal is what the bureau votes on, with its references as they were (one query, and only
        for a text that cites).
        """
        bureau_of = getattr(model_instance, "citation_bureau", None)
        if bureau_of is None or "[@" not in source:
            return None
        bureau = bureau_of()
        if bureau is None:
            return None
        from .library.citations import Citer

        return Citer.for_bureau(bureau, [source])

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        names = [f.name for f in self.model._meta.local_fields]
        if self.html_field not in names:
            errors.append(
                checks.Error(f"{self.html_field!r} is not a field of {self.model.__name__}.", obj=self)
            )
        elif names.index(self.html_field) < names.index(self.name):
            errors.append(
                checks.Error(f"{self.html_field!r} must be declared after {self.name!r}.", obj=self)
            )
        return errors


def html_field() -> models.TextField:
    """The companion column of a MarkdownField: filled by the app, never by a form."""
    return models.TextField(blank=True, default="", editable=False)
