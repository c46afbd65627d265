"""Consumer options and hooks: origins, headers, root value, JSON coding."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ws_helpers import app, client, layer_fixture  # noqa: F401
from ws_schema import schema

from strawberry_channels import GraphQLWSConsumer

pytestmark = pytest.mark.usefixtures("layer")


def handshake(origin: str | None, host: str = "api.example:8000") -> list[tuple[bytes, bytes]]:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return headers


@pytest.mark.parametrize(
    ("origin", "allowed_origins", "accepted"),
    [
        (None, None, True),
        ("http://api.example:8000", None, True),
        ("https://evil.example", None, False),
        ("null", None, False),
        ("https://app.example", ["https://app.example"], True),
        ("https://app.example", ["app.example"], True),
        ("https://eu.app.example", [".app.example"], True),
        ("https://evil.example", [".app.example"], False),
        ("https://evil.example", ["*"], True),
        ("http://api.example:8000", ["https://app.example"], False),
    ],
)
async def test_allowed_origins(
    origin: str | None, allowed_origins: list[str] | None, accepted: bool
) -> None:
    ws = client(app(allowed_origins=allowed_origins), headers=handshake(origin))
    connected, _ = await ws.connect()
    assert connected is accepted
    await ws.disconnect()


async def test_headers_reach_resolvers() -> None:
    headers = [(b"x-custom", b"one"), (b"X-Custom", b"two"), (b"host", b"h")]
    async with client(headers=headers) as ws:
        result = await ws.execute('{ header(name: "x-custom") }')
        assert result.data == {"header": "one, two"}  # joined as RFC 9110 says (was ",")


async def test_root_value_and_json_hooks() -> None:
    import strawberry

    @strawberry.type
    class Query:
        @strawberry.field
        def root(self) -> str:
            return str(self)

    class Hooked(GraphQLWSConsumer):
        decoded: list[Any] = []  # noqa: RUF012

        async def get_root_value(self, request: GraphQLWSConsumer) -> Any:
            return "the root"

        def decode_json(self, data: str | bytes) -> object:
            value = json.loads(data)
            Hooked.decoded.append(value)
            return value

        def encode_json(self, data: object) -> bytes:
            return json.dumps({**data, "encodedBy": "hook"}).encode()  # type: ignore[dict-item]

    ws = client(Hooked.as_asgi(schema=strawberry.Schema(query=Query)))
    await ws.connect()
    await ws.send_json_to({"type": "connection_init"})
    assert await ws.receive_json_from() == {"type": "connection_ack", "encodedBy": "hook"}
    await ws.start("{ root }", id="r")
    assert await ws.receive_json_from() == {
        "type": "next",
        "id": "r",
        "payload": {"data": {"root": "the root"}},
        "encodedBy": "hook",
    }
    assert Hooked.decoded[0] == {"type": "connection_init"}
    await ws.disconnect()


async def test_document_cache_is_shared_and_used() -> None:
    application = app()
    async with client(application) as ws:
        for _ in range(3):
            assert (await ws.execute("{ hello }")).data == {"hello": "Hello world"}
    from strawberry_channels import install_document_cache

    cache = install_document_cache(schema)
    hits = cache.hits
    async with client(application) as ws:
        await ws.execute("{ hello }")
    assert cache.hits > hits


def test_unknown_subscription_protocol_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown subscription protocols"):
        GraphQLWSConsumer(schema=schema, subscription_protocols=["graphql-sse"])
