"""`nox -s demo`, as the README and the tutorial tell a reader to run it.

It serves the chat on the port given with `-- --port N`, installs only what serving needs, and
serves the room page without the docs' snippet markers; a port that is taken stops it at once
with a message and a non-zero exit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from docs_blocks import ROOT

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _nox() -> str:
    found = shutil.which("nox")
    if found is None:
        if IN_CI:
            pytest.fail("nox is required in CI")
        pytest.skip("nox is not on PATH")
    return found


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOX_", "VIRTUAL_ENV"))}
    env["REDIS_URL"] = ""
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_taken_port_stops_the_demo_at_once() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        finished = subprocess.run(
            [_nox(), "-s", "demo", "--no-venv", "--", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=_environment(),
            timeout=60,
        )
    assert finished.returncode != 0
    output = finished.stdout + finished.stderr
    assert f"cannot listen on 127.0.0.1 port {port}" in output, output
    assert "--port N" in output


def _get(url: str) -> str:
    request = urllib.request.Request(url, headers={"accept": "text/html"})
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status == 200
        return str(response.read().decode())


def test_the_demo_serves_the_chat_on_the_port_given() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [_nox(), "-s", "demo", "--reuse-existing-virtualenvs", "--", "--port", str(port)],
        cwd=ROOT,
        env=_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240  # the first run creates the session's environment
        while True:
            assert process.poll() is None, "nox -s demo exited before serving"
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            assert time.monotonic() < deadline, f"nothing listened on port {port}"
            time.sleep(0.2)
        room = _get(f"http://127.0.0.1:{port}/chat/room1/")
        assert 'id="chat-log"' in room
        assert "--8<--" not in room
        assert "GraphiQL" in _get(f"http://127.0.0.1:{port}/graphql")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    python = ROOT / ".nox" / "demo" / "bin" / "python"
    if Path(python).is_file():  # the environment the session made serves, and holds no test stack
        for module in ("daphne", "strawberry_channels", "channels_redis"):
            subprocess.run([python, "-c", f"import {module}"], check=True, capture_output=True)
        for module in ("playwright", "pytest"):
            found = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
            assert found.returncode != 0, f"the demo's environment installs {module}"
