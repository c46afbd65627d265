"""Delivery through a real Redis channel layer (channels_redis)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.layers import channel_layers
from ws_helpers import client
from ws_schema import schema

from strawberry_channels import GraphQLWSConsumer


class RedisConsumer(GraphQLWSConsumer):
    channel_layer_alias = "strawberry-channels-redis-test"


@pytest.fixture(params=["core", "pubsub"])
async def redis_layer(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[Any]:
    prefix = f"sc-test-{uuid.uuid4().hex[:8]}"
    if request.param == "core":
        from channels_redis.core import RedisChannelLayer

        layer: Any = RedisChannelLayer(hosts=[redis_url], prefix=prefix)
    else:
        from channels_redis.pubsub import RedisPubSubChannelLayer

        layer = RedisPubSubChannelLayer(hosts=[redis_url], prefix=prefix)
    previous = channel_layers.set(RedisConsumer.channel_layer_alias, layer)
    try:
        yield layer
    finally:
        await layer.flush()
        if request.param == "core":
            await layer.close_pools()
        if previous is None:
            channel_layers.backends.pop(RedisConsumer.channel_layer_alias, None)
        else:
            channel_layers.set(RedisConsumer.channel_layer_alias, previous)


async def test_tutorial_and_isolation_through_redis(redis_layer: Any) -> None:
    query = """subscription { joinChatRooms(rooms: [{roomName: "a"}, {roomName: "b"}],
        user: "r") { roomName message } }"""
    async with client(RedisConsumer.as_asgi(schema=schema)) as ws:
        await ws.start(query, id="chat")
        welcome = [await ws.receive_json_from(timeout=5) for _ in range(2)]
        assert [m["payload"]["data"]["joinChatRooms"]["roomName"] for m in welcome] == [
            "chat_a",
            "chat_b",
        ]
        await ws.start('subscription { listen(groups: ["other"]) }', id="other")
        assert (await ws.receive_json_from(timeout=5))["payload"]["data"] == {"listen": None}

        await redis_layer.group_send(
            "chat_b", {"type": "chat.message", "room_id": "chat_b", "message": "via redis"}
        )
        await redis_layer.group_send("other", {"type": "test.message", "text": "other"})
        received = {}
        for _ in range(2):
            message = await ws.receive_json_from(timeout=5)
            received[message["id"]] = message["payload"]["data"]
        assert received == {
            "chat": {"joinChatRooms": {"roomName": "chat_b", "message": "via redis"}},
            "other": {"listen": "other"},
        }
        await ws.assert_no_message(0.2)
        assert await members(redis_layer, "chat_a") in (1, None)
        await ws.complete("chat")
        await ws.complete("other")
        await ws.assert_no_message(0.1)
        # Nothing is delivered to completed operations.
        await redis_layer.group_send(
            "chat_a", {"type": "chat.message", "room_id": "chat_a", "message": "late"}
        )
        await ws.assert_no_message(0.2)

    for group in ("chat_a", "chat_b", "other"):
        assert await members(redis_layer, group) in (0, None)


async def members(layer: Any, group: str) -> int | None:
    """Members of a group in channels_redis.core's sorted set (None for pubsub)."""
    if not hasattr(layer, "_group_key"):
        return None
    import redis.asyncio

    connection = redis.asyncio.Redis.from_url(layer.hosts[0]["address"])
    try:
        count: int = await connection.zcard(layer._group_key(group))
        return count
    finally:
        await connection.aclose()


async def test_an_idle_subscription_outlives_the_redis_socket_timeout(redis_url: str) -> None:
    # redis-py 8.1 times every read out after 5 s by default, which is also how long
    # channels_redis's blocking pop waits for a message: an idle subscription's read
    # then times out now and then. A 1 s socket timeout makes that happen every time.
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(
        hosts=[{"address": redis_url, "socket_timeout": 1}],
        prefix=f"sc-timeout-{uuid.uuid4().hex[:8]}",
    )
    channel_layers.set(RedisConsumer.channel_layer_alias, layer)
    try:
        async with client(RedisConsumer.as_asgi(schema=schema)) as ws:
            await ws.start('subscription { listen(groups: ["idle"]) }', id="1")
            assert (await ws.receive_json_from(timeout=5))["payload"]["data"] == {"listen": None}
            await asyncio.sleep(3.5)  # several socket timeouts while nothing arrives
            await layer.group_send("idle", {"type": "test.message", "text": "still here"})
            message = await ws.receive_json_from(timeout=5)
            assert message["payload"]["data"] == {"listen": "still here"}, message
            await ws.complete("1")
    finally:
        await layer.flush()
        await layer.close_pools()
        channel_layers.backends.pop(RedisConsumer.channel_layer_alias, None)
