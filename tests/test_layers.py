"""Imports flow one way: parse → store → render → web (architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "feedsvc"
# Lower layers never import higher ones; modules on one row never import each other.
LAYERS = [
    {"cli", "server"},  # the command line; gunicorn's settings (server starts `feedsvc scanner`)
    {"web"},
    {"schedule", "publish"},
    {"scan", "watch"},
    {"parse", "store", "render"},
    {"urls"},
    {"settings"},
    {"model", "arabic", "errors", "logs"},
]
# Third-party libraries each stay inside the part that owns them.
CONFINED = {"sqlalchemy": {"store"}, "alembic": {"store"}, "feedgen": {"render"}, "jinja2": {"render"},
            "flask": {"web"}, "apscheduler": {"schedule"}, "lxml": {"parse", "render"}, "watchdog": {"watch"}}


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def unit(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def rank(name: str) -> int | None:
    for index, row in enumerate(LAYERS):
        if name in row:
            return index
    return None


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        own = unit(path)
        for name in imports(path):
            if not name.startswith("feedsvc."):
                continue
            other = name.split(".")[1]
            if other == own or own in ("__init__", "__main__"):
                continue
            own_rank, other_rank = rank(own), rank(other)
            assert own_rank is not None and other_rank is not None, (path, name)
            if other_rank <= own_rank:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_third_party_libraries_stay_in_their_part() -> None:
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        for name in imports(path):
            owners = CONFINED.get(name.split(".")[0])
            if owners is not None and unit(path) not in owners:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []
