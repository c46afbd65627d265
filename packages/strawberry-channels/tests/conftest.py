"""Shared fixtures: Django settings, real services, live servers and npm clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import django
import pytest
from django.conf import settings

from strawberry_channels.live_server import free_port

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="strawberry-channels-tests",
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        # STRAWBERRY_CHANNELS_TEST_LAYER=strawberry_channels.layers.LocalChannelLayer runs
        # the suite on our in-memory layer instead of Channels' (the spec's default).
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": os.environ.get(
                    "STRAWBERRY_CHANNELS_TEST_LAYER", "channels.layers.InMemoryChannelLayer"
                )
            }
        },
        USE_TZ=True,
    )
    django.setup()

REPO = Path(__file__).resolve().parents[3]
# The tutorial's schema modules (gqlchat) are part of the WebSocket tests' schema. Appended,
# so that nothing of the example project shadows a module of the tests.
sys.path.append(str(REPO / "examples" / "chat"))
NODE_CLIENTS = REPO / "tests" / "node"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
RABBITMQ_HOST, RABBITMQ_PORT = "127.0.0.1", 5672


def unavailable(reason: str) -> None:
    """Skip the test because something it needs is missing; in CI, fail instead."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required, not skipped)")
    pytest.skip(reason)


def require_tcp_service(name: str, host: str, port: int) -> None:
    try:
        with socket.create_connection((host, port), timeout=1):
            return
    except OSError:
        unavailable(f"{name} is not reachable at {host}:{port}")


@pytest.fixture
def redis_url() -> str:
    require_tcp_service("Redis", REDIS_HOST, REDIS_PORT)
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


@pytest.fixture
def rabbitmq_url() -> str:
    require_tcp_service("RabbitMQ", RABBITMQ_HOST, RABBITMQ_PORT)
    return f"amqp://guest:guest@{RABBITMQ_HOST}:{RABBITMQ_PORT}/"


@contextlib.asynccontextmanager
async def serve(app: Any, **uvicorn_options: Any) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn inside the running event loop.

    The server shares the test's loop, so an in-memory channel layer is shared
    too: a test may ``group_send`` and the server's consumers receive it.
    Yields the base URL, ``http://127.0.0.1:<port>``.
    """
    import uvicorn

    port = free_port()
    options: dict[str, Any] = {"lifespan": "off", "log_level": "warning"}
    options.update(uvicorn_options)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, **options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        else:
            raise RuntimeError("uvicorn did not start within 5 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


@pytest.fixture
def node_clients() -> Path:
    """The folder holding the npm clients; skip (fail in CI) when not installed."""
    if shutil.which("node") is None:
        unavailable("node is not installed")
    if not (NODE_CLIENTS / "node_modules").is_dir():
        unavailable(f"npm clients not installed: run `npm ci --prefix {NODE_CLIENTS}`")
    return NODE_CLIENTS


async def run_node(
    script: Path | str, *args: str, timeout: float = 60, stdin: str | None = None
) -> tuple[int, Any, str]:
    """Run a node script from tests/node; its last stdout line is parsed as JSON.

    Returns (exit code, parsed JSON or raw stdout, stderr).
    """
    path = Path(script)
    if not path.is_absolute():
        path = NODE_CLIENTS / path
    process = await asyncio.create_subprocess_exec(
        "node",
        str(path),
        *args,
        cwd=str(NODE_CLIENTS),
        stdin=asyncio.subprocess.PIPE if stdin is not None else None,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(
            process.communicate(stdin.encode() if stdin is not None else None), timeout
        )
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        raise
    text = out.decode()
    lines: Sequence[str] = [line for line in text.splitlines() if line.strip()]
    parsed: Any = text
    if lines:
        with contextlib.suppress(json.JSONDecodeError):
            parsed = json.loads(lines[-1])
    assert process.returncode is not None
    return process.returncode, parsed, err.decode()
