"""ALLOWED_HOSTS on both transports, and infrastructure errors masked (real sockets)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from channels.layers import channel_layers
from conftest import serve
from django.test import override_settings
from hardening_helpers import TRANSPORT_WS, ws_client, ws_url
from hardening_schema import make_schema

from strawberry_channels import GraphQLProtocolTypeRouter, GraphQLWSConsumer
from strawberry_channels.testing import free_port


@pytest.mark.parametrize(
    ("host", "allowed"),
    [("api.example", True), ("evil.example", False), ("sub.api.example:8000", False)],
    ids=["allowed", "rebinding", "subdomain"],
)
async def test_websocket_host_must_be_in_allowed_hosts(host: str, allowed: bool) -> None:
    # DNS rebinding: Origin and Host both name the attacker's domain.
    with override_settings(ALLOWED_HOSTS=["api.example", "127.0.0.1"]):
        async with serve(GraphQLProtocolTypeRouter(make_schema())) as url:
            headers = {"Origin": f"http://{host}"}
            if allowed:
                async with ws_client(url, host=host, additional_headers=headers) as client:
                    await client.start("1", "{ hello }")
                    assert (await client.next_payload())["type"] == "next"
            else:
                # Refused before the handshake completes: uvicorn answers 403.
                with pytest.raises(websockets.InvalidStatus) as refused:
                    async with ws_client(url, host=host, additional_headers=headers):
                        pass
                assert refused.value.response.status_code == 403


async def test_http_host_must_be_in_allowed_hosts() -> None:
    with override_settings(ALLOWED_HOSTS=["api.example"]):
        async with (
            serve(GraphQLProtocolTypeRouter(make_schema())) as url,
            httpx.AsyncClient(base_url=url) as http,
        ):
            refused = await http.post(
                "/graphql", json={"query": "{ hello }"}, headers={"host": "evil.example"}
            )
            assert refused.status_code == 400
            assert "ALLOWED_HOSTS" in refused.text
            served = await http.post(
                "/graphql", json={"query": "{ hello }"}, headers={"host": "api.example"}
            )
            assert served.json() == {"data": {"hello": "Hello world"}}


class DownRedisConsumer(GraphQLWSConsumer):
    channel_layer_alias = "strawberry-channels-hardening-down-redis"


@pytest.fixture
async def down_redis() -> AsyncIterator[Any]:
    from channels_redis.core import RedisChannelLayer

    # Nothing listens on this port: every call fails with a connection error.
    layer = RedisChannelLayer(
        hosts=[f"redis://127.0.0.1:{free_port()}/0"], prefix=f"down-{uuid.uuid4().hex[:6]}"
    )
    channel_layers.set(DownRedisConsumer.channel_layer_alias, layer)
    try:
        yield layer
    finally:
        channel_layers.backends.pop(DownRedisConsumer.channel_layer_alias, None)


@pytest.mark.parametrize("debug", [False, True])
async def test_unreachable_redis_is_not_described_to_clients(
    down_redis: Any, debug: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = GraphQLProtocolTypeRouter(
        make_schema(), ws_consumer_class=DownRedisConsumer, ws_options={"debug": debug}
    )
    # A channel layer that cannot be reached is an expected failure with a code a
    # client can act on (subscribe again later), debug or not; the broker's address
    # and the connection error are only in the server log.
    with caplog.at_level(logging.WARNING, logger="strawberry_channels"):
        async with serve(app) as url, ws_client(url, TRANSPORT_WS) as client:
            await client.start("1", 'subscription { listen(group: "g") }')
            message = await client.next_payload(timeout=20)
    text = str(message["payload"])
    assert "127.0.0.1" not in text, message
    assert "connect" not in text.lower(), message
    error = message["payload"][0] if isinstance(message["payload"], list) else message["payload"]
    error = error.get("errors", [error])[0]
    assert error["extensions"]["code"] == "CHANNEL_LAYER_UNAVAILABLE", message
    logged = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("strawberry_channels") and "ConnectionError" in r.getMessage()
    ]
    assert logged, "the connection error is not in the server log"


def test_ws_url_helper() -> None:
    assert ws_url("http://127.0.0.1:1") == "ws://127.0.0.1:1/graphql"
