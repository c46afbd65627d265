"""A subscription outlives the layer's group_expiry: its memberships are renewed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer, channel_layers
from ws_helpers import client
from ws_schema import schema

from strawberry_channels import GraphQLWSConsumer, LocalChannelLayer


class ShortExpiryConsumer(GraphQLWSConsumer):
    channel_layer_alias = "strawberry-channels-short-group-expiry"


@pytest.fixture(params=["in-memory", "local", "redis"])
async def short_expiry_layer(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    layer: Any
    if request.param == "in-memory":
        layer = InMemoryChannelLayer(group_expiry=1)
    elif request.param == "local":
        layer = LocalChannelLayer(group_expiry=1)
    else:
        from channels_redis.core import RedisChannelLayer

        redis_url = request.getfixturevalue("redis_url")
        prefix = f"sc-renew-{uuid.uuid4().hex[:8]}"
        layer = RedisChannelLayer(hosts=[redis_url], prefix=prefix, group_expiry=1)
    channel_layers.set(ShortExpiryConsumer.channel_layer_alias, layer)
    try:
        yield layer
    finally:
        await layer.flush()
        if request.param == "redis":
            await layer.close_pools()
        channel_layers.backends.pop(ShortExpiryConsumer.channel_layer_alias, None)


async def test_a_subscription_keeps_its_groups_past_group_expiry(short_expiry_layer: Any) -> None:
    async with client(ShortExpiryConsumer.as_asgi(schema=schema)) as ws:
        await ws.start('subscription { listen(groups: ["renewed"]) }', id="1")
        assert (await ws.receive_json_from())["payload"]["data"] == {"listen": None}
        # Well past the 1 s group expiry (the layers count whole seconds).
        await asyncio.sleep(3)
        await short_expiry_layer.group_send("renewed", {"type": "test.message", "text": "late"})
        message = await ws.receive_json_from(timeout=5)
        assert message["payload"]["data"] == {"listen": "late"}
        await ws.complete("1")
    await asyncio.sleep(0.1)
    # Leaving still leaves: nothing is renewed after the operation ended.
    await asyncio.sleep(1)
    if isinstance(short_expiry_layer, (InMemoryChannelLayer, LocalChannelLayer)):
        assert not short_expiry_layer.groups.get("renewed")
