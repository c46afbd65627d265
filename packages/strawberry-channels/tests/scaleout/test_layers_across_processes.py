"""Subscriptions fed across three server processes, on each shared channel layer.

Processes A and B serve subscriptions, C serves the mutation that publishes;
the test process itself publishes too, with ``broadcast_sync`` from a thread
(as a Celery task or a management command would).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from scaleout_helpers import PUBLISH, Subscriber, graphql, process_id, servers, unique

from strawberry_channels import broadcast_sync

LAYERS = ["redis", "redis-pubsub", "rabbitmq"]


@pytest.fixture(params=LAYERS)
def layer(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(SC_LAYER, URL) of a real shared layer; skips (fails in CI) when it is down."""
    kind: str = request.param
    url = request.getfixturevalue("rabbitmq_url" if kind == "rabbitmq" else "redis_url")
    return kind, url


def layer_in_this_process(kind: str, url: str, prefix: str) -> Any:
    """The same layer as the servers', built in the test process."""
    if kind == "redis":
        from channels_redis.core import RedisChannelLayer

        return RedisChannelLayer(hosts=[url], prefix=prefix)
    if kind == "redis-pubsub":
        from channels_redis.pubsub import RedisPubSubChannelLayer

        return RedisPubSubChannelLayer(hosts=[url], prefix=prefix)
    from channels_rabbitmq.core import RabbitmqChannelLayer

    return RabbitmqChannelLayer(host=url)


async def test_three_processes_share_subscriptions(layer: tuple[str, str]) -> None:
    kind, url = layer
    prefix = unique("sc-three")
    group = unique("room")
    with servers(kind, url, "uvicorn", "uvicorn", "daphne", SC_PREFIX=prefix) as (a, b, c):
        assert len({await process_id(base) for base in (a, b, c)}) == 3
        async with Subscriber(a) as on_a, Subscriber(b, "graphql-ws") as on_b:
            await on_a.listen(group)
            await on_b.listen(group)

            # A mutation on the third process reaches both.
            reply = await graphql(c, PUBLISH, group=group, text="from C")
            assert reply == {"data": {"publish": True}}
            assert await on_a.next_text() == "from C"
            assert await on_b.next_text() == "from C"

            # broadcast_sync from a process that serves nothing: from a thread
            # of its own (a Celery task, a management command) on Redis; from
            # sync_to_async code (a Django view, a signal) on RabbitMQ, whose
            # layer only runs on the event loop it was made on.
            alias = unique("sc-test-layer")
            channel_layers.set(alias, layer_in_this_process(kind, url, prefix))
            message = {"type": "test.message", "text": "from sync code"}
            try:
                if kind == "rabbitmq":
                    await sync_to_async(broadcast_sync)(group, message, alias=alias)
                else:
                    await asyncio.to_thread(broadcast_sync, group, message, alias=alias)
            finally:
                used: Any = channel_layers.backends.pop(alias)
                if kind == "rabbitmq":
                    await used.close()
            assert await on_a.next_text() == "from sync code"
            assert await on_b.next_text() == "from sync code"

            # Another group's message reaches neither.
            await graphql(c, PUBLISH, group=unique("elsewhere"), text="not for you")
            await graphql(c, PUBLISH, group=group, text="last")
            assert await on_a.next_text() == "last"
            assert await on_b.next_text() == "last"
