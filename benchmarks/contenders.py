"""The ASGI applications under test, one per contender, all routed the same way.

- ``ours``: ``strawberry_channels`` consumers.
- ``strawberry``: Strawberry's own ``strawberry.channels`` consumers, the baseline we measure
  against (imported here only; the package never imports it).
- ``raw``: hand-written Channels consumers, the floor of Channels + server + JSON. The
  WebSocket one speaks just enough ``graphql-transport-ws`` to stream integers, join a group
  and forward each group message as a pre-shaped ``next`` frame. Every message (channel-layer
  messages above all) goes straight to its handler, skipping Channels' per-message
  ``aclose_old_connections``, as a lean integration does. The HTTP one decodes the JSON body
  and answers the known result.

Every app also serves ``POST /publish?group=G&count=M``: a plain ASGI endpoint that runs the
``group_send`` burst inside the server process (identical for all contenders); ``&interval=S``
paces it (S seconds between events), ``&warm=1`` sends warm-up events (``seq = -1``).
``GET /stats`` answers strawberry_channels' shared-execution counters for the schema in that
process (all zero in the other contenders' servers), so a run can check that it shared.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.http import AsyncHttpConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path, re_path
from shared_schema import GROUP_EVENT, HELLO_RESULT, LIST_RESULT, schema

CONTENDERS = ("ours", "strawberry", "raw")
SUBPROTOCOL = "graphql-transport-ws"


async def publish_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Run ``count`` group_sends to ``group`` in this process, then answer with the timing."""
    while (await receive())["type"] != "http.request":
        pass
    params = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
    group, count = params["group"], int(params["count"])
    warm = params.get("warm") == "1"  # warm-up events all carry seq = -1
    interval = float(params.get("interval", 0))  # seconds between events (0: a burst)
    layer = get_channel_layer()
    assert layer is not None
    started = time.monotonic()
    for seq in range(count):
        event = {"type": GROUP_EVENT, "seq": -1 if warm else seq, "sent": time.monotonic()}
        await layer.group_send(group, event)
        # Let consumers run between sends, as a real publisher (a mutation) would.
        await asyncio.sleep(interval)
    body = json.dumps({"sent": count, "seconds": time.monotonic() - started}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def stats_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``GET /stats``: strawberry_channels' shared-execution counters in this process."""
    from strawberry_channels import shared_subscription_stats

    stats = shared_subscription_stats(schema)
    body = json.dumps(
        {"executions": stats.executions, "subscribers": stats.subscribers, "events": stats.events}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class LeanDispatch:
    """Hand every message straight to its handler.

    Channels' ``AsyncConsumer.dispatch`` runs ``aclose_old_connections()`` (a thread hop to
    close stale Django database connections) before each handler; a lean integration that
    does not touch the database on every frame skips it, and so does the floor.
    """

    async def dispatch(self, message: dict[str, Any]) -> None:
        await getattr(self, get_handler_name(message))(message)


class RawHTTPConsumer(LeanDispatch, AsyncHttpConsumer):
    """Decode the JSON request, answer the precomputed result: no GraphQL at all."""

    async def handle(self, body: bytes) -> None:
        query = json.loads(body)["query"]
        result = LIST_RESULT if "items" in query else HELLO_RESULT
        await self.send_response(
            200, json.dumps(result).encode(), headers=[(b"content-type", b"application/json")]
        )


class RawWSConsumer(LeanDispatch, AsyncWebsocketConsumer):
    """Just enough graphql-transport-ws for the stream, fan-out, churn and idle scenarios."""

    async def connect(self) -> None:
        self.subscriptions: dict[str, str] = {}
        if SUBPROTOCOL not in self.scope.get("subprotocols", []):
            await self.close(4406)
            return
        await self.accept(SUBPROTOCOL)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        message = json.loads(text_data or "{}")
        kind = message.get("type")
        if kind == "connection_init":
            await self.send('{"type":"connection_ack"}')
        elif kind == "ping":
            await self.send('{"type":"pong"}')
        elif kind == "subscribe":
            await self._subscribe(message["id"], message["payload"])
        elif kind == "complete":
            group = self.subscriptions.pop(message["id"], None)
            if group is not None and group not in self.subscriptions.values():
                await self.channel_layer.group_discard(group, self.channel_name)

    async def _subscribe(self, op_id: str, payload: dict[str, Any]) -> None:
        variables = payload.get("variables") or {}
        if "count(" in payload["query"]:
            prefix = '{"id":' + json.dumps(op_id) + ',"type":"next","payload":{"data":{"count":'
            for i in range(variables["to"]):
                await self.send(f"{prefix}{i}}}}}}}")
            await self.send(json.dumps({"id": op_id, "type": "complete"}))
            return
        group = variables["group"]
        await self.channel_layer.group_add(group, self.channel_name)
        self.subscriptions[op_id] = group
        if variables.get("greet"):
            await self._next(op_id, -1, 0.0)

    async def _next(self, op_id: str, seq: int, sent: float) -> None:
        payload = {"data": {"fanout": {"seq": seq, "sent": sent}}}
        await self.send(json.dumps({"id": op_id, "type": "next", "payload": payload}))

    async def bench_event(self, message: dict[str, Any]) -> None:
        for op_id in list(self.subscriptions):
            await self._next(op_id, message["seq"], message["sent"])

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        # The base class would also run aclose_old_connections() here.
        for group in set(self.subscriptions.values()):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.subscriptions.clear()
        raise StopConsumer()


def consumers(contender: str) -> tuple[Any | None, Any | None]:
    """The (HTTP, WebSocket) ASGI apps of a contender (None: not available)."""
    if contender == "ours":
        import strawberry_channels as ours

        # Either consumer may still be missing while the package is being built.
        http = getattr(ours, "GraphQLHTTPConsumer", None)
        ws = getattr(ours, "GraphQLWSConsumer", None)
        return (
            http.as_asgi(schema=schema) if http else None,
            ws.as_asgi(schema=schema) if ws else None,
        )
    if contender == "strawberry":
        from strawberry.channels import GraphQLHTTPConsumer, GraphQLWSConsumer

        return (
            GraphQLHTTPConsumer.as_asgi(schema=schema),
            GraphQLWSConsumer.as_asgi(schema=schema),
        )
    if contender == "raw":
        return RawHTTPConsumer.as_asgi(), RawWSConsumer.as_asgi()
    raise ValueError(f"unknown contender {contender!r}")


def application(contender: str) -> ProtocolTypeRouter:
    """The same routing for every contender: /graphql over HTTP and WebSocket, /publish."""
    http, ws = consumers(contender)
    http_routes: list[Any] = [path("publish", publish_app), path("stats", stats_app)]
    ws_routes: list[Any] = []
    if http is not None:
        http_routes.append(re_path(r"^graphql", http))
    if ws is not None:
        ws_routes.append(re_path(r"^graphql", ws))
    return ProtocolTypeRouter({"http": URLRouter(http_routes), "websocket": URLRouter(ws_routes)})
