"""Django set up for the tests, and a live server started in a subprocess."""

from pathlib import Path

from strawberry_channels.testing import live_server_fixture, setup_django_project

PROJECT = Path(__file__).resolve().parents[1]

setup_django_project(PROJECT, "customide.settings")

#: ``customide.asgi:application`` served by uvicorn on a free port: yields its base URL.
live_server = live_server_fixture("customide.asgi:application", cwd=PROJECT)
