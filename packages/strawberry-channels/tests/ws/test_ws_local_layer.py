"""On LocalChannelLayer an operation's messages are handed over by the layer: no reader task.

Each subscription on another layer has a task that waits in ``receive`` for its
channel's next message; on 10,000 subscriptions those tasks, and the objects
every wait creates again, were a tenth of what the garbage collector walks.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.layers import channel_layers
from ws_helpers import client
from ws_schema import SEEN_CONSUMERS, schema

from strawberry_channels import GraphQLWSConsumer
from strawberry_channels.base import _ChannelState
from strawberry_channels.layers import LocalChannelLayer

ALIAS = "strawberry-channels-local"


class LocalConsumer(GraphQLWSConsumer):
    channel_layer_alias = ALIAS


@pytest.fixture
async def local_layer() -> AsyncIterator[LocalChannelLayer]:
    layer = LocalChannelLayer()
    channel_layers.set(ALIAS, layer)
    try:
        yield layer
    finally:
        channel_layers.backends.pop(ALIAS, None)


def reader_tasks() -> list[asyncio.Task[Any]]:
    return [
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith("strawberry-channels reader") and not task.done()
    ]


async def test_subscriptions_are_served_without_reader_tasks(
    local_layer: LocalChannelLayer,
) -> None:
    async with client(LocalConsumer.as_asgi(schema=schema)) as ws:
        for n in range(3):
            await ws.start('subscription { listen(groups: ["local"]) }', id=str(n))
            assert (await ws.receive_json_from())["payload"]["data"] == {"listen": None}
        assert reader_tasks() == []
        assert len(local_layer._sinks) == 3
        for text in ("a", "b", "c"):
            await local_layer.group_send("local", {"type": "test.message", "text": text})
        got: dict[str, list[str]] = {str(n): [] for n in range(3)}
        for _ in range(9):
            message = await ws.receive_json_from()
            got[message["id"]].append(message["payload"]["data"]["listen"])
        assert got == {str(n): ["a", "b", "c"] for n in range(3)}
        # A message of a type nobody listens for is not handed to the listener.
        await local_layer.group_send("local", {"type": "other.message", "text": "x"})
        await local_layer.group_send("local", {"type": "test.message", "text": "d"})
        for _ in range(3):
            assert (await ws.receive_json_from())["payload"]["data"] == {"listen": "d"}
        for n in range(3):
            await ws.complete(str(n))
        for _ in range(100):
            if not local_layer._sinks and not local_layer.groups:
                break
            await asyncio.sleep(0.01)
        # Completed operations: no handover, no membership, no queue left.
        assert (local_layer._sinks, local_layer.groups, local_layer.channels) == ({}, {}, {})
    SEEN_CONSUMERS.clear()
    gc.collect()
    states = sum(
        type(o) is _ChannelState and type(o.consumer) is LocalConsumer for o in gc.get_objects()
    )
    assert states == 0


async def test_disconnect_detaches_the_channels(local_layer: LocalChannelLayer) -> None:
    async with client(LocalConsumer.as_asgi(schema=schema)) as ws:
        await ws.start('subscription { listen(groups: ["gone"]) }', id="1")
        assert (await ws.receive_json_from())["payload"]["data"] == {"listen": None}
        assert len(local_layer._sinks) == 1
    for _ in range(100):
        if not local_layer._sinks and not local_layer.groups:
            break
        await asyncio.sleep(0.01)
    assert (local_layer._sinks, local_layer.groups) == ({}, {})
    SEEN_CONSUMERS.clear()
