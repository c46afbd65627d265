"""Memory retained per subscription event: ``event_memory.py CONTENDER [EVENTS]``.

Runs one subscription of the shared schema's shape for EVENTS events (10,000 by default)
in-process, on the executor the contender uses (ours: compiled execution installed by the
consumer; strawberry.channels: Strawberry's default graphql-core executor; raw consumer:
no GraphQL execution), and prints a JSON line with the bytes still allocated per event
while the subscription is alive (tracemalloc, after a garbage collection).
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import tracemalloc
from collections.abc import AsyncGenerator

import strawberry

WARMUP = 200


@strawberry.type
class Event:
    seq: int
    sent: float


@strawberry.type
class Query:
    hello: str = "world"


def make_schema(contender: str, events: int) -> strawberry.Schema:
    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def fanout(self, group: str) -> AsyncGenerator[Event, None]:
            for i in range(events):
                yield Event(seq=i, sent=0.5)

    schema = strawberry.Schema(query=Query, subscription=Subscription)
    if contender == "ours":
        from strawberry_channels import GraphQLWSConsumer

        GraphQLWSConsumer(schema=schema)  # installs what the consumer serves with
    return schema


async def retained_per_event(contender: str, events: int) -> float:
    if contender == "raw":
        return 0.0
    schema = make_schema(contender, WARMUP + events)
    stream = await schema.subscribe(
        "subscription F($g: String!) { fanout(group: $g) { seq sent } }",
        variable_values={"g": "g"},
    )
    seen = 0
    start = 0
    async for _result in stream:  # type: ignore[union-attr]
        seen += 1
        if seen == WARMUP:
            gc.collect()
            tracemalloc.start()
            start = tracemalloc.get_traced_memory()[0]
        elif seen == WARMUP + events:
            gc.collect()
            end = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
            return max(0.0, (end - start) / events)
    raise RuntimeError("the subscription ended early")


def main() -> None:
    contender = sys.argv[1]
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    rate = asyncio.run(retained_per_event(contender, events))
    print(json.dumps({"rate": rate, "delivered": events, "expected": events, "in_order": True}))


if __name__ == "__main__":
    main()
