"""Shared subscriptions over GraphQL over SSE and multipart, through a real socket."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import pytest
from channels.layers import InMemoryChannelLayer, get_channel_layer
from conftest import serve
from sharing_schema import schema
from test_shared_subscriptions import GROUP, TICKS, members, unshared_schema

from strawberry_channels import GraphQLHTTPConsumer, shared_subscription_stats
from strawberry_channels.testing import GraphQLHTTPClient


def consumer(target: Any) -> Any:
    return GraphQLHTTPConsumer.as_asgi(schema=target, subscription_protocols=["sse", "multipart"])


async def raw_body(url: str, protocol: Literal["sse", "multipart"], count: int) -> bytes:
    """The stream's bytes up to its ``count``-th event (the connection is then closed)."""
    async with (
        GraphQLHTTPClient(url) as client,
        client.stream(TICKS, protocol=protocol) as response,
    ):
        assert response.status_code == 200
        body = b""
        async for chunk in response.aiter_raw():
            body += chunk
            if body.count(b'"seq"') >= count:
                return body
    raise AssertionError(f"the stream ended early: {body!r}")


@pytest.mark.parametrize("protocol", ["sse", "multipart"])
async def test_http_streams_share_and_match_unshared_bytes(
    protocol: Literal["sse", "multipart"],
) -> None:
    layer = get_channel_layer()
    assert isinstance(layer, InMemoryChannelLayer)
    await layer.flush()
    stats = shared_subscription_stats(schema)
    started = stats.started
    async with (
        serve(consumer(schema)) as shared_url,
        serve(consumer(unshared_schema)) as plain_url,
    ):
        readers = [
            asyncio.ensure_future(raw_body(shared_url, protocol, 3)),
            asyncio.ensure_future(raw_body(shared_url, protocol, 3)),
            asyncio.ensure_future(raw_body(plain_url, protocol, 3)),
        ]
        await members(layer, GROUP, 2)  # one shared execution, one unshared operation
        assert stats.started == started + 1
        for seq in range(3):
            await layer.group_send(GROUP, {"type": "tick", "price": 0.5, "seq": seq})
        first, second, plain = await asyncio.gather(*readers)
    assert first == second == plain
    await members(layer, GROUP, 0)
    assert stats.executions == 0
