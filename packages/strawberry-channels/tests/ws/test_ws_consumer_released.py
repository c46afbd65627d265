"""A consumer whose connection ended is released, even by the Redis layer's connection pool."""

from __future__ import annotations

import asyncio
import gc
import uuid
import weakref
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import pytest
from channels.layers import channel_layers
from ws_helpers import client
from ws_schema import SEEN_CONSUMERS, schema

from strawberry_channels import GraphQLWSConsumer
from strawberry_channels.base import _ChannelState


class TrackedConsumer(GraphQLWSConsumer):
    channel_layer_alias = "strawberry-channels-released"
    instances: ClassVar[list[weakref.ReferenceType[GraphQLWSConsumer]]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        TrackedConsumer.instances.append(weakref.ref(self))


@pytest.fixture
async def fresh_redis_layer(redis_url: str) -> AsyncIterator[Any]:
    from channels_redis.core import RedisChannelLayer

    # A layer of its own, so that its pool's connections are opened while the
    # operations run (and capture their context).
    layer = RedisChannelLayer(hosts=[redis_url], prefix=f"sc-released-{uuid.uuid4().hex[:8]}")
    channel_layers.set(TrackedConsumer.channel_layer_alias, layer)
    try:
        yield layer
    finally:
        await layer.flush()
        await layer.close_pools()
        channel_layers.backends.pop(TrackedConsumer.channel_layer_alias, None)


async def test_ended_connections_leave_no_consumer_or_channel_state_alive(
    fresh_redis_layer: Any,
) -> None:
    TrackedConsumer.instances.clear()
    for round_ in range(3):
        async with client(TrackedConsumer.as_asgi(schema=schema)) as ws:
            for n in range(3):
                await ws.start(f'subscription {{ listen(groups: ["released{n}"]) }}', id=str(n))
                assert (await ws.receive_json_from())["payload"]["data"] == {"listen": None}
            await fresh_redis_layer.group_send(
                "released0", {"type": "test.message", "text": str(round_)}
            )
            assert (await ws.receive_json_from())["payload"]["data"] == {"listen": str(round_)}
            for n in range(3):
                await ws.complete(str(n))
    SEEN_CONSUMERS.clear()
    assert len(TrackedConsumer.instances) == 3
    # The last connection's operations end after its disconnect: give them time.
    for _ in range(100):
        gc.collect()
        alive = [ref for ref in TrackedConsumer.instances if ref() is not None]
        # This test's channel states only (other tests may hold theirs); type(), not
        # isinstance(): a lazy object (Django's) would set itself up.
        states = sum(
            type(o) is _ChannelState and type(o.consumer) is TrackedConsumer
            for o in gc.get_objects()
        )
        if not alive and not states:
            break
        await asyncio.sleep(0.05)
    assert (len(alive), states) == (0, 0)
