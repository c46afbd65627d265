"""Real sockets: uvicorn serving the router, driven by gql and the npm graphql-ws client."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from conftest import run_node, serve
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport
from ws_helpers import assert_layer_empty, layer_fixture  # noqa: F401
from ws_schema import SEEN_CONSUMERS, schema

from strawberry_channels import GraphQLProtocolTypeRouter

pytestmark = pytest.mark.usefixtures("layer")

CHAT = """subscription { joinChatRooms(rooms: [{roomName: "live"}], user: "gql") {
    roomName message currentUser } }"""


def ws_url(url: str) -> str:
    return url.replace("http://", "ws://") + "/graphql"


async def test_gql_websockets_transport_default_offer() -> None:
    async with serve(GraphQLProtocolTypeRouter(schema)) as url:
        transport = WebsocketsTransport(url=ws_url(url))
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            # gql offers ["graphql-ws", "graphql-transport-ws"]: the server prefers the latter.
            assert transport.subprotocol == "graphql-transport-ws"
            assert await session.execute(gql('{ hello(name: "gql") }')) == {"hello": "Hello gql"}
            counts = [r async for r in session.subscribe(gql("subscription { count(to: 3) }"))]
            assert counts == [{"count": 1}, {"count": 2}, {"count": 3}]
            # The tutorial subscription: its welcome message, then a mutation's message.
            received = []
            async for result in session.subscribe(gql(CHAT)):
                received.append(result["joinChatRooms"]["message"])
                if len(received) == 1:
                    await session.execute(
                        gql('mutation { sendChatMessage(room: {roomName: "live"}, message: "hi") }')
                    )
                else:
                    break
            assert "Hello my name is gql!" in received[0]
            assert received[1] == "hi"


@pytest.mark.parametrize("subprotocol", ["graphql-transport-ws", "graphql-ws"])
async def test_gql_with_server_keep_alive(subprotocol: str) -> None:
    app = GraphQLProtocolTypeRouter(
        schema, ws_options={"keep_alive": True, "keep_alive_interval": 0.01}
    )
    async with serve(app) as url:
        transport = WebsocketsTransport(url=ws_url(url), subprotocols=[subprotocol])
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            query = gql("subscription { count(to: 5, delay: 0.02) }")
            counts = [r["count"] async for r in session.subscribe(query)]
            assert counts == [1, 2, 3, 4, 5]


async def test_gql_legacy_protocol_also_runs_queries() -> None:
    async with serve(GraphQLProtocolTypeRouter(schema)) as url:
        transport = WebsocketsTransport(url=ws_url(url), subprotocols=["graphql-ws"])
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            assert await session.execute(gql("{ hello }")) == {"hello": "Hello world"}
            counts = [r async for r in session.subscribe(gql("subscription { count(to: 2) }"))]
            assert counts == [{"count": 1}, {"count": 2}]


async def node(url: str, operations: list[dict[str, Any]], params: Any = None) -> Any:
    code, outcome, stderr = await run_node(
        "ws-client.mjs", ws_url(url), json.dumps(operations), json.dumps(params)
    )
    assert code == 0, stderr
    assert isinstance(outcome, dict), outcome
    return outcome


async def test_npm_graphql_ws_client(node_clients: Any) -> None:
    app = GraphQLProtocolTypeRouter(schema, ws_options={"keep_alive": True})
    async with serve(app) as url:
        outcome = await node(
            url,
            [
                {"query": "{ hello }"},
                {"query": "subscription { count(to: 3) }"},
                {"query": CHAT, "limit": 1},
                {"query": "{ nope }"},
                {"query": "{ fail }"},
            ],
        )
    hello, count, chat, invalid, failing = outcome["operations"]
    assert hello == {"results": [{"data": {"hello": "Hello world"}}]}
    assert count["results"] == [{"data": {"count": n}} for n in (1, 2, 3)]
    assert chat["results"][0]["data"]["joinChatRooms"]["roomName"] == "chat_live"
    assert "nope" in invalid["error"]
    assert failing["results"][0]["errors"][0]["message"] == "resolver failed"
    # The client's keep-alive pings were answered.
    assert outcome["pongs"] >= 1


async def test_npm_graphql_ws_client_rejected_with_4403(node_clients: Any) -> None:
    from test_ws_spec_samples import MyGraphQLWSConsumer

    app = GraphQLProtocolTypeRouter(schema, ws_consumer_class=MyGraphQLWSConsumer)
    async with serve(app) as url:
        rejected = await node(url, [{"query": "{ hello }"}], {"password": "wrong"})
        accepted = await node(
            url, [{"query": "{ hello }"}], {"password": "secret", "username": "n"}
        )
    assert rejected["closeCode"] == 4403
    assert rejected["operations"][0]["results"] == []
    assert accepted["ack"] == {"message": "Hello, n!"}
    assert accepted["operations"][0]["results"] == [{"data": {"hello": "Hello world"}}]


async def _until(condition: Any, what: str) -> None:
    """Wait for the server to reach a state on its own (bounded, not a timing check)."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def test_client_vanishing_mid_stream_leaves_nothing_and_logs_nothing(
    layer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import websockets
    from websockets.typing import Subprotocol

    caplog.set_level(logging.DEBUG)
    async with serve(GraphQLProtocolTypeRouter(schema)) as url:
        async with websockets.connect(
            ws_url(url), subprotocols=[Subprotocol("graphql-transport-ws")]
        ) as socket:
            await socket.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            for id_, query in [
                ("l", 'subscription { listen(groups: ["vanish"]) }'),
                ("f", "subscription { forever }"),
            ]:
                await socket.send(
                    json.dumps({"type": "subscribe", "id": id_, "payload": {"query": query}})
                )
            for _ in range(3):
                await socket.recv()
            assert "vanish" in layer.groups
            # Drop the TCP connection without a closing handshake.
            socket.transport.abort()
        await _until(lambda: not layer.groups, "groups left")
        await _until(lambda: not SEEN_CONSUMERS[0]._operations, "operations cancelled")
    assert_layer_empty(layer)
    problems = [
        r
        for r in caplog.records
        if (r.exc_info and not _client_side(r))
        or (r.levelno >= logging.WARNING and r.name.startswith(("strawberry", "uvicorn")))
    ]
    assert not problems, [r.getMessage() for r in problems]


def _client_side(record: logging.LogRecord) -> bool:
    # An earlier test's gql client task, collected while this one runs, reports its
    # closed socket through asyncio's logger: the client's noise, not the server's.
    return record.name == "asyncio" and "gql/transport" in record.getMessage()
