"""Django set up on a temporary database, and a live server started in a subprocess."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import django
import pytest

from strawberry_channels.testing import run_server

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


@pytest.fixture
def live_server() -> Iterator[str]:
    """Serve ``customcontext.asgi:application`` with uvicorn on a free port; yield its base URL."""
    with run_server("customcontext.asgi:application", cwd=PROJECT) as url:
        yield url


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
