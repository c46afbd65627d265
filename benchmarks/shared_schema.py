"""The one schema every Strawberry-based contender serves.

- ``hello``: the small query; ``items``: the list query (100 objects of two fields).
- ``count(to)``: the stream, yielding ``to`` integers as fast as it can.
- ``fanout(group, greet)``: joins a channel-layer group through the consumer's
  ``listen_to_channel`` (the API both integrations share) and yields each
  ``bench.event`` message; with ``greet`` it first yields ``seq = -1`` once the
  group is joined, so a client knows its subscription is live.
- ``fanoutShared(group, greet)``: the same field marked ``SharedSubscription()``. In
  strawberry_channels the subscribers with the same document and variables share one
  execution per server process (a shared execution greets only its first subscriber); in
  strawberry.channels the marker is a plain field extension that passes through, so there
  it runs unshared.

Group messages carry ``seq`` and ``sent`` (``time.monotonic()`` of the publisher,
comparable across processes on one Linux machine).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from strawberry_channels import SharedSubscription

GROUP_EVENT = "bench.event"
ITEMS = 100


@strawberry.type
class Item:
    id: int
    name: str


_ITEMS = [Item(id=i, name=f"item {i}") for i in range(ITEMS)]


@strawberry.type
class Event:
    seq: int
    sent: float


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"

    @strawberry.field
    def items(self) -> list[Item]:
        return _ITEMS


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def count(self, to: int) -> AsyncGenerator[int, None]:
        for i in range(to):
            yield i

    @strawberry.subscription
    async def fanout(
        self, info: strawberry.Info, group: str, greet: bool = False
    ) -> AsyncGenerator[Event, None]:
        ws = info.context["ws"]
        async with ws.listen_to_channel(GROUP_EVENT, groups=[group]) as messages:
            if greet:
                yield Event(seq=-1, sent=0.0)
            async for message in messages:
                yield Event(seq=message["seq"], sent=message["sent"])

    @strawberry.subscription(extensions=[SharedSubscription()])
    async def fanout_shared(
        self, info: strawberry.Info, group: str, greet: bool = False
    ) -> AsyncGenerator[Event, None]:
        ws = info.context["ws"]
        async with ws.listen_to_channel(GROUP_EVENT, groups=[group]) as messages:
            if greet:
                yield Event(seq=-1, sent=0.0)
            async for message in messages:
                yield Event(seq=message["seq"], sent=message["sent"])


schema = strawberry.Schema(query=Query, subscription=Subscription)

# The documents the load generator sends, and what the raw consumer answers to them.
HELLO = "{ hello }"
LIST = "{ items { id name } }"
STREAM = "subscription Stream($to: Int!) { count(to: $to) }"
FANOUT = (
    "subscription Fanout($group: String!, $greet: Boolean!) "
    "{ fanout(group: $group, greet: $greet) { seq sent } }"
)
FANOUT_SHARED = (
    "subscription Fanout($group: String!, $greet: Boolean!) "
    "{ fanoutShared(group: $group, greet: $greet) { seq sent } }"
)
HELLO_RESULT = {"data": {"hello": "world"}}
LIST_RESULT = {"data": {"items": [{"id": i.id, "name": i.name} for i in _ITEMS]}}
