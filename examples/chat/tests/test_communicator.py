"""The tutorial's GraphQL side, in-process with the test communicator (docs: testing.md)."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import pytest
from channels.testing import HttpCommunicator

# --8<-- [start:communicator]
from mysite.asgi import application

from strawberry_channels.testing import GraphQLWebsocketCommunicator
from tests.helpers import JOIN, SEND, room_name


@pytest.fixture
async def gql_communicator() -> AsyncIterator[GraphQLWebsocketCommunicator]:
    client = GraphQLWebsocketCommunicator(application=application, path="/graphql")
    await client.gql_init()
    yield client
    await client.disconnect()


chat_subscription_query = """
subscription fooChat {
  joinChatRooms(rooms: [{ roomName: "room1" }, { roomName: "room2" }], user: "foo") {
    roomName
    message
    currentUser
  }
}
"""


async def test_join_chat_rooms_sends_welcome_messages(
    gql_communicator: GraphQLWebsocketCommunicator,
) -> None:
    received = []
    async with aclosing(gql_communicator.subscribe(query=chat_subscription_query)) as results:
        async for result in results:
            assert result.errors is None
            assert result.data is not None
            data = result.data["joinChatRooms"]
            assert data["currentUser"] == "foo"
            assert "Hello my name is foo!" in data["message"]
            received.append(data["roomName"])
            if len(received) == 2:  # one welcome message per room
                break
    assert received == ["chat_room1", "chat_room2"]


# --8<-- [end:communicator]


async def post_graphql(
    query: str, variables: dict[str, Any] | None = None, app: Any = application
) -> dict[str, Any]:
    """POST a GraphQL request to ``/graphql`` in-process; return the decoded JSON body."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    communicator = HttpCommunicator(
        app,
        "POST",
        "/graphql",
        body=body,
        headers=[(b"content-type", b"application/json"), (b"accept", b"application/json")],
    )
    response = await communicator.get_response(timeout=10)
    assert response["status"] == 200, response
    decoded: dict[str, Any] = json.loads(response["body"])
    return decoded


async def send_chat_message(room: str, message: str, app: Any = application) -> None:
    result = await post_graphql(SEND, {"room": {"roomName": room}, "message": message}, app)
    assert result == {"data": {"sendChatMessage": None}}


async def next_message(results: AsyncIterator[Any]) -> dict[str, Any]:
    result = await anext(results)
    assert result.errors is None, result.errors
    data: dict[str, Any] = result.data["joinChatRooms"]
    return data


async def test_mutation_reaches_the_subscription(
    gql_communicator: GraphQLWebsocketCommunicator,
) -> None:
    room = room_name()
    subscription = gql_communicator.subscribe(
        query=JOIN, variables={"rooms": [{"roomName": room}], "user": "foo"}
    )
    async with aclosing(subscription) as results:
        welcome = await next_message(results)
        assert welcome["message"].endswith("-> Hello my name is foo!")
        await send_chat_message(room, "hello room 1")
        message = await next_message(results)
    assert message == {"roomName": f"chat_{room}", "message": "hello room 1", "currentUser": "foo"}


async def test_subscription_only_receives_its_own_rooms(
    gql_communicator: GraphQLWebsocketCommunicator,
) -> None:
    joined, other = room_name(), room_name()
    subscription = gql_communicator.subscribe(
        query=JOIN, variables={"rooms": [{"roomName": joined}], "user": "foo"}
    )
    async with aclosing(subscription) as results:
        await next_message(results)  # the welcome message
        await send_chat_message(other, "not for you")
        await send_chat_message(joined, "for you")
        message = await next_message(results)
    assert message["message"] == "for you"


async def test_query_tells_which_process_answered() -> None:
    assert await post_graphql("{ processId }") == {"data": {"processId": os.getpid()}}


# --8<-- [start:confirming]
async def test_confirming_subscription_yields_null_first() -> None:
    from gqlchat.confirming import confirming_schema

    from strawberry_channels import GraphQLProtocolTypeRouter

    app = GraphQLProtocolTypeRouter(confirming_schema)
    room = room_name()
    client = GraphQLWebsocketCommunicator(application=app, path="/graphql")
    await client.gql_init()
    try:
        subscription = client.subscribe(
            query=JOIN, variables={"rooms": [{"roomName": room}], "user": "foo"}
        )
        async with aclosing(subscription) as results:
            confirmation = await anext(results)
            assert confirmation.errors is None
            assert confirmation.data == {"joinChatRooms": None}
            welcome = await next_message(results)
            assert welcome["message"].endswith("-> Hello my name is foo!")
            await send_chat_message(room, "after the confirmation", app)
            message = await next_message(results)
    finally:
        await client.disconnect()
    assert message["message"] == "after the confirmation"


# --8<-- [end:confirming]
