"""Dependencies point one way: participants <- commons <- studies (DESIGN.md, « Layout »).

`participants` imports neither `commons` nor `studies`, `commons` never imports `studies`: their
registries (`participants.data_export`, `participants.leaving`) and Wagtail hooks are how the lower
app reaches the upper ones. Migrations are left out (they name other apps' models by label).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"participants": ("commons", "studies"), "commons": ("studies",)}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_an_app_imports_no_app_above_it(app):
    offending = []
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for module in _imported_modules(path):
            if module.split(".")[0] in FORBIDDEN[app]:
                offending.append(f"{path.relative_to(ROOT)}: {module}")
    assert offending == []
