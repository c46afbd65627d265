"""GraphQLProtocolTypeRouter: GraphQL over HTTP and WebSocket, everything else elsewhere."""

from __future__ import annotations

from typing import Any

import httpx
from channels.testing import WebsocketCommunicator
from http_schema import make_schema

from strawberry_channels import GraphQLHTTPConsumer, GraphQLProtocolTypeRouter

SCHEMA = make_schema()


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://testserver")


async def django_like(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body = f"django saw {scope['path']}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


async def test_http_routes_to_graphql_and_404_without_django() -> None:
    app = GraphQLProtocolTypeRouter(SCHEMA)
    async with client(app) as c:
        response = await c.post("/graphql", json={"query": "{ hello }"})
        assert response.json() == {"data": {"hello": "Hello world"}}
        response = await c.get("/graphql/", headers={"accept": "text/html"})
        assert "graphiql" in response.text
        response = await c.get("/admin/")
        assert response.status_code == 404


async def test_other_paths_go_to_django() -> None:
    app = GraphQLProtocolTypeRouter(SCHEMA, django_application=django_like)
    async with client(app) as c:
        assert (await c.get("/admin/login/")).text == "django saw /admin/login/"
        response = await c.post("/graphql", json={"query": "{ hello }"})
        assert response.json() == {"data": {"hello": "Hello world"}}


async def test_custom_pattern_consumer_class_and_options() -> None:
    class Custom(GraphQLHTTPConsumer):
        async def get_root_value(self, request: Any) -> Any:
            class Root:
                name = "custom root"

            return Root()

    app = GraphQLProtocolTypeRouter(
        SCHEMA,
        django_application=django_like,
        url_pattern=r"^api/gql/?$",
        http_consumer_class=Custom,
        http_options={"graphql_ide": None},
    )
    async with client(app) as c:
        response = await c.post("/api/gql", json={"query": "{ rootName }"})
        assert response.json() == {"data": {"rootName": "custom root"}}
        assert (await c.get("/api/gql", headers={"accept": "text/html"})).status_code == 404
        assert (await c.post("/graphql", json={})).text == "django saw /graphql"


async def test_websocket_routes_to_graphql_ws_consumer() -> None:
    app = GraphQLProtocolTypeRouter(SCHEMA)
    communicator = WebsocketCommunicator(app, "/graphql", subprotocols=["graphql-transport-ws"])
    connected, subprotocol = await communicator.connect()
    assert connected
    assert subprotocol == "graphql-transport-ws"
    await communicator.send_json_to({"type": "connection_init"})
    assert (await communicator.receive_json_from())["type"] == "connection_ack"
    await communicator.send_json_to(
        {"type": "subscribe", "id": "1", "payload": {"query": "subscription { count(to: 2) }"}}
    )
    received = [await communicator.receive_json_from() for _ in range(3)]
    assert [message["type"] for message in received] == ["next", "next", "complete"]
    await communicator.disconnect()

    elsewhere = WebsocketCommunicator(app, "/chat/", subprotocols=["graphql-transport-ws"])
    connected, _ = await elsewhere.connect()
    assert not connected


async def test_subscription_protocols_choose_the_websocket_subprotocols() -> None:
    app = GraphQLProtocolTypeRouter(SCHEMA, subscription_protocols=["graphql-ws"])
    legacy = WebsocketCommunicator(app, "/graphql", subprotocols=["graphql-ws"])
    connected, subprotocol = await legacy.connect()
    assert connected
    assert subprotocol == "graphql-ws"
    await legacy.disconnect()
    modern = WebsocketCommunicator(app, "/graphql", subprotocols=["graphql-transport-ws"])
    await modern.connect()
    assert (await modern.receive_output())["code"] == 4406
    await modern.disconnect()


async def test_allowed_origins_reach_the_websocket_consumer() -> None:
    app = GraphQLProtocolTypeRouter(SCHEMA, allowed_origins=["https://app.example"])

    async def handshake(origin: str) -> bool:
        communicator = WebsocketCommunicator(
            app,
            "/graphql",
            headers=[(b"host", b"api.example"), (b"origin", origin.encode())],
            subprotocols=["graphql-transport-ws"],
        )
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    assert await handshake("https://app.example")
    assert not await handshake("https://api.example")  # same origin, but not in the list
    default = GraphQLProtocolTypeRouter(SCHEMA)
    communicator = WebsocketCommunicator(
        default,
        "/graphql",
        headers=[(b"host", b"api.example"), (b"origin", b"https://app.example")],
        subprotocols=["graphql-transport-ws"],
    )
    connected, _ = await communicator.connect()
    assert not connected  # the default stays same-origin only
    await communicator.disconnect()
