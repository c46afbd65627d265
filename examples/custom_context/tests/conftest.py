"""Django set up on a temporary database, and a live server started in a subprocess."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from strawberry_channels.testing import live_server_fixture, setup_django_project

PROJECT = Path(__file__).resolve().parents[1]
DATABASE = Path(tempfile.mkdtemp(prefix="custom-context-")) / "db.sqlite3"

os.environ["EXAMPLE_DATABASE"] = str(DATABASE)
setup_django_project(PROJECT, "customcontext.settings")

#: ``customcontext.asgi:application`` served by uvicorn on a free port: yields its base URL.
live_server = live_server_fixture("customcontext.asgi:application", cwd=PROJECT)


@pytest.fixture(scope="session", autouse=True)
def _database() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


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
