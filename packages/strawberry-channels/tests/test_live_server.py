"""run_server: a project served from a subprocess, stopped afterwards."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest

from strawberry_channels.testing import run_server

APP = """
async def application(scope, receive, send):
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"served"})
"""


@pytest.mark.parametrize("server", ["uvicorn", "daphne"])
def test_serves_the_application_and_stops_it(tmp_path: Path, server: str) -> None:
    (tmp_path / "tinyapp.py").write_text(APP)
    with run_server("tinyapp:application", server=server, cwd=tmp_path) as url:  # type: ignore[arg-type]
        with urllib.request.urlopen(url + "/", timeout=10) as response:
            assert response.read() == b"served"
        port = int(url.rsplit(":", 1)[1])
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", port), timeout=1),
    ):
        pass


def test_a_server_that_dies_during_startup_is_reported(tmp_path: Path) -> None:
    with (
        pytest.raises(RuntimeError, match="exited during start-up"),
        run_server("no_such_module:application", cwd=tmp_path),
    ):
        pass


def test_unknown_server_kind() -> None:
    with pytest.raises(ValueError, match="unknown server"), run_server("x:y", server="gunicorn"):  # type: ignore[arg-type]
        pass
