"""Django set up for the tests, and live servers (uvicorn) of the example plus test endpoints."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from strawberry_channels.testing import run_server, setup_django_project

PROJECT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379

setup_django_project(PROJECT, "ticker.settings")

from tests.helpers import Server  # noqa: E402 (needs Django set up)

#: The example's application with the test endpoints of ``tests/server.py``.
APPLICATION = "tests.server:application"


def unavailable(reason: str) -> None:
    """Skip the test because something it needs is missing; in CI, fail instead."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required, not skipped)")
    pytest.skip(reason)


#: uvicorn's own WebSocket pings once an hour: a client that stops reading on purpose (the
#: backpressure test) would miss the pong and be disconnected after 40 s.
SERVER_ENV = {"REDIS_URL": "", "UVICORN_WS_PING_INTERVAL": "3600", "UVICORN_ACCESS_LOG": "false"}


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    """One uvicorn process with the in-memory layer, fresh for each test."""
    with run_server(APPLICATION, cwd=PROJECT, env=SERVER_ENV) as url:
        client = Server(url)
        try:
            yield client
        finally:
            await client.close()


@pytest.fixture
def redis() -> None:
    """Redis at 127.0.0.1:6379; skip (fail in CI) when it is not running."""
    try:
        socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1).close()
    except OSError:
        unavailable(f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}")
