"""Declared page routes: one line per route, views imported lazily, ids bounded."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from commons.models import BureauPage
from commons.routing import page_routes
from studies.models import ProtocolPage, StudyPage

REPO = Path(__file__).resolve().parents[2]


def test_model_modules_import_no_view_module():
    offenders = []
    for module in REPO.glob("*/models/*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [f"{node.module or ''}"] + [f"{node.module or ''}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any("views" in n.split(".") for n in names):
                offenders.append(f"{module.relative_to(REPO)}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize("page_class", [BureauPage, StudyPage, ProtocolPage])
def test_every_declared_route_names_an_importable_view(page_class):
    from django.utils.module_loading import import_string

    names = [route.name for route in page_class.routes]
    assert len(names) == len(set(names))
    for route in page_class.routes:
        assert callable(import_string(route.callback.view_path)), route.name


def test_a_route_calls_its_view_with_request_page_and_captured_values(rf):
    calls = []
    import sys
    import types

    module = types.ModuleType("bec_fake_views")
    module.show = lambda request, page, **kw: calls.append((request, page, kw)) or "response"
    sys.modules["bec_fake_views"] = module
    try:
        (route,) = page_routes("bec_fake_views", ("things/<int:thing_id>/", "show", "thing", {"kind": "x"}))
        match = route.resolve("things/42/")
        request, page = rf.get("/"), object()
        assert match.func(page, request, *match.args, **match.kwargs) == "response"
        assert calls == [(request, page, {"thing_id": 42, "kind": "x"})]
        assert route.resolve("things/" + "9" * 19 + "/") is None  # oversized id: no match (404)
        assert route.resolve("things/" + "9" * 18 + "/") is not None
    finally:
        del sys.modules["bec_fake_views"]


@pytest.mark.django_db
def test_oversized_ids_are_404_not_500(client, make_bureau, make_person):
    bureau = make_bureau()
    coordinator = make_person(bureau, "coordinator")
    client.force_login(coordinator)
    huge = "9" * 25
    for suffix in (f"proposals/{huge}/", f"members/{huge}/edit/", f"proposals/{huge}/vote/"):
        assert client.get(bureau.url + suffix).status_code == 404, suffix
