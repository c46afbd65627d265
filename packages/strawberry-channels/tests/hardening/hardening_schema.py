"""The schema the hardening tests serve: a query, a counter and a group listener.

And the WebSocket consumer the Redis tests serve it with (on a layer alias of its own).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry

from strawberry_channels import GraphQLWSConsumer


@strawberry.type
class Node:
    name: str = "node"

    @strawberry.field
    def child(self) -> Node:
        return Node()


#: What the ``slow`` resolver got to: "started", then "finished" or "cancelled".
SLOW: list[str] = []


@strawberry.type
class Query:
    @strawberry.field
    async def slow(self, seconds: float = 3) -> str:
        SLOW.append("started")
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            SLOW.append("cancelled")
            raise
        SLOW.append("finished")
        return "done"

    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"Hello {name}"

    @strawberry.field
    def node(self) -> Node:
        return Node()


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def count(self, to: int = 3, delay: float = 0) -> AsyncGenerator[int, None]:
        for i in range(1, to + 1):
            yield i
            if delay:
                await asyncio.sleep(delay)

    @strawberry.subscription
    async def listen(self, info: strawberry.Info, group: str) -> AsyncGenerator[str | None, None]:
        """Confirm with null once in the group, then yield message["text"] of every message."""
        async with info.context["ws"].listen_to_channel("test.message", groups=[group]) as cm:
            yield None
            async for message in cm:
                yield message["text"]


def make_schema() -> strawberry.Schema:
    """A fresh schema (each has its own document cache and limits)."""
    return strawberry.Schema(query=Query, subscription=Subscription)


class RedisWSConsumer(GraphQLWSConsumer):
    """The consumer on the Redis layer the tests register under this alias."""

    channel_layer_alias = "strawberry-channels-hardening-redis"
