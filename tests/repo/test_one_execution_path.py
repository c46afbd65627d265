"""Every transport runs operations through strawberry_channels.execution, and nothing else does."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "packages" / "strawberry-channels" / "src" / "strawberry_channels"
EXECUTION = PACKAGE / "execution.py"
SOURCES = sorted(path for path in PACKAGE.rglob("*.py") if path != EXECUTION)
RUNNERS = frozenset({"execute", "execute_sync", "subscribe", "stream"})


def schema_runs(source: str) -> list[str]:
    """Calls like ``schema.execute(...)`` / ``self.schema.stream(...)`` in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in RUNNERS:
            continue
        target = node.func.value
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if "schema" in name.lower():
            found.append(f"{name}.{node.func.attr}")
    return found


def test_the_execution_module_runs_operations() -> None:
    assert sorted(set(schema_runs(EXECUTION.read_text()))) == [
        "schema.execute",
        "schema.execute_sync",
        "schema.stream",
    ]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_other_module_runs_operations(path: Path) -> None:
    assert schema_runs(path.read_text()) == []


@pytest.mark.parametrize("module", ["ws.py", "http_consumer.py"])
def test_the_consumers_use_the_execution_module(module: str) -> None:
    source = (PACKAGE / module).read_text()
    assert "from . import execution" in source
    assert "execution.prepare_schema(schema" in source


def test_checker_sees_schema_calls() -> None:
    assert sorted(schema_runs("await self.schema.subscribe(q)\nschema.execute_sync(q)")) == [
        "schema.execute_sync",
        "schema.subscribe",
    ]
    assert schema_runs("await execution.execute(self.schema, params)") == []
