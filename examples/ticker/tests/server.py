"""The example's application plus test-only endpoints under ``/_test/``, served by uvicorn.

The endpoints run in the server process, so they see what the tests cannot see from
outside: the shared-subscription counts, the channel layer's group membership, the
``strawberry_channels.shared`` log lines and the consumers' dropped-message count; and
they publish ticks in-process, many per request (the backpressure test sends its batches
through them, so that the publisher is never the bottleneck).

    POST /_test/publish  {"symbol": "ACME", "start": 1, "count": 500}
    GET  /_test/state    {"stats": {...}, "groups": {...}, "log": [...], "dropped": N}
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from channels.layers import get_channel_layer
from ticker.asgi import application as ticker_application
from ticker.feed import publish_price
from ticker.schema import nosy_schema, schema

from strawberry_channels import ChannelsConsumer, GraphQLWSConsumer, shared_subscription_stats

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# The schema the docs page shows as wrong (a shared resolver that reads the connection).
nosy_application: Any = GraphQLWSConsumer.as_asgi(schema=nosy_schema)
# The example's WebSocket consumer, with a socket that takes nothing given up only after an
# hour instead of send_buffer_timeout's 10 s: the backpressure test's subscriber that stops
# reading shows its buffer at work (by default it would be closed with 4503 after 10 s).
patient_application: Any = GraphQLWSConsumer.as_asgi(schema=schema, send_buffer_timeout=3600)


class _Remember(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


_LOG = _Remember()
logging.getLogger("strawberry_channels.shared").addHandler(_LOG)
logging.getLogger("strawberry_channels.shared").setLevel(logging.DEBUG)


def plain_stats(stats: Any) -> dict[str, Any]:
    """The counts of ``shared_subscription_stats`` as a JSON object."""
    if dataclasses.is_dataclass(stats) and not isinstance(stats, type):
        return dataclasses.asdict(stats)
    if hasattr(stats, "_asdict"):
        return dict(stats._asdict())
    if isinstance(stats, Mapping):
        return dict(stats)
    names = ("executions", "subscribers", "events", "dropped")
    return {name: getattr(stats, name) for name in names if hasattr(stats, name)}


def group_members() -> dict[str, list[str]]:
    """The in-memory layer's groups of ticks and their channels (Redis: the tests ask Redis)."""
    groups: Mapping[str, Mapping[str, Any]] = getattr(get_channel_layer(), "groups", {})
    return {
        group: sorted(members)
        for group, members in groups.items()
        if group.startswith("ticker.") and members
    }


# --8<-- [start:state]
async def _state() -> dict[str, Any]:
    return {
        "stats": plain_stats(shared_subscription_stats(schema)),
        "groups": group_members(),
        "log": list(_LOG.lines),
        "dropped": ChannelsConsumer.total_dropped_messages,
    }


# --8<-- [end:state]


async def _publish(body: dict[str, Any]) -> dict[str, Any]:
    symbol, start, count = str(body["symbol"]), int(body["start"]), int(body["count"])
    for sequence in range(start, start + count):
        await publish_price(symbol, 100.0 + sequence % 7, sequence=sequence)
    return {"published": count}


async def _test_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    raw = b"".join(chunks)
    if scope["path"] == "/_test/state":
        answer = await _state()
    elif scope["path"] == "/_test/publish":
        answer = await _publish(json.loads(raw))
    else:
        answer = {"error": f"no test endpoint {scope['path']}"}
    body = json.dumps(answer).encode()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http" and scope["path"].startswith("/_test/"):
        await _test_endpoint(scope, receive, send)
    elif scope["type"] == "websocket" and scope["path"] == "/_test/nosy/graphql":
        await nosy_application(scope, receive, send)
    elif scope["type"] == "websocket" and scope["path"] == "/_test/patient/graphql":
        await patient_application(scope, receive, send)
    else:
        app: Any = ticker_application
        await app(scope, receive, send)
