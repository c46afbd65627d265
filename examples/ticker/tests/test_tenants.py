"""The shared_key hook: one execution per tenant, and None refuses sharing (docs:
shared-subscriptions.md, "Sharing within a tenant")."""

from __future__ import annotations

from tests.helpers import PRICES, Server, WSClient


async def test_two_tenants_get_two_executions(server: Server) -> None:
    path = "/tenants/graphql"
    async with (
        WSClient.connect(server.url, path, params={"tenant": "acme"}) as acme_1,
        WSClient.connect(server.url, path, params={"tenant": "acme"}) as acme_2,
        WSClient.connect(server.url, path, params={"tenant": "globex"}) as globex,
    ):
        for client in (acme_1, acme_2, globex):
            await client.subscribe("1", PRICES, {"symbol": "TEN"})
        state = await server.wait_for_subscribers(3, "TEN", channels=2)
        assert state["stats"]["executions"] == 2
        assert len(state["groups"]["ticker.TEN"]) == 2  # a channel per tenant
        await server.publish_price("TEN", 101)
        frames = [await client.frame() for client in (acme_1, acme_2, globex)]
    assert frames[0] == frames[1] == frames[2]


async def test_shared_key_none_refuses_sharing(server: Server) -> None:
    path = "/tenants/graphql"
    async with (
        WSClient.connect(server.url, path) as no_params,
        WSClient.connect(server.url, path, params={"tenant": ""}) as empty_tenant,
    ):
        for client in (no_params, empty_tenant):
            await client.subscribe("1", PRICES, {"symbol": "NOTEN"})
        state = await server.wait_for_listeners("NOTEN", 2)
        assert state["stats"]["executions"] == 0
        await server.publish_price("NOTEN", 101)
        frames = [await client.frame() for client in (no_params, empty_tenant)]
    assert frames[0] == frames[1]
    assert len([line for line in state["log"] if "shared_key" in line]) == 2, state["log"]
