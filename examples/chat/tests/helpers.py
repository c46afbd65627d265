"""Helpers of the chat example's tests: servers in subprocesses, URLs, room names."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

from strawberry_channels.testing import ServerKind, run_server

PROJECT = Path(__file__).resolve().parents[1]


# --8<-- [start:running-server]
@contextlib.contextmanager
def running_server(
    kind: ServerKind,
    *,
    env: Mapping[str, str] | None = None,
    application: str = "mysite.asgi:application",
) -> Iterator[str]:
    """Serve the example with ``kind`` (uvicorn, daphne or runserver) on a free port.

    Yields ``http://127.0.0.1:<port>``; the server stops when the block ends.
    The in-memory channel layer is the default, unless ``env`` sets ``REDIS_URL``
    or ``AMQP_URL``.
    """
    environment = {"REDIS_URL": "", "AMQP_URL": "", **(env or {})}
    with run_server(application, server=kind, cwd=PROJECT, env=environment) as url:
        yield url


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
