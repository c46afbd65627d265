"""The chat against a real server, with Python's gql client (docs: testing.md)."""

from __future__ import annotations

import json
from contextlib import aclosing

import httpx
import websockets
from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.websockets import WebsocketsTransport

from tests.helpers import JOIN, SEND, next_frame, next_result, room_name, running_server, ws_url


# --8<-- [start:live-server]
async def test_subscription_receives_mutations_and_room_messages() -> None:
    room = room_name()
    with running_server("uvicorn") as base_url:
        subscriber = Client(transport=WebsocketsTransport(url=ws_url(base_url, "/graphql")))
        sender = Client(transport=AIOHTTPTransport(url=f"{base_url}/graphql"))
        join = GraphQLRequest(JOIN, variable_values={"rooms": [{"roomName": room}], "user": "foo"})
        send = GraphQLRequest(
            SEND, variable_values={"room": {"roomName": room}, "message": "hello room 1"}
        )
        async with (
            subscriber as subscription_session,
            sender as http_session,
            aclosing(subscription_session.subscribe(join)) as results,
        ):
            welcome = await next_result(results)
            assert welcome["joinChatRooms"]["message"].endswith("-> Hello my name is foo!")

            # A mutation over HTTP...
            assert await http_session.execute(send) == {"sendChatMessage": None}
            from_mutation = await next_result(results)
            assert from_mutation["joinChatRooms"]["message"] == "hello room 1"

            # ...and a message posted on the room page's WebSocket.
            async with websockets.connect(ws_url(base_url, f"/ws/chat/{room}/")) as page:
                await page.send(json.dumps({"message": "hello from web browser"}))
                from_page = await next_result(results)
                echoed = await next_frame(page)

    assert from_page["joinChatRooms"]["roomName"] == f"chat_{room}"
    assert from_page["joinChatRooms"]["message"].endswith("-> hello from web browser")
    assert echoed == {"message": from_page["joinChatRooms"]["message"]}


# --8<-- [end:live-server]


async def test_hand_built_router_served_by_daphne() -> None:
    """`daphne mysite.asgi_custom:application`, as the routing page shows it."""
    room = room_name()
    with running_server("daphne", application="mysite.asgi_custom:application") as base_url:
        async with httpx.AsyncClient(base_url=base_url) as http:
            page = await http.get(f"/chat/{room}/")
            assert page.status_code == 200
            assert f'"{room}"' in page.text

        subscriber = Client(transport=WebsocketsTransport(url=ws_url(base_url, "/graphql")))
        join = GraphQLRequest(JOIN, variable_values={"rooms": [{"roomName": room}], "user": "foo"})
        async with (
            subscriber as session,
            aclosing(session.subscribe(join)) as results,
            websockets.connect(ws_url(base_url, f"/ws/chat/{room}/")) as socket,
        ):
            await next_result(results)  # the greeting
            await socket.send(json.dumps({"message": "hello via asgi_custom"}))
            from_page = (await next_result(results))["joinChatRooms"]
    assert from_page["message"].endswith("-> hello via asgi_custom")
