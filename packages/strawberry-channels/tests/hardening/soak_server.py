"""The soak's server: the hardening schema served alone by uvicorn, in a process of its own.

``test_soak.py`` starts it with ``run_server("soak_server:application", cwd=<this folder>)``,
so that the RSS it reports is the server's only (the 1,000 clients stay in the test's
process). Two test-only endpoints run in the server process, where the in-memory layer
lives:

    POST /_test/publish  {"group": "soak", "start": 0, "count": 1}  -> {"published": 1}
    GET  /_test/state?group=soak  -> {"rss_kib": N, "peak_kib": N, "tasks": N, "memberships": N}

``state`` collects garbage first. ``&trace=idle`` also remembers the live objects by
type; ``&trace=after`` answers which types grew since then, and the RSS once glibc gave
its free memory back (``malloc_trim``; a diagnostic of this test server only), and
prints pymalloc's arena statistics to the server's stderr.

Environment: ``SOAK_LAYER`` is ``memory`` (Channels' in-memory layer, served by
``GraphQLWSConsumer``) or ``redis`` (``RedisWSConsumer`` on a Redis layer at
``SOAK_REDIS_URL`` with the keys under ``SOAK_REDIS_PREFIX``).
"""

from __future__ import annotations

import asyncio
import collections
import ctypes
import ctypes.util
import gc
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import django
from django.conf import settings

LAYER = os.environ.get("SOAK_LAYER", "memory")
REDIS_ALIAS = "strawberry-channels-hardening-redis"

layers: dict[str, Any] = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
if LAYER == "redis":
    layers[REDIS_ALIAS] = {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [os.environ["SOAK_REDIS_URL"]],
            "prefix": os.environ["SOAK_REDIS_PREFIX"],
        },
    }
settings.configure(
    DEBUG=False,
    SECRET_KEY="strawberry-channels-soak",
    ALLOWED_HOSTS=["*"],
    CHANNEL_LAYERS=layers,
)
django.setup()

from channels.layers import InMemoryChannelLayer, get_channel_layer  # noqa: E402
from hardening_schema import RedisWSConsumer, make_schema  # noqa: E402

from strawberry_channels import GraphQLProtocolTypeRouter, GraphQLWSConsumer  # noqa: E402

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# A line per connection, publish and state request would drown the test's output.
logging.getLogger("uvicorn.access").disabled = True
logging.getLogger("uvicorn.error").setLevel(logging.WARNING)

assert RedisWSConsumer.channel_layer_alias == REDIS_ALIAS
CONSUMER = RedisWSConsumer if LAYER == "redis" else GraphQLWSConsumer
graphql_application: Any = GraphQLProtocolTypeRouter(make_schema(), ws_consumer_class=CONSUMER)
_IDLE_OBJECTS: collections.Counter[str] = collections.Counter()


def layer() -> Any:
    return get_channel_layer(CONSUMER.channel_layer_alias)


def status_kib(field: str) -> int:
    """A figure of /proc/self/status: ``VmRSS`` (resident now) or ``VmHWM`` (the peak)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


async def memberships(group: str) -> int:
    channel_layer = layer()
    if isinstance(channel_layer, InMemoryChannelLayer):
        return len(channel_layer.groups.get(group, {}))
    async with channel_layer.connection(channel_layer.consistent_hash(group)) as connection:
        return int(await connection.zcard(channel_layer._group_key(group)))


def objects_by_type() -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for obj in gc.get_objects():
        kind = type(obj)
        counts[f"{kind.__module__}.{kind.__qualname__}"] += 1
    return counts


def malloc_trim() -> bool:
    """Give glibc's free memory back to the system (a diagnostic; glibc only)."""
    name = ctypes.util.find_library("c")
    if not sys.platform.startswith("linux") or name is None:
        return False
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None)
    if trim is None:
        return False
    trim(0)
    return True


async def state(group: str, trace: str) -> dict[str, Any]:
    global _IDLE_OBJECTS
    gc.collect()
    answer: dict[str, Any] = {
        "rss_kib": status_kib("VmRSS"),
        "peak_kib": status_kib("VmHWM"),
        "tasks": len(asyncio.all_tasks()),
        "memberships": await memberships(group),
    }
    if trace == "idle":
        _IDLE_OBJECTS = objects_by_type()
    elif trace == "after":
        grown = objects_by_type() - _IDLE_OBJECTS
        answer["grown_objects"] = sum(grown.values())
        answer["grown_by_type"] = grown.most_common(12)
        if malloc_trim():
            answer["after_trim_kib"] = status_kib("VmRSS")
        sys._debugmallocstats()  # pymalloc's arenas, to stderr
    return answer


async def publish(group: str, start: int, count: int) -> dict[str, Any]:
    channel_layer = layer()
    for n in range(start, start + count):
        await channel_layer.group_send(group, {"type": "test.message", "text": str(n)})
    return {"published": count}


async def serve_test_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    query = {key: values[-1] for key, values in parse_qs(scope["query_string"].decode()).items()}
    status = 200
    if scope["path"] == "/_test/state":
        answer = await state(query.get("group", "soak"), query.get("trace", ""))
    elif scope["path"] == "/_test/publish":
        body = json.loads(b"".join(chunks))
        answer = await publish(str(body["group"]), int(body["start"]), int(body["count"]))
    else:
        status, answer = 404, {"error": f"no test endpoint {scope['path']}"}
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(answer).encode()})


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http" and scope["path"].startswith("/_test/"):
        await serve_test_endpoint(scope, receive, send)
    else:
        await graphql_application(scope, receive, send)
