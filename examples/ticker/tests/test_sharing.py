"""What a shared subscription promises each subscriber (docs: shared-subscriptions.md).

Each test serves the example with uvicorn (in-memory layer) and talks to it with real
WebSocket clients; the server's own counts come from the test endpoints (tests/server.py).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from strawberry_channels import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry_channels.testing import run_server
from tests.conftest import APPLICATION, PROJECT, SERVER_ENV
from tests.helpers import PRICES, Server, WSClient, sequence_of, ws_url

PROTOCOLS = [GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL]


# 1. Frames ------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_frames_are_byte_identical_to_an_unshared_execution(
    server: Server, protocol: str
) -> None:
    """Two shared subscribers and one unshared one (a tenant-less connection on the tenant
    path, which shared_key refuses) get the very same text frames for the same events,
    field errors included."""
    variables = {"symbol": "ACME"}
    async with (
        WSClient.connect(server.url, protocol=protocol) as first,
        WSClient.connect(server.url, protocol=protocol) as second,
        WSClient.connect(server.url, "/tenants/graphql", protocol=protocol) as unshared,
    ):
        for client in (first, second, unshared):
            await client.subscribe("1", PRICES, variables)
        # One group member for the shared execution, one for the unshared operation.
        await server.wait_for_subscribers(2, "ACME", channels=2)
        assert (await server.stats())["executions"] == 1

        await server.publish_price("ACME", 101.5)
        await server.publish_price("ACME", 99.25, open=0)  # percentChange: division by zero
        await server.publish_price("ACME", 100.0)
        frames = [await client.frames(3) for client in (first, second, unshared)]

    assert frames[0] == frames[2]
    assert frames[1] == frames[2]
    errored = json.loads(frames[2][1])["payload"]
    assert errored["data"]["prices"]["percentChange"] is None
    assert errored["errors"][0]["path"] == ["prices", "percentChange"]


async def test_frames_are_byte_identical_with_sharing_switched_off(server: Server) -> None:
    """The same ticks on a second server whose schema has sharing switched off
    (``disable_shared_subscriptions``) give the same frames."""
    env = {**SERVER_ENV, "TICKER_SHARING": "off"}
    with run_server(APPLICATION, cwd=PROJECT, env=env) as url:
        unshared_server = Server(url)
        try:
            async with (
                WSClient.connect(server.url) as shared,
                WSClient.connect(url) as unshared,
            ):
                await shared.subscribe("1", PRICES, {"symbol": "SWITCH"})
                await unshared.subscribe("1", PRICES, {"symbol": "SWITCH"})
                await server.wait_for_subscribers(1, "SWITCH")
                state = await unshared_server.wait_for_listeners("SWITCH", 1)
                assert state["stats"]["executions"] == 0
                for each in (server, unshared_server):
                    await each.publish_many("SWITCH", 1, 20)
                frames = [await client.frames(20) for client in (shared, unshared)]
        finally:
            await unshared_server.close()
    assert frames[0] == frames[1]
    assert [sequence_of(frame) for frame in frames[0]] == list(range(1, 21))


# 2. Order -------------------------------------------------------------------------------------


async def test_every_subscriber_gets_every_event_in_order(server: Server) -> None:
    """Three gql clients on one execution; 500 ticks published in one burst."""
    count = 500
    clients = [Client(transport=WebsocketsTransport(url=ws_url(server.url))) for _ in range(3)]

    async def collect(client: Client) -> list[int]:
        seen = []
        async with client as session:
            request = GraphQLRequest(PRICES, variable_values={"symbol": "ORD"})
            async for result in session.subscribe(request):
                seen.append(result["prices"]["sequence"])
                if len(seen) == count:
                    break
        return seen

    tasks = [asyncio.create_task(collect(client)) for client in clients]
    await server.wait_for_subscribers(3, "ORD")
    await server.publish_many("ORD", 1, count)
    received = await asyncio.gather(*tasks)

    assert received == [list(range(1, count + 1))] * 3
    stats = await server.stats()
    assert stats["events"] == count
    assert stats["dropped"] == 0


# 3. Joining and leaving -----------------------------------------------------------------------


async def test_late_joiner_starts_with_the_next_event(server: Server) -> None:
    async with WSClient.connect(server.url) as early, WSClient.connect(server.url) as late:
        await early.subscribe("1", PRICES, {"symbol": "LATE"})
        await server.wait_for_subscribers(1, "LATE")
        await server.publish_price("LATE", 101)
        await server.publish_price("LATE", 102)
        early_frames = await early.frames(2)

        await late.subscribe("1", PRICES, {"symbol": "LATE"})
        await server.wait_for_subscribers(2, "LATE")
        third = await server.publish_price("LATE", 103)
        early_frames.append(await early.frame())
        late_frame = await late.frame()

    assert [sequence_of(f) for f in early_frames] == [third - 2, third - 1, third]
    assert sequence_of(late_frame) == third  # neither of the two ticks before it
    assert late_frame == early_frames[-1]


async def test_one_subscribers_complete_does_not_affect_the_others(server: Server) -> None:
    async with WSClient.connect(server.url) as stays, WSClient.connect(server.url) as leaves:
        await stays.subscribe("1", PRICES, {"symbol": "CMPL"})
        await leaves.subscribe("7", PRICES, {"symbol": "CMPL"})
        await server.wait_for_subscribers(2, "CMPL")
        first = await server.publish_price("CMPL", 101)
        assert sequence_of(await leaves.frame()) == first

        await leaves.complete("7")
        await server.wait_for_subscribers(1, "CMPL")
        second = await server.publish_price("CMPL", 102)
        assert [sequence_of(f) for f in await stays.frames(2)] == [first, second]
        # The connection that completed is still open and can subscribe again: it joins
        # the running execution.
        await leaves.subscribe("8", PRICES, {"symbol": "CMPL"})
        await server.wait_for_subscribers(2, "CMPL")
        third = await server.publish_price("CMPL", 103)
        assert sequence_of(await leaves.frame()) == third
        assert sequence_of(await stays.frame()) == third
        assert (await server.stats())["executions"] == 1


async def test_one_subscribers_disconnect_does_not_affect_the_others(server: Server) -> None:
    async with WSClient.connect(server.url) as stays:
        await stays.subscribe("1", PRICES, {"symbol": "DISC"})
        async with WSClient.connect(server.url) as vanishes:
            await vanishes.subscribe("1", PRICES, {"symbol": "DISC"})
            await server.wait_for_subscribers(2, "DISC")
            first = await server.publish_price("DISC", 101)
            assert sequence_of(await vanishes.frame()) == first
            # Gone without a complete: the TCP connection is cut.
            vanishes.connection.transport.abort()
        await server.wait_for_subscribers(1, "DISC")
        second = await server.publish_price("DISC", 102)
        assert [sequence_of(f) for f in await stays.frames(2)] == [first, second]
        assert (await server.stats())["executions"] == 1


async def test_last_subscriber_leaving_stops_the_execution_and_leaves_the_groups(
    server: Server,
) -> None:
    async with WSClient.connect(server.url) as first, WSClient.connect(server.url) as second:
        await first.subscribe("1", PRICES, {"symbol": "LAST"})
        await second.subscribe("1", PRICES, {"symbol": "LAST"})
        state = await server.wait_for_subscribers(2, "LAST")
        assert state["stats"]["executions"] == 1
        assert len(state["groups"]["ticker.LAST"]) == 1  # one channel for both

        await first.complete("1")
        state = await server.wait_for_subscribers(1, "LAST")
        assert state["stats"]["executions"] == 1
        assert len(state["groups"]["ticker.LAST"]) == 1

        await second.complete("1")
        state = await server.wait_until(
            lambda s: s["stats"]["executions"] == 0 and "ticker.LAST" not in s["groups"],
            "the execution stopped and left the group",
        )
        assert state["stats"]["subscribers"] == 0
        # A tick now reaches nobody, and a new subscriber starts a new execution.
        await server.publish_price("LAST", 101)
        await first.subscribe("2", PRICES, {"symbol": "LAST"})
        await server.wait_for_subscribers(1, "LAST")
        tick = await server.publish_price("LAST", 102)
        assert sequence_of(await first.frame()) == tick


# 4. Errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_resolver_error_reaches_every_subscriber(server: Server, protocol: str) -> None:
    """The resolver raises (trading halted): every shared subscriber gets the frames an
    unshared execution sends, the error and the end of the operation, and the execution is
    gone."""
    async with (
        WSClient.connect(server.url, protocol=protocol) as first,
        WSClient.connect(server.url, protocol=protocol) as second,
        WSClient.connect(server.url, "/tenants/graphql", protocol=protocol) as unshared,
    ):
        for client in (first, second, unshared):
            await client.subscribe("1", PRICES, {"symbol": "HALT"})
        await server.wait_for_subscribers(2, "HALT", channels=2)
        await server.publish_price("HALT", 101)
        await server.halt("HALT")
        frames = [await client.until_done("1") for client in (first, second, unshared)]
        state = await server.wait_until(
            lambda s: s["stats"]["executions"] == 0 and "ticker.HALT" not in s["groups"],
            "the failed execution is gone and has left the group",
        )
        # The next subscriber starts a new execution, which gets the next tick.
        await first.subscribe("2", PRICES, {"symbol": "HALT"})
        await server.wait_for_subscribers(1, "HALT")
        tick = await server.publish_price("HALT", 102)
        assert sequence_of(await first.frame()) == tick
        assert (await server.stats())["started"] == 2

    assert frames[0] == frames[2]
    assert frames[1] == frames[2]
    # As an unshared operation on these protocols: a result with the error, then the end.
    messages = [json.loads(frame) for frame in frames[2]]
    result = "next" if protocol == GRAPHQL_TRANSPORT_WS_PROTOCOL else "data"
    assert [m["type"] for m in messages] == [result, result, "complete"]
    assert messages[1]["payload"] == {
        "data": None,
        "errors": [{"message": "Trading in HALT is halted"}],
    }
    assert state["stats"]["subscribers"] == 0
