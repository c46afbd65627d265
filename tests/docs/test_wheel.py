"""The built wheel, alone in a clean virtual environment, serves the chat example.

What the installation page promises before the first release: build the wheel
(`nox -s build`), install it, run the project. The wheel is built here with `uv build`
(or taken from `STRAWBERRY_CHANNELS_WHEEL`), installed with its `daphne` extra into a
new virtual environment that does not see this repository, and the chat example is
served from a copy with that environment's Python. A query, a subscription over
WebSockets and the IDE page (with its packaged assets) are then asked of it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "packages" / "strawberry-channels"
CHAT = ROOT / "examples" / "chat"


def _uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("uv is required in CI to build and install the wheel")
        pytest.skip("uv is not installed")
    return uv


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("STRAWBERRY_CHANNELS_WHEEL")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [_uv(), "build", "--wheel", "--out-dir", str(out), str(PACKAGE)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return built


def test_wheel_holds_the_package_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "strawberry_channels/py.typed" in names
    for page in ("graphiql", "apollo-sandbox", "pathfinder"):
        assert f"strawberry_channels/static/{page}.html" in names
    assert "strawberry_channels/static/vendor/manifest.json" in names
    for vendored in ("graphiql/graphiql.min.js", "react/LICENSE", "react-dom/LICENSE"):
        assert f"strawberry_channels/static/vendor/{vendored}" in names
    assert not [name for name in names if "/tests/" in name or name.endswith(".pyc")]


@pytest.fixture(scope="module")
def venv_python(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("venv") / "env"
    uv = _uv()
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(python), f"{wheel}[daphne]"],
        check=True,
    )
    return python


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _serve(python: Path, project: Path) -> Iterator[str]:
    port = _free_port()
    environment = {
        key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "VIRTUAL_ENV"}
    }
    environment.update({"REDIS_URL": "", "DJANGO_DEBUG": "0", "PYTHONPATH": str(project)})
    process = subprocess.Popen(
        [
            str(python),
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "mysite.asgi:application",
        ],
        cwd=project,
        env=environment,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "daphne exited during start-up"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "daphne did not start within 30 s"
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def test_the_package_comes_from_the_wheel(venv_python: Path, tmp_path: Path) -> None:
    found = subprocess.run(
        [str(venv_python), "-c", "import strawberry_channels; print(strawberry_channels.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
    ).stdout.strip()
    assert str(ROOT) not in found, found
    assert "site-packages" in found, found


async def test_the_wheel_alone_serves_the_chat(venv_python: Path, tmp_path: Path) -> None:

    project = tmp_path / "chat"
    shutil.copytree(
        CHAT, project, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.sqlite3")
    )
    with _serve(venv_python, project) as address:
        async with httpx.AsyncClient(base_url=f"http://{address}", timeout=20) as http:
            answer = await http.post("/graphql", json={"query": "{ processId }"})
            assert answer.status_code == 200
            assert isinstance(answer.json()["data"]["processId"], int)

            page = await http.get("/graphql", headers={"accept": "text/html"})
            assert page.status_code == 200
            assert "GraphiQL" in page.text
            assert "unpkg.com" not in page.text
            assert "https://" not in page.text
            assets = [part.split('"', 1)[0] for part in page.text.split('src="')[1:]] + [
                part.split('"', 1)[0] for part in page.text.split('href="')[1:]
            ]
            served = [url for url in assets if "?asset=" in url]
            assert len(served) == 4, assets
            for url in served:
                asset = await http.get(url)
                assert asset.status_code == 200, url
                assert asset.headers["content-type"].startswith(("text/javascript", "text/css"))
                assert "immutable" in asset.headers["cache-control"]

        subscription = gql(
            'subscription { joinChatRooms(rooms: [{roomName: "wheel"}], user: "w") { message } }'
        )
        transport = WebsocketsTransport(url=f"ws://{address}/graphql")
        async with Client(transport=transport) as session:
            async for result in session.subscribe(subscription):
                assert result["joinChatRooms"]["message"].endswith("Hello my name is w!")
                break
