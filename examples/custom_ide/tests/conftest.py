"""Django set up for the tests, and a live server started in a subprocess."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import django
import pytest

from strawberry_channels.testing import run_server

PROJECT = Path(__file__).resolve().parents[1]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "customide.settings")
sys.path.insert(0, str(PROJECT))
django.setup()


@pytest.fixture
def live_server() -> Iterator[str]:
    """Serve ``customide.asgi:application`` with uvicorn on a free port; yield its base URL."""
    with run_server("customide.asgi:application", cwd=PROJECT) as url:
        yield url
