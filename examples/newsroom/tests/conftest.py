"""Django set up for the tests: a fresh SQLite file and a Redis key prefix of their own.

The test process is one more process of the deployment: it saves articles and
runs management commands while a server subprocess holds the subscriptions.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import django
import pytest

PROJECT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379

#: The environment every process of the tests shares (this one, the server, the commands).
ENV = {
    "REDIS_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
    "REDIS_PREFIX": f"newsroom-{uuid.uuid4().hex[:8]}",
    "NEWSROOM_DATABASE": str(Path(tempfile.mkdtemp()) / "db.sqlite3"),
    "DJANGO_SETTINGS_MODULE": "newsroom.settings",
}
os.environ.update(ENV)
sys.path.insert(0, str(PROJECT))
django.setup()


def unavailable(reason: str) -> None:
    """Skip the test because something it needs is missing; in CI, fail instead."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required, not skipped)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def database() -> str:
    """The migrated SQLite file all processes use."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=PROJECT, check=True
    )
    return ENV["NEWSROOM_DATABASE"]


@pytest.fixture
def redis() -> None:
    """Redis at 127.0.0.1:6379; skip (fail in CI) when it is not running."""
    try:
        socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1).close()
    except OSError:
        unavailable(f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}")
