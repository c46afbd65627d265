"""Abrupt disconnects while messages flow leave no group membership behind (real sockets)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer, channel_layers, get_channel_layer
from conftest import serve
from hardening_helpers import LEGACY_WS, TRANSPORT_WS, ws_client
from hardening_schema import RedisWSConsumer, make_schema

from strawberry_channels import GraphQLProtocolTypeRouter, GraphQLWSConsumer

# Reduced in the default run; `nox -s soak` runs the 1,000.
DISCONNECTS = int(os.environ.get("HARDENING_DISCONNECTS", "100"))


def reset(client: Any) -> None:
    """Drop the TCP connection with a RST, no close frame."""
    transport = client.socket.transport
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def memberships(layer: Any, group: str) -> int:
    if isinstance(layer, InMemoryChannelLayer):
        return len(layer.groups.get(group, {}))
    async with layer.connection(layer.consistent_hash(group)) as connection:
        return int(await connection.zcard(layer._group_key(group)))


async def wait_for_no_memberships(layer: Any, group: str, seconds: float = 20) -> int:
    left = await memberships(layer, group)
    for _ in range(int(seconds / 0.05)):
        if left == 0:
            break
        await asyncio.sleep(0.05)
        left = await memberships(layer, group)
    return left


async def flood(layer: Any, group: str, stop: asyncio.Event) -> None:
    n = 0
    while not stop.is_set():
        for _ in range(10):
            with contextlib.suppress(Exception):
                await layer.group_send(group, {"type": "test.message", "text": "x" * 2000})
            n += 1
        await asyncio.sleep(0.001)


async def abrupt_disconnects(
    layer: Any,
    group: str,
    subprotocol: str,
    count: int,
    consumer: type[GraphQLWSConsumer] = GraphQLWSConsumer,
) -> int:
    stop = asyncio.Event()
    app = GraphQLProtocolTypeRouter(make_schema(), ws_consumer_class=consumer)
    async with serve(app) as url:
        sender = asyncio.create_task(flood(layer, group, stop))
        try:
            batch = 50
            for start in range(0, count, batch):
                async with contextlib.AsyncExitStack() as stack:
                    clients = [
                        await stack.enter_async_context(ws_client(url, subprotocol))
                        for _ in range(min(batch, count - start))
                    ]
                    for client in clients:
                        await client.start("1", f'subscription {{ listen(group: "{group}") }}')
                    for client in clients:  # in the group, messages flowing
                        await client.next_payload()
                        await client.next_payload()
                    stop_type = "complete" if subprotocol == TRANSPORT_WS else "stop"
                    for n, client in enumerate(clients):
                        if n % 2:
                            # Cancelled twice: by its own stop, then by the disconnect.
                            await client.send({"type": stop_type, "id": "1"})
                        reset(client)
        finally:
            stop.set()
            await sender
        return await wait_for_no_memberships(layer, group)


@pytest.mark.parametrize("subprotocol", [TRANSPORT_WS, LEGACY_WS])
async def test_abrupt_disconnects_leave_no_membership_in_memory(subprotocol: str) -> None:
    layer = get_channel_layer()
    assert isinstance(layer, InMemoryChannelLayer)
    await layer.flush()
    left = await abrupt_disconnects(layer, "leak-memory", subprotocol, DISCONNECTS)
    assert left == 0, f"{left} of {DISCONNECTS} memberships left behind"
    await layer.flush()


@pytest.fixture
async def redis_layer(redis_url: str) -> AsyncIterator[Any]:
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[redis_url], prefix=f"sc-hardening-{uuid.uuid4().hex[:8]}")
    previous = channel_layers.set(RedisWSConsumer.channel_layer_alias, layer)
    try:
        yield layer
    finally:
        await layer.flush()
        await layer.close_pools()
        if previous is None:
            channel_layers.backends.pop(RedisWSConsumer.channel_layer_alias, None)
        else:
            channel_layers.set(RedisWSConsumer.channel_layer_alias, previous)


@pytest.mark.parametrize("subprotocol", [TRANSPORT_WS])
async def test_abrupt_disconnects_leave_no_membership_in_redis(
    redis_layer: Any, subprotocol: str
) -> None:
    left = await abrupt_disconnects(
        redis_layer, "leak-redis", subprotocol, DISCONNECTS, RedisWSConsumer
    )
    assert left == 0, f"{left} of {DISCONNECTS} memberships left behind"


class SlowCancelLayer(InMemoryChannelLayer):
    """The in-memory layer, but a cancelled ``receive`` takes a while to unwind,
    as a network layer's does (Redis answers the cancelled BZPOPMIN first)."""

    async def receive(self, channel: str) -> dict[str, Any]:
        try:
            return await super().receive(channel)
        except asyncio.CancelledError:
            await asyncio.shield(asyncio.sleep(0.05))
            raise


class SlowCancelConsumer(GraphQLWSConsumer):
    channel_layer_alias = "strawberry-channels-hardening-slow-cancel"


@pytest.mark.parametrize("subprotocol", [TRANSPORT_WS, LEGACY_WS])
async def test_stop_then_reset_during_slow_reader_shutdown_leaves_no_membership(
    subprotocol: str,
) -> None:
    # The operation is cancelled by its own stop message, then again by the
    # disconnect while it waits for its reader to stop: the group must still be left.
    layer = SlowCancelLayer()
    previous = channel_layers.set(SlowCancelConsumer.channel_layer_alias, layer)
    try:
        app = GraphQLProtocolTypeRouter(make_schema(), ws_consumer_class=SlowCancelConsumer)
        stop_type = "complete" if subprotocol == TRANSPORT_WS else "stop"
        stop = asyncio.Event()
        async with serve(app) as url:
            sender = asyncio.create_task(flood(layer, "slow", stop))
            try:
                for n in range(10):
                    async with ws_client(url, subprotocol) as client:
                        await client.start("1", 'subscription { listen(group: "slow") }')
                        await client.next_payload()
                        await client.next_payload()
                        if n % 2:
                            await client.send({"type": stop_type, "id": "1"})
                        else:
                            # A protocol violation: the server closes (cancelling the
                            # operation), then the disconnect cancels it again.
                            await client.send({"type": "bogus"})
                            await asyncio.sleep(0.01)
                        reset(client)
            finally:
                stop.set()
                await sender
            left = await wait_for_no_memberships(layer, "slow", seconds=5)
        assert left == 0, f"{left} of 10 memberships left behind"
    finally:
        channel_layers.backends.pop(SlowCancelConsumer.channel_layer_alias, None)
        if previous is not None:
            channel_layers.set(SlowCancelConsumer.channel_layer_alias, previous)


SUBSCRIPTIONS_ON_ONE_SOCKET = int(os.environ.get("HARDENING_SUBSCRIPTIONS", "1000"))


async def test_a_thousand_subscriptions_on_one_socket_through_redis(redis_layer: Any) -> None:
    # redis-py's pool holds 100 connections: 1,000 operations joining (and
    # then leaving) their groups at once must queue, not fail.
    count = SUBSCRIPTIONS_ON_ONE_SOCKET
    app = GraphQLProtocolTypeRouter(
        make_schema(),
        ws_consumer_class=RedisWSConsumer,
        ws_options={"max_subscriptions_per_connection": None},
    )
    async with serve(app) as url:
        async with ws_client(url) as client:
            for n in range(count):
                await client.start(str(n), 'subscription { listen(group: "pool") }')
            failures = []
            for _ in range(count):
                message = await client.next_payload(timeout=30)
                if message["type"] != "next":
                    failures.append(message)
            assert failures == [], f"{len(failures)} of {count} failed: {failures[:1]}"
            assert await memberships(redis_layer, "pool") == count
            await redis_layer.group_send("pool", {"type": "test.message", "text": "all"})
            received = [await client.next_payload(timeout=30) for _ in range(count)]
            assert {m["payload"]["data"]["listen"] for m in received} == {"all"}
            reset(client)
        left = await wait_for_no_memberships(redis_layer, "pool", seconds=30)
    assert left == 0, f"{left} of {count} memberships left behind"
