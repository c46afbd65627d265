"""The typed contexts, through the Channels communicators and through a live server."""

from __future__ import annotations

import json
from typing import Any

from channels.testing import HttpCommunicator
from customcontext.asgi import application
from gql import Client, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.websockets import WebsocketsTransport

from strawberry_channels.testing import GraphQLWebsocketCommunicator


async def post_graphql(
    query: str, cookie: str | None = None, path: str = "/graphql"
) -> tuple[int, dict[str, str], dict[str, Any]]:
    headers = [(b"content-type", b"application/json"), (b"accept", b"application/json")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    communicator = HttpCommunicator(
        application, "POST", path, body=json.dumps({"query": query}).encode(), headers=headers
    )
    response = await communicator.get_response()
    response_headers = {k.decode().lower(): v.decode() for k, v in response["headers"]}
    return response["status"], response_headers, json.loads(response["body"])


async def test_anonymous_request_reads_the_user_from_the_context() -> None:
    status, headers, body = await post_graphql("{ whoami sessionKey }")
    assert status == 200
    assert body == {"data": {"whoami": "anonymous", "sessionKey": None}}
    assert headers["cache-control"] == "private, no-store"


async def test_logged_in_request_sees_its_user_and_session(session_cookie: str) -> None:
    status, _, body = await post_graphql("{ whoami sessionKey }", cookie=session_cookie)
    assert status == 200
    assert body["data"]["whoami"] == "alice"
    assert body["data"]["sessionKey"] == session_cookie.split("=", 1)[1]


async def test_synchronous_endpoint_queries_the_orm(django_user: str) -> None:
    status, _, body = await post_graphql("{ members { username isStaff } }", path="/graphql/sync")
    assert status == 200
    assert body == {"data": {"members": [{"username": django_user, "isStaff": False}]}}


async def test_websocket_context_carries_connection_params() -> None:
    client = GraphQLWebsocketCommunicator(
        application=application, path="/graphql", connection_params={"language": "fr"}
    )
    await client.gql_init()
    try:
        results = [result async for result in client.subscribe(query="subscription { greeting }")]
    finally:
        await client.disconnect()
    assert [result.errors for result in results] == [None]
    assert [result.data for result in results] == [{"greeting": "Bonjour, anonymous!"}]


async def test_live_server_with_the_gql_client(live_server: str, session_cookie: str) -> None:
    http = AIOHTTPTransport(url=f"{live_server}/graphql", headers={"Cookie": session_cookie})
    async with Client(transport=http) as session:
        assert await session.execute(gql("{ whoami }")) == {"whoami": "alice"}

    ws_url = live_server.replace("http://", "ws://") + "/graphql"
    ws = WebsocketsTransport(
        url=ws_url, headers={"Cookie": session_cookie}, init_payload={"language": "nl"}
    )
    async with Client(transport=ws) as session:
        greetings = [item async for item in session.subscribe(gql("subscription { greeting }"))]
    assert greetings == [{"greeting": "Hallo, alice!"}]
