"""Django set-up for the chat example's tests and the fixtures they share.

In this process the in-memory channel layer is used (``REDIS_URL`` is ignored);
servers started with ``tests.helpers.running_server`` get the environment they
are given.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from strawberry_channels.testing import setup_django_project

PROJECT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
RABBITMQ_HOST, RABBITMQ_PORT = "127.0.0.1", 5672

os.environ.pop("REDIS_URL", None)
os.environ.pop("AMQP_URL", None)
setup_django_project(PROJECT, "mysite.settings")

from asgiref.sync import async_to_sync  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402


def unavailable(reason: str) -> None:
    """Skip the test because something it needs is missing; in CI, fail instead."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required, not skipped)")
    pytest.skip(reason)


@pytest.fixture
def redis_url() -> str:
    """Redis at 127.0.0.1:6379 as a URL; skip (fail in CI) when it is not running."""
    try:
        socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1).close()
    except OSError:
        unavailable(f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}")
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


@pytest.fixture
def amqp_url() -> str:
    """RabbitMQ at 127.0.0.1:5672 (guest/guest) as a URL; skip (fail in CI) when it is down."""
    try:
        socket.create_connection((RABBITMQ_HOST, RABBITMQ_PORT), timeout=1).close()
    except OSError:
        unavailable(f"RabbitMQ is not reachable at {RABBITMQ_HOST}:{RABBITMQ_PORT}")
    return f"amqp://guest:guest@{RABBITMQ_HOST}:{RABBITMQ_PORT}"


@pytest.fixture
def chromium() -> str:
    """Path of Debian's chromium binary; skip (fail in CI) without it or Playwright."""
    path = shutil.which("chromium")
    if path is None:
        unavailable("chromium is not installed (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        unavailable("Python Playwright is not installed")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file, as ``nox -s demo`` prepares one before runserver."""
    path = tmp_path_factory.mktemp("db") / "db.sqlite3"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=PROJECT,
        env={**os.environ, "CHAT_DATABASE": str(path)},
        check=True,
    )
    return str(path)


@pytest.fixture(autouse=True)
def empty_channel_layer() -> Iterator[None]:
    """Each test starts with an empty in-memory channel layer: no groups, no messages."""
    yield
    layer = get_channel_layer()
    assert layer is not None
    async_to_sync(layer.flush)()
