"""``info.context["request"].consumer.channel_name`` in an HTTP resolver: created on demand."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import strawberry
from channels.layers import InMemoryChannelLayer, get_channel_layer
from strawberry.types import Info

from strawberry_channels import GraphQLHTTPConsumer, SyncGraphQLHTTPConsumer

HANDED_OUT: list[str] = []


@strawberry.type
class Query:
    @strawberry.field
    async def channel(self, info: Info) -> str:
        consumer = info.context["request"].consumer
        name: str = consumer.channel_name
        assert consumer.channel_name == name  # one channel per request
        # The name is a real channel of the layer: a message sent to it is there.
        await consumer.channel_layer.send(name, {"type": "hello"})
        assert (await consumer.channel_layer.receive(name)) == {"type": "hello"}
        HANDED_OUT.append(name)
        return name

    @strawberry.field
    def sync_channel(self, info: Info) -> str:
        name: str = info.context["request"].consumer.channel_name
        return name

    @strawberry.field
    def plain(self) -> int:
        return 1


SCHEMA = strawberry.Schema(Query)


@pytest.fixture(name="layer")
async def layer_fixture() -> Any:
    layer = get_channel_layer()
    assert isinstance(layer, InMemoryChannelLayer)
    await layer.flush()
    HANDED_OUT.clear()
    yield layer
    await layer.flush()


async def query(app: Any, text: str) -> Any:
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/graphql", json={"query": text})
    assert response.status_code == 200, response.text
    return response.json()


async def test_channel_name_in_an_http_resolver(layer: InMemoryChannelLayer) -> None:
    app = GraphQLHTTPConsumer.as_asgi(schema=SCHEMA)
    first = await query(app, "{ channel }")
    second = await query(app, "{ channel }")
    assert "errors" not in first
    names = [first["data"]["channel"], second["data"]["channel"]]
    assert names == HANDED_OUT
    assert names[0] != names[1]  # each request has its own
    assert all("!" in name for name in names)  # a process-local channel name
    # The channels are forgotten once their requests are answered.
    assert not set(names) & set(layer.channels)


async def test_channel_name_in_a_sync_http_resolver(layer: InMemoryChannelLayer) -> None:
    app = SyncGraphQLHTTPConsumer.as_asgi(schema=SCHEMA)
    body = await query(app, "{ syncChannel }")
    assert "errors" not in body
    assert "!" in body["data"]["syncChannel"]


async def test_a_request_that_never_asks_creates_no_channel(
    layer: InMemoryChannelLayer, monkeypatch: pytest.MonkeyPatch
) -> None:
    created: list[str] = []
    original = layer.new_channel

    async def counting(prefix: str = "specific.") -> str:
        name: str = await original(prefix)
        created.append(name)
        return name

    monkeypatch.setattr(layer, "new_channel", counting)
    app = GraphQLHTTPConsumer.as_asgi(schema=SCHEMA)
    assert await query(app, "{ plain }") == {"data": {"plain": 1}}
    assert created == []
    await query(app, "{ channel }")
    assert len(created) == 1
