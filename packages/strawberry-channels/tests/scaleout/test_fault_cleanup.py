"""In one process: a Redis outage ends listeners without leaking a task or a group.

The consumer runs in the test's event loop (Channels' communicator) on a
RedisChannelLayer pointed at a ``redis-server`` of the test's own, so the
test can see every task still alive after the failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from channels.layers import channel_layers
from channels_redis.core import RedisChannelLayer
from layer_app import schema
from scaleout_helpers import LISTEN, RedisServer, unique

from strawberry_channels import GraphQLWSConsumer
from strawberry_channels.testing import GraphQLWebsocketCommunicator


class OwnRedisConsumer(GraphQLWSConsumer):
    channel_layer_alias = "strawberry-channels-own-redis"


@pytest.fixture
async def own_layer(tmp_path: Path) -> AsyncIterator[tuple[RedisServer, RedisChannelLayer]]:
    with RedisServer(tmp_path) as own_redis:
        layer = RedisChannelLayer(hosts=[own_redis.url], prefix=unique("sc-cleanup"))
        channel_layers.set(OwnRedisConsumer.channel_layer_alias, layer)
        try:
            yield own_redis, layer
        finally:
            channel_layers.backends.pop(OwnRedisConsumer.channel_layer_alias, None)
            await layer.close_pools()


async def other_tasks() -> set[asyncio.Task[Any]]:
    for _ in range(5):
        await asyncio.sleep(0)
    current = asyncio.current_task()
    return {task for task in asyncio.all_tasks() if task is not current and not task.done()}


async def test_outage_leaves_no_task_behind(own_layer: tuple[RedisServer, Any]) -> None:
    own_redis, _ = own_layer
    group = unique("room")
    before = await other_tasks()
    client = GraphQLWebsocketCommunicator(OwnRedisConsumer.as_asgi(schema=schema), "/graphql")
    async with client:
        for id in ("1", "2"):
            await client.send_json_to(
                {
                    "type": "subscribe",
                    "id": id,
                    "payload": {"query": LISTEN, "variables": {"groups": [group]}},
                }
            )
            assert (await client.receive_json_from(timeout=5))["payload"] == {
                "data": {"listen": None}
            }
        readers = [t for t in await other_tasks() if "reader" in t.get_name()]
        assert len(readers) == 2

        own_redis.stop()
        ended: dict[str, list[str]] = {"1": [], "2": []}
        for _ in range(4):
            message = await client.receive_json_from(timeout=10)
            ended[message["id"]].append(message["type"])
            if message["type"] == "next":
                error = message["payload"]["errors"][0]
                assert error["extensions"] == {"code": "CHANNEL_LAYER_UNAVAILABLE"}
        assert ended == {"1": ["next", "complete"], "2": ["next", "complete"]}
        # The readers are gone while the connection stays open.
        assert not [t for t in await other_tasks() if "reader" in t.get_name()]
        await client.assert_no_message(0.2)
    assert await other_tasks() <= before
