"""Helpers of the chat example's tests: servers in subprocesses, URLs, room names."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_command(kind: str, port: int, application: str = "mysite.asgi:application") -> list[str]:
    """How to start the example with ``kind``: runserver (the demo), daphne or uvicorn."""
    if kind == "runserver":
        return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    if kind == "daphne":
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), application]
    if kind == "uvicorn":
        return [
            sys.executable,
            "-m",
            "uvicorn",
            application,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
        ]
    raise ValueError(kind)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started by :func:`running_server`, and anything it started."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # A server's children (none expected) go with its process group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


# --8<-- [start:running-server]
@contextlib.contextmanager
def running_server(
    kind: str,
    *,
    env: Mapping[str, str] | None = None,
    application: str = "mysite.asgi:application",
) -> Iterator[str]:
    """Start the example in a subprocess on a free port; yield ``http://127.0.0.1:<port>``.

    The process (and its process group) is stopped when the block ends.
    """
    port = free_port()
    environment = {**os.environ, "PYTHONPATH": str(PROJECT), "REDIS_URL": ""}
    environment.update(env or {})
    process = subprocess.Popen(
        server_command(kind, port, application),
        cwd=PROJECT,
        env=environment,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{kind} exited during start-up ({process.returncode})")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


# --8<-- [end:running-server]


def ws_url(http_url: str, path: str) -> str:
    return "ws" + http_url.removeprefix("http") + path


def room_name(prefix: str = "room") -> str:
    """A room name no other test run uses, so runs sharing Redis never mix."""
    return f"{prefix}{os.urandom(4).hex()}"


JOIN = """
subscription Join($rooms: [ChatRoom!]!, $user: String!) {
  joinChatRooms(rooms: $rooms, user: $user) { roomName message currentUser }
}
"""
SEND = """
mutation Send($room: ChatRoom!, $message: String!) {
  sendChatMessage(room: $room, message: $message)
}
"""


#: How long a test waits for an expected message before failing (a guard against hangs).
WAIT = 20


async def next_result(results: AsyncIterator[Any]) -> Any:
    """The next result of a subscription, or a failure after ``WAIT`` seconds."""
    return await asyncio.wait_for(anext(results), WAIT)


async def next_frame(socket: Any) -> Any:
    """The next JSON frame of a plain WebSocket, or a failure after ``WAIT`` seconds."""
    return json.loads(await asyncio.wait_for(socket.recv(), WAIT))
