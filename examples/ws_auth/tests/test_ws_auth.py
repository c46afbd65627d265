"""on_ws_connect: accepted, greeted and refused connections, in-process and over a real socket."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator
from gql import Client, gql
from gql.transport.exceptions import TransportConnectionFailed
from gql.transport.websockets import WebsocketsTransport
from wsauth.asgi import application

from strawberry_channels.testing import GraphQLWebsocketCommunicator


async def test_accepted_connection_runs_queries_and_subscriptions() -> None:
    client = GraphQLWebsocketCommunicator(
        application=application,
        path="/graphql",
        connection_params={"password": "secret", "username": "alice"},
    )
    await client.gql_init()
    try:
        me = [result.data async for result in client.subscribe(query="{ me }")]
        counted = [
            result.data async for result in client.subscribe(query="subscription { countdown }")
        ]
    finally:
        await client.disconnect()
    assert me == [{"me": "alice"}]
    assert counted == [{"countdown": n} for n in (3, 2, 1, 0)]


async def raw_init(subprotocol: str, payload: object) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/graphql", subprotocols=[subprotocol])
    connected, chosen = await communicator.connect()
    assert connected
    assert chosen == subprotocol
    message: dict[str, object] = {"type": "connection_init"}
    if payload is not None:
        message["payload"] = payload
    await communicator.send_json_to(message)
    return communicator


@pytest.mark.parametrize(
    ("payload", "ack"),
    [
        ({"password": "secret", "username": "alice"}, {"message": "Hello, alice!"}),
        ({"password": "secret"}, None),
    ],
)
async def test_acknowledgement_payload(payload: dict[str, str], ack: object) -> None:
    communicator = await raw_init("graphql-transport-ws", payload)
    try:
        message = await communicator.receive_json_from()
        assert message["type"] == "connection_ack"
        assert message.get("payload") == ack
    finally:
        await communicator.disconnect()


@pytest.mark.parametrize(
    "payload", [None, {"password": "wrong"}, {"password": "sécret"}, {"username": "alice"}]
)
async def test_refused_on_graphql_transport_ws(payload: object) -> None:
    communicator = await raw_init("graphql-transport-ws", payload)
    closed = await communicator.receive_output()
    assert closed["type"] == "websocket.close"
    assert closed["code"] == 4403
    await communicator.wait()


@pytest.mark.parametrize(
    ("payload", "error"),
    [(None, {}), ({"password": "wrong"}, {"reason": "Invalid password"})],
)
async def test_refused_on_legacy_graphql_ws_carries_the_payload(
    payload: object, error: dict[str, str]
) -> None:
    communicator = await raw_init("graphql-ws", payload)
    message = await communicator.receive_json_from()
    assert message["type"] == "connection_error"
    assert message.get("payload", {}) == error
    closed = await communicator.receive_output()
    assert closed["type"] == "websocket.close"
    await communicator.wait()


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        ("http://localhost:3000", True),
        # An explicit list replaces the same-origin default: list your own origin too.
        ("http://localhost:8000", False),
        ("https://evil.example", False),
    ],
)
async def test_browser_origins(origin: str, accepted: bool) -> None:
    communicator = WebsocketCommunicator(
        application,
        "/graphql",
        # The Host must be in ALLOWED_HOSTS (settings.py), as for Django's own views.
        headers=[(b"host", b"localhost:8000"), (b"origin", origin.encode())],
        subprotocols=["graphql-transport-ws"],
    )
    connected, _ = await communicator.connect()
    assert connected is accepted
    await communicator.disconnect()


async def test_live_server_with_the_gql_client(live_server: str) -> None:
    url = live_server.replace("http://", "ws://") + "/graphql"

    transport = WebsocketsTransport(url=url, init_payload={"password": "secret", "username": "bob"})
    async with Client(transport=transport) as session:
        assert transport.payloads["connection_ack"] == {"message": "Hello, bob!"}
        assert await session.execute(gql("{ me }")) == {"me": "bob"}
        counted = [
            item async for item in session.subscribe(gql("subscription { countdown(start: 1) }"))
        ]
    assert counted == [{"countdown": 1}, {"countdown": 0}]

    refused = WebsocketsTransport(url=url, init_payload={"password": "wrong"})
    with pytest.raises(TransportConnectionFailed) as refusal:
        async with Client(transport=refused):
            pass
    closed = refusal.value.__cause__
    assert closed is not None
    assert closed.rcvd.code == 4403  # type: ignore[attr-defined]
