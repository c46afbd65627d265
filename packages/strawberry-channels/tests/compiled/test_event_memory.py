"""Memory retained per subscription event must not grow with the number of events.

graphql-core 3.3 keeps one ``collect_subfields`` memo entry (about 1 KB) per
event for as long as a subscription lives; compiled execution runs events
without it, and its executor gives every event of the graphql-core path its
own memo.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncGenerator

import pytest
import strawberry

from strawberry_channels import install_compiled_execution
from strawberry_channels.compiled_execution import CompiledExecution

EVENTS = 10_000
MEASURE_FROM = 1_000


@strawberry.type
class Leaf:
    n: int


@strawberry.type
class Event:
    seq: int
    sent: float
    leaf: Leaf

    @strawberry.field
    def custom(self) -> Leaf:
        return self.leaf


@strawberry.type
class Query:
    hello: str = "world"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def events(self) -> AsyncGenerator[Event, None]:
        leaf = Leaf(n=1)
        for i in range(EVENTS):
            yield Event(seq=i, sent=0.5, leaf=leaf)


async def retained_growth(schema: strawberry.Schema, query: str) -> int:
    """Memory blocks still allocated after the last event that were not after event
    MEASURE_FROM, with the subscription alive (``sys.getallocatedblocks``: no tracing cost)."""
    stream = await schema.subscribe(query)
    seen = 0
    start = end = 0
    async for result in stream:
        assert result.errors is None
        seen += 1
        if seen == MEASURE_FROM:
            gc.collect()
            start = sys.getallocatedblocks()
        elif seen == EVENTS:
            gc.collect()
            end = sys.getallocatedblocks()
    assert seen == EVENTS
    return end - start


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("subscription { events { seq sent leaf { n } } }", "compiled"),
        # A custom resolver keeps the event on graphql-core; its subtree is compiled.
        ("subscription { events { seq custom { n } } }", "graphql-core"),
    ],
)
async def test_retained_memory_does_not_grow_with_events(query: str, path: str) -> None:
    schema = strawberry.Schema(query=Query, subscription=Subscription)
    state = install_compiled_execution(schema)
    assert isinstance(state, CompiledExecution)
    growth = await retained_growth(schema, query)
    # graphql-core alone keeps several blocks (~1 KB) per event: tens of thousands here.
    assert growth < 500, f"{path}: {growth} blocks over {EVENTS - MEASURE_FROM} events"
    assert state.stats.compiled_runs >= EVENTS


async def test_the_measure_sees_graphql_cores_growth() -> None:
    """The same measure on Strawberry's default executor shows the upstream growth
    (so the bound above can fail)."""
    schema = strawberry.Schema(query=Query, subscription=Subscription)
    growth = await retained_growth(schema, "subscription { events { seq custom { n } } }")
    assert growth > 5 * (EVENTS - MEASURE_FROM)
