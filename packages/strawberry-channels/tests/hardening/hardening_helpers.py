"""Real-socket clients for the hardening tests (websockets and httpx, no test doubles)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import websockets
from websockets.typing import Subprotocol

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


def ws_url(url: str, path: str = "/graphql") -> str:
    return url.replace("http://", "ws://") + path


class WSClient:
    """One WebSocket speaking either GraphQL subprotocol, message by message."""

    def __init__(self, socket: Any, subprotocol: str) -> None:
        self.socket = socket
        self.subprotocol = subprotocol

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, timeout: float = 10) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.socket.recv(), timeout)
        message: dict[str, Any] = json.loads(raw)
        return message

    async def init(self) -> None:
        await self.send({"type": "connection_init"})
        ack = await self.receive()
        assert ack["type"] == "connection_ack", ack

    async def start(self, operation_id: str, query: str, **variables: Any) -> None:
        kind = "subscribe" if self.subprotocol == TRANSPORT_WS else "start"
        payload: dict[str, Any] = {"query": query}
        if variables:
            payload["variables"] = variables
        await self.send({"type": kind, "id": operation_id, "payload": payload})

    async def next_payload(self, timeout: float = 10) -> dict[str, Any]:
        """The next message other than keep-alives."""
        while True:
            message = await self.receive(timeout)
            if message["type"] not in {"ka", "ping", "pong"}:
                return message


@contextlib.asynccontextmanager
async def ws_client(
    url: str,
    subprotocol: str = TRANSPORT_WS,
    init: bool = True,
    host: str | None = None,
    **options: Any,
) -> AsyncIterator[WSClient]:
    """A connected client; ``host`` sends that ``Host`` (still connecting to ``url``)."""
    target = ws_url(url)
    if host is not None:
        address, port = url.removeprefix("http://").split(":")
        target = f"ws://{host}/graphql"
        options.update(host=address, port=int(port))
    async with websockets.connect(
        target, subprotocols=[Subprotocol(subprotocol)], max_size=None, **options
    ) as socket:
        client = WSClient(socket, subprotocol)
        if init:
            await client.init()
        yield client
