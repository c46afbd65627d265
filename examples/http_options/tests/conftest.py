"""Django set up for the tests, and a live server started in a subprocess."""

# --8<-- [start:conftest]
from pathlib import Path

from strawberry_channels.testing import live_server_fixture, setup_django_project

PROJECT = Path(__file__).resolve().parents[1]

setup_django_project(PROJECT, "httpoptions.settings")

#: ``httpoptions.asgi:application`` served by uvicorn on a free port: yields its base URL.
live_server = live_server_fixture("httpoptions.asgi:application", cwd=PROJECT)
# --8<-- [end:conftest]
