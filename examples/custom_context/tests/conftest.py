"""Django set up on a temporary database, and a live server started in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import django
import pytest

PROJECT = Path(__file__).resolve().parents[1]
DATABASE = Path(tempfile.mkdtemp(prefix="custom-context-")) / "db.sqlite3"

os.environ["EXAMPLE_DATABASE"] = str(DATABASE)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "customcontext.settings")
sys.path.insert(0, str(PROJECT))
django.setup()


@pytest.fixture(scope="session", autouse=True)
def _database() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def live_server() -> Iterator[str]:
    """Run ``uvicorn customcontext.asgi:application`` on a free port; yield its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "customcontext.asgi:application", "--port", str(port)],
        cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "the server exited during start-up"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def session_cookie(django_user: str) -> str:
    """Log ``alice`` in through Django's test client; return the Cookie header value."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    assert client.login(username=django_user, password="wonderland")
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest.fixture
def django_user() -> Iterator[str]:
    from django.contrib.auth.models import User

    user = User.objects.create_user("alice", password="wonderland")
    yield user.username
    user.delete()
