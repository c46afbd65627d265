"""The protocols and the execution module are sans-IO: no Channels, no Django, no I/O.

Everything under ``strawberry_channels/protocols/`` and the execution module
(with the document cache it builds on) must be importable and testable without
a server: they may import Strawberry, graphql-core and pure standard-library
modules, and each other, but not Channels, Django, ASGI servers, asyncio or
sockets, nor call the built-ins that do I/O.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "packages" / "strawberry-channels" / "src" / "strawberry_channels"
PURE = sorted(
    [
        *PACKAGE.glob("protocols/*.py"),
        PACKAGE / "execution.py",
        # The optimisations that plug into the execution path.
        PACKAGE / "document_cache.py",
        PACKAGE / "compiled_execution.py",
        PACKAGE / "json_codec.py",
        PACKAGE / "limits.py",
        PACKAGE / "lru.py",
        PACKAGE / "errors.py",
        PACKAGE / "sharing_rules.py",
    ]
)
PURE_MODULES = {
    ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts) for path in PURE
} | {"strawberry_channels.protocols"}

#: Top-level modules that mean a framework, a server or I/O.
FORBIDDEN = frozenset(
    {
        "aiohttp",
        "anyio",
        "asgiref",
        "asyncio",
        "channels",
        "channels_rabbitmq",
        "channels_redis",
        "daphne",
        "django",
        "http",
        "httpx",
        "multiprocessing",
        "os",
        "pathlib",
        "requests",
        "selectors",
        "shutil",
        "socket",
        "socketserver",
        "ssl",
        "subprocess",
        "tempfile",
        "trio",
        "urllib.request",
        "uvicorn",
        "websockets",
    }
)
#: Built-ins that read or write outside the process's memory.
IO_BUILTINS = frozenset({"open", "print", "input", "breakpoint"})


def _resolve(module: str | None, level: int, importer: str) -> str:
    package = importer.split(".")[:-level]
    return ".".join([*package, *([module] if module else [])])


def problems(source: str, importer: str = "strawberry_channels.protocols.x") -> list[str]:
    """What in ``source`` breaks the sans-IO rule (empty when nothing does)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                target = _resolve(node.module, node.level, importer)
                names = [f"{target}.{alias.name}" for alias in node.names]
                if target not in PURE_MODULES and not any(n in PURE_MODULES for n in names):
                    found.append(f"imports {target}, which is not sans-IO")
                continue
            modules = [node.module or ""]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in IO_BUILTINS
        ):
            found.append(f"calls {node.func.id}()")
            continue
        else:
            continue
        for module in modules:
            parts = module.split(".")
            prefixes = {".".join(parts[: i + 1]) for i in range(len(parts))}
            if prefixes & FORBIDDEN:
                found.append(f"imports {module}")
    return found


def test_the_pure_modules_are_found() -> None:
    names = {path.name for path in PURE}
    assert {"graphql_transport_ws.py", "graphql_ws.py", "http_planner.py", "execution.py"} <= names


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_is_sans_io(path: Path) -> None:
    importer = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    assert problems(path.read_text(), importer) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import asyncio", ["imports asyncio"]),
        ("from channels.layers import get_channel_layer", ["imports channels.layers"]),
        (
            "from django.core.files.uploadedfile import SimpleUploadedFile",
            ["imports django.core.files.uploadedfile"],
        ),
        ("import socket", ["imports socket"]),
        ("from urllib.request import urlopen", ["imports urllib.request"]),
        ("from urllib.parse import parse_qsl", []),
        ("import json, re", []),
        ("from strawberry.types.graphql import OperationType", []),
        ("from graphql import parse", []),
        ("from .operations import Send", []),
        ("from ..execution import format_result", []),
        (
            "from ..base import ChannelsConsumer",
            ["imports strawberry_channels.base, which is not sans-IO"],
        ),
        ("from .. import ws", ["imports strawberry_channels, which is not sans-IO"]),
        ("data = open('f').read()", ["calls open()"]),
        ("print('x')", ["calls print()"]),
    ],
)
def test_checker_recognises_impure_code(source: str, expected: list[str]) -> None:
    assert problems(source) == expected
