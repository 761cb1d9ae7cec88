"""Routes of a routable page, declared as data next to the page model.

Wagtail's `RoutablePageMixin` finds its routes on methods decorated with ``@path``; forwarding each
one to a view meant a method and a function-level import per route, and model modules that
imported view modules. Here a page lists its routes as data instead::

    class BureauPage(DeclaredRoutesMixin, Page):
        routes = page_routes(
            "commons.views",
            ("members/", "members.members_page", "members"),
            ...
        )

One line declares one route: its pattern, the dotted path of the view under the package given
first (imported on the first request, so a model module imports no view module) and the name that
``reverse_subpage`` and ``{% routablepageurl %}`` use. The view is called as
``view(request, page, **captured)``, plus any fixed keyword arguments given with the entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, register_converter
from django.utils.module_loading import import_string
from wagtail.contrib.routable_page.models import RoutablePageMixin

__all__ = ["DeclaredRoutesMixin", "IdConverter", "page_route", "page_routes"]


class IdConverter:
    """A database id in a URL: 1 to 18 digits, so it always fits a 64-bit integer column.

    Django's ``<int:…>`` accepts any number of digits; a 20-digit id then reaches the database
    and SQLite raises ``OverflowError`` (a 500). With this converter such a URL simply does not
    match: a 404, like any other missing object.
    """

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")


def page_route(pattern: str, view: str, name: str, **fixed: Any) -> URLPattern:
    """A route of a page: `pattern` served by the view at dotted path `view`, named `name`.

    `fixed` keyword arguments are passed to the view on every call (Django's ``path(kwargs=)``),
    e.g. which kind of source a shared coding view acts on.
    """

    def route_view(page, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        target: Callable[..., HttpResponse] = import_string(view)
        return target(request, page, *args, **kwargs)

    route_view.__name__ = name
    route_view.__qualname__ = f"page_route.{name}"
    route_view.view_path = view  # type: ignore[attr-defined]  # for tests and introspection
    # Numbers in page routes are database ids: bounded, so an oversized one is a 404 (IdConverter).
    return path(pattern.replace("<int:", "<id:"), route_view, kwargs=fixed or None, name=name)


def page_routes(package: str, *entries: tuple) -> tuple[URLPattern, ...]:
    """Routes from ``(pattern, "module.view", name)`` entries, views under the dotted `package`.

    An entry may end with a dict of fixed keyword arguments for the view (see :func:`page_route`).
    """
    routes = []
    for pattern, view, name, *fixed in entries:
        routes.append(page_route(pattern, f"{package}.{view}", name, **(fixed[0] if fixed else {})))
    return tuple(routes)


class DeclaredRoutesMixin(RoutablePageMixin):
    """`RoutablePageMixin` whose routes are the `routes` class attribute (see the module docstring).

    Declared routes come first, then any ``@path`` method of the class or its bases (Wagtail's
    default ``""`` route, which renders the page's template, among them).
    """

    routes: ClassVar[tuple[URLPattern, ...]] = ()

    @classmethod
    def get_subpage_urls(cls) -> tuple:
        return (*cls.routes, *super().get_subpage_urls())
