"""Shared subscriptions over graphql-transport-ws and graphql-ws, in process.

The end-to-end proof through real sockets (every transport, several server
processes on Redis, a stalled reader among fast ones) is in the ticker
example's tests; these cover the rules and the lifecycle.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Hashable
from typing import Any

import pytest
import strawberry
from channels.layers import InMemoryChannelLayer, get_channel_layer
from sharing_schema import InfoNode, PlainNode, Query, Subscription, schema

from strawberry_channels import (
    GRAPHQL_WS_PROTOCOL,
    GraphQLWSConsumer,
    disable_shared_subscriptions,
    shared_subscription_stats,
    shared_subscriptions,
)
from strawberry_channels.testing import GraphQLWebsocketCommunicator

TICKS = 'subscription { ticks(symbol: "ACME") { symbol price seq label } }'
GROUP = "ticks_ACME"

# The same types, served with sharing switched off: what unshared execution sends.
unshared_schema = strawberry.Schema(Query, subscription=Subscription, types=[PlainNode, InfoNode])
disable_shared_subscriptions(unshared_schema)


@pytest.fixture(name="layer")
async def layer_fixture() -> AsyncIterator[InMemoryChannelLayer]:
    channel_layer = get_channel_layer()
    assert isinstance(channel_layer, InMemoryChannelLayer)
    await channel_layer.flush()
    yield channel_layer
    await channel_layer.flush()


def connect(target: Any = schema, **options: Any) -> GraphQLWebsocketCommunicator:
    client = options.pop("client", {})
    app = GraphQLWSConsumer.as_asgi(schema=target, **options)
    return GraphQLWebsocketCommunicator(app, "/graphql", **client)


async def members(layer: InMemoryChannelLayer, group: str, count: int) -> None:
    """Wait until ``group`` has ``count`` members (the resolvers joined it)."""
    for _ in range(200):
        if len(layer.groups.get(group, {})) == count:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"{group} has {len(layer.groups.get(group, {}))} members, not {count}")


async def tick(layer: InMemoryChannelLayer, seq: int, **extra: Any) -> None:
    await layer.group_send(GROUP, {"type": "tick", "price": 1.5 + seq, "seq": seq, **extra})


async def test_identical_subscriptions_share_one_execution(layer: InMemoryChannelLayer) -> None:
    stats = shared_subscription_stats(schema)
    started, events = stats.started, stats.events
    async with connect() as a, connect() as b, connect() as c:
        for ws in (a, b, c):
            await ws.start(TICKS, id="t")
        await members(layer, GROUP, 1)  # one channel in the group, for three subscribers
        assert stats.started == started + 1
        assert stats.executions == 1
        assert stats.subscribers == 3
        for seq in range(5):
            await tick(layer, seq)
        for ws in (a, b, c):
            seen = [
                (await ws.receive_json_from())["payload"]["data"]["ticks"]["seq"] for _ in range(5)
            ]
            assert seen == [0, 1, 2, 3, 4]
        assert stats.events == events + 5  # executed once per event, not once per subscriber
    await members(layer, GROUP, 0)
    assert stats.executions == 0
    assert stats.subscribers == 0


@pytest.mark.parametrize("subprotocol", ["graphql-transport-ws", GRAPHQL_WS_PROTOCOL])
async def test_frames_are_byte_identical_to_unshared_execution(
    layer: InMemoryChannelLayer, subprotocol: str
) -> None:
    options = {"protocol": subprotocol}
    async with (
        connect(client=options) as shared,
        connect(unshared_schema, client=options) as plain,
    ):
        await shared.start(TICKS, id="7")
        await plain.start(TICKS, id="7")
        await members(layer, GROUP, 2)
        await tick(layer, 1)
        await tick(layer, 2, fail=True)  # a resolver error, as the protocol reports it
        for _ in range(2):
            assert await shared.receive_from() == await plain.receive_from()
        assert await shared.receive_from() == await plain.receive_from()  # complete
    assert shared_subscription_stats(unshared_schema).started == 0


async def test_a_resolver_error_reaches_every_subscriber(layer: InMemoryChannelLayer) -> None:
    async with connect() as a, connect() as b:
        await a.start(TICKS, id="1")
        await b.start(TICKS, id="2")
        await members(layer, GROUP, 1)
        await tick(layer, 0, fail=True)
        for ws, id in ((a, "1"), (b, "2")):
            message = await ws.receive_json_from()
            assert message["id"] == id
            assert message["payload"]["errors"][0]["message"] == "the ticker broke"
            assert await ws.receive_json_from() == {"type": "complete", "id": id}
    await members(layer, GROUP, 0)
    assert shared_subscription_stats(schema).executions == 0


async def test_leaving_and_joining_at_any_time(layer: InMemoryChannelLayer) -> None:
    stats = shared_subscription_stats(schema)
    async with connect() as a, connect() as b, connect() as late:
        await a.start(TICKS, id="a")
        await b.start(TICKS, id="b")
        await members(layer, GROUP, 1)
        await tick(layer, 1)
        for ws in (a, b):
            assert (await ws.receive_json_from())["payload"]["data"]["ticks"]["seq"] == 1
        # A late joiner starts with the next event.
        await late.start(TICKS, id="late")
        await asyncio.sleep(0.05)
        assert stats.subscribers == 3
        await tick(layer, 2)
        for ws in (a, b, late):
            assert (await ws.receive_json_from())["payload"]["data"]["ticks"]["seq"] == 2
        # One client's complete does not affect the others.
        await a.complete("a")
        await tick(layer, 3)
        for ws in (b, late):
            assert (await ws.receive_json_from())["payload"]["data"]["ticks"]["seq"] == 3
        await a.assert_no_message()
        # Nor does a disconnect.
        await late.disconnect()
        await tick(layer, 4)
        assert (await b.receive_json_from())["payload"]["data"]["ticks"]["seq"] == 4
        assert len(layer.groups.get(GROUP, {})) == 1
        # The last one leaving stops the execution and leaves the group.
        await b.complete("b")
        await members(layer, GROUP, 0)
        assert stats.executions == 0
        assert stats.subscribers == 0
        # A new subscriber starts a new execution.
        started = stats.started
        await a.start(TICKS, id="again")
        await members(layer, GROUP, 1)
        assert stats.started == started + 1


async def test_different_variables_run_apart_and_key_order_does_not_matter(
    layer: InMemoryChannelLayer,
) -> None:
    query = "subscription ($s: String!) { ticks(symbol: $s) { seq } }"
    stats = shared_subscription_stats(schema)
    started = stats.started
    async with connect() as a, connect() as b, connect() as c:
        await a.start(query, {"s": "ACME"}, id="1")
        await b.start(query, {"s": "ACME"}, id="1")
        await c.start(query, {"s": "INIT"}, id="1")
        await members(layer, GROUP, 1)
        await members(layer, "ticks_INIT", 1)
        assert stats.started == started + 2


REFUSALS = [
    (
        'subscription { ticks(symbol: "ACME") { seq viewer } }',
        "the resolver of Tick.viewer takes info",
    ),
    ('subscription { ticks(symbol: "ACME") { guarded } }', "Tick.guarded has permission classes"),
    (
        'subscription { ticks(symbol: "ACME") { wrapped } }',
        "Tick.wrapped has the field extension Passthrough",
    ),
    (
        'subscription { ticks(symbol: "ACME") { ...T } } fragment T on Tick { seq ...V } '
        "fragment V on Tick { viewer }",
        "the resolver of Tick.viewer takes info",
    ),
    # A field of an interface is judged on every type that implements it.
    ("subscription { nodes { seq } }", "the resolver of InfoNode.seq takes info"),
    ("subscription { guardedTicks }", "Subscription.guardedTicks has permission classes"),
]


@pytest.mark.parametrize(("query", "reason"), REFUSALS)
async def test_selections_that_can_differ_per_connection_run_unshared(
    layer: InMemoryChannelLayer, caplog: pytest.LogCaptureFixture, query: str, reason: str
) -> None:
    stats = shared_subscription_stats(schema)
    started, refused = stats.started, stats.refused.get(reason, 0)
    with caplog.at_level(logging.DEBUG, logger="strawberry_channels.shared"):
        async with connect(client={"connection_params": {"user": "ann"}}) as ws:
            await ws.start(query, id="1")
            if "ticks(" in query:
                await members(layer, GROUP, 1)
                await tick(layer, 1)
            message = await ws.receive_json_from()  # it runs, unshared
            assert message["type"] == "next", message
    assert stats.started == started
    assert stats.refused[reason] == refused + 1
    assert any(reason in record.getMessage() for record in caplog.records), caplog.text


async def test_client_extensions_refuse_sharing(layer: InMemoryChannelLayer) -> None:
    stats = shared_subscription_stats(schema)
    started = stats.started
    async with connect() as ws:
        await ws.send_json_to(
            {
                "type": "subscribe",
                "id": "1",
                "payload": {"query": TICKS, "extensions": {"trace": True}},
            }
        )
        await members(layer, GROUP, 1)
        await tick(layer, 1)
        assert (await ws.receive_json_from())["payload"]["data"]["ticks"]["seq"] == 1
    assert stats.started == started
    assert stats.refused["the operation carries client extensions"] >= 1


@pytest.mark.parametrize("field", ["nosy", "nosyWs"])
async def test_reading_per_connection_state_fails_loudly(
    layer: InMemoryChannelLayer, field: str
) -> None:
    async with connect(client={"connection_params": {"secret": "ann's"}}) as ws:
        await ws.start(f"subscription {{ {field} }}", id="1")
        message = await ws.receive_json_from()
        error = message["payload"]["errors"][0]["message"]
        assert "per-connection state" in error, message
        assert "ann's" not in str(message)


class TenantConsumer(GraphQLWSConsumer):
    def shared_key(self, operation: Any, context: Any) -> Hashable | None:
        tenant = (context["connection_params"] or {}).get("tenant")
        return None if tenant is None else str(tenant)


async def test_shared_key_shares_within_a_tenant_and_none_refuses(
    layer: InMemoryChannelLayer,
) -> None:
    stats = shared_subscription_stats(schema)
    started = stats.started
    app = TenantConsumer.as_asgi(schema=schema)

    def tenant(name: str | None) -> GraphQLWebsocketCommunicator:
        params = {} if name is None else {"tenant": name}
        return GraphQLWebsocketCommunicator(app, "/graphql", connection_params=params)

    async with tenant("a") as a1, tenant("a") as a2, tenant("b") as b1, tenant(None) as loner:
        for ws in (a1, a2, b1, loner):
            await ws.start(TICKS, id="1")
        await members(layer, GROUP, 3)  # tenant a, tenant b, and the unshared one
        assert stats.started == started + 2
        await tick(layer, 9)
        for ws in (a1, a2, b1, loner):
            assert (await ws.receive_json_from())["payload"]["data"]["ticks"]["seq"] == 9
    assert stats.refused["shared_key() returned None"] >= 1


async def test_the_switch_runs_everything_unshared(layer: InMemoryChannelLayer) -> None:
    async with connect(unshared_schema) as a, connect(unshared_schema) as b:
        await a.start(TICKS, id="1")
        await b.start(TICKS, id="1")
        await members(layer, GROUP, 2)
    assert shared_subscription_stats(unshared_schema).started == 0


async def test_many_subscribers_get_every_event_in_order_in_batches(
    layer: InMemoryChannelLayer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Above FAN_OUT_BATCH subscribers, an event is handed out a batch at a time.
    monkeypatch.setattr(shared_subscriptions, "FAN_OUT_BATCH", 2)
    clients = [connect() for _ in range(5)]
    for ws in clients:
        await ws.__aenter__()
    try:
        for ws in clients:
            await ws.start(TICKS, id="1")
        await members(layer, GROUP, 1)
        for seq in range(10):
            await tick(layer, seq)
        for ws in clients:
            seen = [await ws.receive_json_from() for _ in range(10)]
            assert [m["payload"]["data"]["ticks"]["seq"] for m in seen] == list(range(10))
        # One leaves in the middle of the run: the others go on.
        await clients[2].complete("1")
        await tick(layer, 10)
        for ws in clients[:2] + clients[3:]:
            assert (await ws.receive_json_from())["payload"]["data"]["ticks"]["seq"] == 10
    finally:
        for ws in clients:
            await ws.__aexit__(None, None, None)
