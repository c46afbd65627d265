"""The ASGI application the scale-out tests serve from several server processes.

Configured from the environment, so every process of a test points at the
same channel layer:

* ``SC_LAYER``: ``redis`` (channels_redis.core), ``redis-pubsub``,
  ``redis-sentinel``, ``rabbitmq`` or ``memory``;
* ``SC_LAYER_URL``: the Redis or AMQP URL (for ``redis-sentinel``: the
  sentinel's ``host:port``, with ``SC_SENTINEL_MASTER`` the master's name);
* ``SC_PREFIX``: a key prefix of its own per test, so runs never mix;
* ``SC_GROUP_EXPIRY``: channels_redis.core's group expiry in seconds.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator
from typing import Any

import django
from django.conf import settings


def channel_layer_config() -> dict[str, Any]:
    kind = os.environ.get("SC_LAYER", "memory")
    url = os.environ.get("SC_LAYER_URL", "")
    prefix = os.environ.get("SC_PREFIX", "sc-scaleout")
    if kind == "memory":
        return {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    if kind == "redis":
        config: dict[str, Any] = {"hosts": [url], "prefix": prefix}
        if "SC_GROUP_EXPIRY" in os.environ:
            config["group_expiry"] = int(os.environ["SC_GROUP_EXPIRY"])
        return {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": config}
    if kind == "redis-pubsub":
        return {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [url], "prefix": prefix},
        }
    if kind == "redis-sentinel":
        host, port = url.rsplit(":", 1)
        return {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "sentinels": [(host, int(port))],
                        "master_name": os.environ["SC_SENTINEL_MASTER"],
                    }
                ],
                "prefix": prefix,
            },
        }
    if kind == "rabbitmq":
        return {
            "BACKEND": "channels_rabbitmq.core.RabbitmqChannelLayer",
            "CONFIG": {"host": url},
        }
    raise ValueError(f"unknown SC_LAYER {kind!r}")


if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="strawberry-channels-scaleout",
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes"],
        DATABASES={},
        CHANNEL_LAYERS={"default": channel_layer_config()},
        USE_TZ=True,
    )
    django.setup()

import strawberry  # noqa: E402

from strawberry_channels import (  # noqa: E402
    GraphQLProtocolTypeRouter,
    broadcast,
    unsubscribe,
)


@strawberry.type
class Query:
    @strawberry.field
    def process_id(self) -> int:
        return os.getpid()


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def publish(self, group: str, text: str) -> bool:
        await broadcast(group, {"text": text}, type="test.message")
        return True

    @strawberry.mutation
    async def end_group(self, group: str) -> bool:
        await unsubscribe(group)
        return True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def listen(
        self, info: strawberry.Info, groups: list[str]
    ) -> AsyncGenerator[str | None, None]:
        """Confirm with null once the groups are joined, then yield each message's text."""
        ws = info.context.get("ws") or info.context["request"].consumer
        async with ws.listen_to_channel("test.message", groups=groups) as messages:
            yield None
            async for message in messages:
                yield message["text"]


schema = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)
application = GraphQLProtocolTypeRouter(
    schema, http_options={"subscription_protocols": ["sse", "multipart"]}
)
