"""The package owns its transports: it must not import Strawberry's integrations."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(ROOT.glob("packages/*/src/**/*.py"))

# Strawberry's transport and framework-integration modules.
FORBIDDEN = frozenset(
    {
        "aiohttp",
        "asgi",
        "chalice",
        "channels",
        "django",
        "fastapi",
        "flask",
        "http",
        "litestar",
        "quart",
        "sanic",
        "subscriptions",
    }
)


def forbidden_imports(source: str) -> list[str]:
    """Names of Strawberry integration modules that ``source`` imports."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
            if node.module == "strawberry":
                modules += [f"strawberry.{alias.name}" for alias in node.names]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if len(parts) > 1 and parts[0] == "strawberry" and parts[1] in FORBIDDEN:
                found.append(module)
    return found


def test_sources_are_found() -> None:
    assert any(path.name == "__init__.py" for path in SOURCES)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_package_does_not_import_strawberry_integrations(path: Path) -> None:
    assert forbidden_imports(path.read_text()) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import strawberry.channels", ["strawberry.channels"]),
        ("from strawberry.http.base import BaseView", ["strawberry.http.base"]),
        ("from strawberry import subscriptions", ["strawberry.subscriptions"]),
        ("from strawberry.asgi import GraphQL", ["strawberry.asgi"]),
        ("from strawberry.types import ExecutionResult", []),
        ("from strawberry.exceptions import ConnectionRejectionError", []),
        ("from .http import x", []),
    ],
)
def test_checker_recognises_integration_imports(source: str, expected: list[str]) -> None:
    assert forbidden_imports(source) == expected
