"""The chat app's pages and room socket, and how they meet GraphQL (docs: running.md)."""

from __future__ import annotations

import os
from contextlib import aclosing
from typing import Any

import pytest
from channels.testing import HttpCommunicator, WebsocketCommunicator
from mysite import asgi, asgi_custom

from strawberry_channels.testing import GraphQLWebsocketCommunicator
from tests.helpers import JOIN, room_name
from tests.test_communicator import next_message, send_chat_message

APPLICATIONS = pytest.mark.parametrize(
    "app", [asgi.application, asgi_custom.application], ids=["asgi", "asgi_custom"]
)


async def get(app: Any, path: str, accept: str = "text/html") -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1"), (b"accept", accept.encode())]
    communicator = HttpCommunicator(app, "GET", path, headers=headers)
    response = await communicator.get_response(timeout=10)
    return dict(response)


@APPLICATIONS
async def test_pages_are_served_by_django(app: Any) -> None:
    index = await get(app, "/chat/")
    assert index["status"] == 200
    assert b'id="room-form"' in index["body"]

    room = await get(app, "/chat/room1/")
    assert room["status"] == 200
    assert b'<script id="room-name" type="application/json">"room1"</script>' in room["body"]
    assert b"<script src" not in room["body"]  # nothing loaded from elsewhere
    for page in (index, room):  # the docs include these templates: no snippet markers shown
        assert b"--8<--" not in page["body"]

    assert (await get(app, "/chat/not%20a%20room/"))["status"] == 404
    home = await get(app, "/")
    assert home["status"] == 302


@APPLICATIONS
async def test_graphql_ide_is_served_at_graphql(app: Any) -> None:
    response = await get(app, "/graphql")
    assert response["status"] == 200
    assert b"<html" in response["body"].lower()


async def connect_room(app: Any, room: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(app, f"/ws/chat/{room}/")
    connected, _ = await communicator.connect()
    assert connected
    return communicator


@APPLICATIONS
async def test_room_socket_relays_messages_to_the_room(app: Any) -> None:
    room = room_name()
    alice, bob = await connect_room(app, room), await connect_room(app, room)
    try:
        await alice.send_json_to({"message": "hello bob"})
        for socket in (alice, bob):
            received = await socket.receive_json_from(timeout=5)
            assert received["message"].startswith(f"process: {os.getpid()} thread: ")
            assert received["message"].endswith(" -> hello bob")
    finally:
        await alice.disconnect()
        await bob.disconnect()


async def test_room_socket_ignores_frames_that_are_not_messages() -> None:
    room = room_name()
    socket = await connect_room(asgi.application, room)
    try:
        await socket.send_to(text_data="not json")
        await socket.send_json_to({"message": 42})
        await socket.send_json_to(["message"])
        await socket.send_json_to({"message": ""})
        await socket.send_to(bytes_data=b'{"message": "bytes"}')
        await socket.send_json_to({"message": "still here"})
        received = await socket.receive_json_from(timeout=5)
    finally:
        await socket.disconnect()
    assert received["message"].endswith("-> still here")


@APPLICATIONS
async def test_room_page_and_graphql_talk_both_ways(app: Any) -> None:
    room = room_name()
    page = await connect_room(app, room)
    client = GraphQLWebsocketCommunicator(application=app, path="/graphql")
    await client.gql_init()
    try:
        subscription = client.subscribe(
            query=JOIN, variables={"rooms": [{"roomName": room}], "user": "foo"}
        )
        async with aclosing(subscription) as results:
            # The subscriber greets the room: the page shows it too.
            welcome = await next_message(results)
            shown = await page.receive_json_from(timeout=5)
            assert shown["message"] == welcome["message"]
            assert shown["message"].endswith("-> Hello my name is foo!")

            # What the page posts reaches the subscriber, tagged with the room.
            await page.send_json_to({"message": "hello from web browser"})
            from_page = await next_message(results)
            assert from_page["roomName"] == f"chat_{room}"
            assert from_page["message"].endswith("-> hello from web browser")
            assert (await page.receive_json_from(timeout=5)) == {"message": from_page["message"]}

            # So does a mutation, and the page shows it.
            await send_chat_message(room, "hello room 1", app)
            assert (await next_message(results))["message"] == "hello room 1"
            assert (await page.receive_json_from(timeout=5)) == {"message": "hello room 1"}
    finally:
        await client.disconnect()
        await page.disconnect()


async def test_unknown_socket_paths_are_closed() -> None:
    for path in ("/ws/chat/not a room/", "/ws/elsewhere/"):
        communicator = WebsocketCommunicator(asgi.application, path)
        assert await communicator.connect() == (False, 1000)


async def test_room_names_the_layer_refuses_give_a_graphql_error() -> None:
    client = GraphQLWebsocketCommunicator(application=asgi.application, path="/graphql")
    await client.gql_init()
    try:
        variables = {"rooms": [{"roomName": "not a room"}], "user": "foo"}
        async with aclosing(client.subscribe(query=JOIN, variables=variables)) as results:
            refused = [result async for result in results]
        # The connection is still usable afterwards.
        room = room_name()
        variables = {"rooms": [{"roomName": room}], "user": "foo"}
        async with aclosing(client.subscribe(query=JOIN, variables=variables)) as results:
            welcome = await next_message(results)
    finally:
        await client.disconnect()
    assert len(refused) == 1
    assert refused[0].data is None
    assert refused[0].errors is not None
    assert "Group name must be a valid" in refused[0].errors[0].message
    assert welcome["roomName"] == f"chat_{room}"
