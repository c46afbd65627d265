"""Clients of the ticker's tests: raw WebSocket frames, the test endpoints, waiting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from strawberry_channels import GRAPHQL_TRANSPORT_WS_PROTOCOL

#: The selection every test subscribes to, unless it says otherwise.
PRICES = (
    "subscription Prices($symbol: String!) {"
    " prices(symbol: $symbol) { symbol price sequence percentChange } }"
)
PUBLISH = "mutation Publish($symbol: String!, $price: Float!, $open: Float! = 100) {"
PUBLISH += " publishPrice(symbol: $symbol, price: $price, open: $open) }"
HALT = "mutation Halt($symbol: String!) { haltTrading(symbol: $symbol) }"

#: How long a test waits for a condition on the server before it fails.
WAIT = 60.0


def ws_url(base_url: str, path: str = "/graphql") -> str:
    return "ws" + base_url.removeprefix("http") + path


class WSClient:
    """One WebSocket connection speaking graphql-transport-ws or graphql-ws; frames kept raw."""

    def __init__(self, connection: ClientConnection, protocol: str) -> None:
        self.connection = connection
        self.protocol = protocol

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(
        cls,
        base_url: str,
        path: str = "/graphql",
        *,
        protocol: str = GRAPHQL_TRANSPORT_WS_PROTOCOL,
        params: dict[str, Any] | None = None,
        receive_buffer: int | None = None,
    ) -> AsyncIterator[WSClient]:
        """Connect and initialise; ``receive_buffer`` shrinks the socket's receive buffer."""
        sock = None
        if receive_buffer is not None:
            host, _, port = base_url.removeprefix("http://").partition(":")
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            sock.connect((host, int(port)))
        async with websockets.connect(
            ws_url(base_url, path),
            subprotocols=[websockets.Subprotocol(protocol)],
            sock=sock,
            max_queue=4,
            ping_interval=None,  # a client that reads nothing would miss the pong
            compression=None,  # frames on the wire as they are: what the socket holds is known
            max_size=None,
        ) as connection:
            client = cls(connection, protocol)
            init: dict[str, Any] = {"type": "connection_init"}
            if params is not None:
                init["payload"] = params
            await connection.send(json.dumps(init))
            ack = json.loads(await client.frame())
            assert ack["type"] == "connection_ack", ack
            yield client

    async def subscribe(
        self,
        id: str,
        query: str = PRICES,
        variables: dict[str, Any] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        payload: dict[str, Any] = {"query": query, "variables": variables or {}}
        if extensions is not None:
            payload["extensions"] = extensions
        kind = "subscribe" if self.protocol == GRAPHQL_TRANSPORT_WS_PROTOCOL else "start"
        await self.connection.send(json.dumps({"type": kind, "id": id, "payload": payload}))

    async def complete(self, id: str) -> None:
        kind = "complete" if self.protocol == GRAPHQL_TRANSPORT_WS_PROTOCOL else "stop"
        await self.connection.send(json.dumps({"type": kind, "id": id}))

    async def frame(self) -> str:
        """The next text frame, keep-alives skipped (and pings answered)."""
        while True:
            text = await asyncio.wait_for(self.connection.recv(), WAIT)
            assert isinstance(text, str), "a binary frame"
            kind = json.loads(text).get("type")
            if kind == "ping":
                await self.connection.send(json.dumps({"type": "pong"}))
            elif kind not in {"ka", "pong"}:
                return text

    async def frames(self, count: int) -> list[str]:
        return [await self.frame() for _ in range(count)]

    async def until_done(self, id: str) -> list[str]:
        """Frames up to and including the one that ends operation ``id``."""
        frames = []
        while True:
            text = await self.frame()
            frames.append(text)
            message = json.loads(text)
            if message.get("id") == id and message["type"] in {"complete", "error"}:
                return frames


def sequence_of(frame: str) -> int:
    """The tick's sequence number in a ``next``/``data`` frame."""
    message = json.loads(frame)
    assert message["type"] in {"next", "data"}, message
    return int(message["payload"]["data"]["prices"]["sequence"])


class Server:
    """The test endpoints and the GraphQL endpoint of one live server."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=WAIT)

    async def close(self) -> None:
        await self.http.aclose()

    async def state(self) -> dict[str, Any]:
        response = await self.http.get("/_test/state")
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state

    async def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = (await self.state())["stats"]
        return stats

    async def wait_until(
        self, condition: Callable[[dict[str, Any]], bool], what: str
    ) -> dict[str, Any]:
        """Poll the server's state until ``condition`` holds; fail after ``WAIT`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while True:
            state = await self.state()
            if condition(state):
                return state
            if loop.time() > deadline:
                raise AssertionError(f"never true: {what}; last state {state}")
            await asyncio.sleep(0.02)

    async def wait_for_subscribers(
        self, count: int, symbol: str, channels: int | None = 1
    ) -> dict[str, Any]:
        """Until ``count`` operations are subscribed to shared executions and ``channels``
        channels listen to the symbol's group: then a tick published reaches them all (an
        execution joins the group just after its first subscriber joined it). ``None``: the
        group is not in this process's memory (Redis), the caller checks it."""
        group = f"ticker.{symbol}"
        return await self.wait_until(
            lambda state: (
                state["stats"]["subscribers"] == count
                and (channels is None or len(state["groups"].get(group, [])) == channels)
            ),
            f"{count} shared subscribers, {channels} channels in the group of {symbol}",
        )

    async def wait_for_listeners(self, symbol: str, count: int) -> dict[str, Any]:
        """Until ``count`` channels listen to the symbol's group (shared or not)."""
        return await self.wait_until(
            lambda state: len(state["groups"].get(f"ticker.{symbol}", [])) == count,
            f"{count} channels in the group of {symbol}",
        )

    async def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        return body

    async def publish_price(self, symbol: str, price: float, open: float = 100.0) -> int:
        body = await self.graphql(PUBLISH, {"symbol": symbol, "price": price, "open": open})
        return int(body["data"]["publishPrice"])

    async def halt(self, symbol: str) -> None:
        await self.graphql(HALT, {"symbol": symbol})

    async def publish_many(self, symbol: str, start: int, count: int) -> None:
        """``count`` ticks numbered from ``start``, published inside the server process."""
        body = {"symbol": symbol, "start": start, "count": count}
        response = await self.http.post("/_test/publish", json=body)
        response.raise_for_status()
