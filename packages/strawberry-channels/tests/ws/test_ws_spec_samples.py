"""The spec's code samples, run with only the import path changed."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, Dict, Optional  # noqa: UP035

import pytest
import strawberry
from django.contrib.auth.models import AnonymousUser
from strawberry.exceptions import ConnectionRejectionError
from typing_extensions import override
from ws_helpers import client, layer_fixture  # noqa: F401
from ws_schema import schema

from strawberry_channels import (
    ChannelsConsumer,
    ChannelsRequest,
    GraphQLProtocolTypeRouter,
    TemporalResponse,
)
from strawberry_channels import GraphQLHTTPConsumer as BaseGraphQLHTTPConsumer
from strawberry_channels import GraphQLWSConsumer as BaseGraphQLWSConsumer
from strawberry_channels.testing import GraphQLWebsocketCommunicator

pytestmark = pytest.mark.usefixtures("layer")

application = GraphQLProtocolTypeRouter(schema)

# --- The spec's "Testing" sample (import changed; data["joinChatRooms"]) -----


@pytest.fixture
async def gql_communicator() -> GraphQLWebsocketCommunicator:
    client = GraphQLWebsocketCommunicator(application=application, path="/graphql")
    await client.gql_init()
    yield client
    await client.disconnect()


chat_subscription_query = """
subscription fooChat {
  joinChatRooms(
    rooms: [{ roomName: "room1" }, { roomName: "room2" }]
    user: "foo"){
    roomName
    message
    currentUser
  }
}
"""


@pytest.mark.asyncio
async def test_joinChatRooms_sends_welcome_message(gql_communicator):
    async for result in gql_communicator.subscribe(query=chat_subscription_query):
        data = result.data
        assert data["joinChatRooms"]["currentUser"] == "foo"
        assert "room1" in data["joinChatRooms"]["roomName"]
        # The spec checks "hello", but its own welcome text says "Hello".
        assert "hello" in data["joinChatRooms"]["message"].lower()
        # The spec's loop has no exit: the second welcome message is for room2
        # (checked in the next test), so the sample stops after the first.
        break


# --- The tutorial: welcome messages exactly once, then chat messages ---------


WELCOME_ROUNDS = 25


async def test_tutorial_welcome_messages_arrive_exactly_once_every_time() -> None:
    async with client(application) as ws:
        for round_ in range(WELCOME_ROUNDS):
            op = await ws.start(chat_subscription_query, id=f"chat{round_}")
            first = await ws.receive_json_from()
            second = await ws.receive_json_from()
            rooms = [m["payload"]["data"]["joinChatRooms"]["roomName"] for m in (first, second)]
            assert rooms == ["chat_room1", "chat_room2"]
            assert all(
                "Hello my name is foo!" in m["payload"]["data"]["joinChatRooms"]["message"]
                for m in (first, second)
            )
            await ws.assert_no_message(0.01)
            await ws.complete(op)


async def test_tutorial_mutation_reaches_subscriber_once() -> None:
    async with client(application) as subscriber, client(application) as sender:
        await subscriber.start(chat_subscription_query, id="chat")
        for _ in range(2):
            await subscriber.receive_json_from()
        result = await sender.execute(
            'mutation echo { sendChatMessage(message: "hello room 1", '
            'room: { roomName: "room1" }) }'
        )
        assert result.errors is None
        message = await subscriber.receive_json_from()
        assert message["payload"]["data"]["joinChatRooms"] == {
            "roomName": "chat_room1",
            "message": "hello room 1",
            "currentUser": "foo",
        }
        await subscriber.assert_no_message()


async def test_yield_none_confirms_the_subscription() -> None:
    async with client(application) as ws, client(application) as sender:
        query = """subscription { joinChatRoomsConfirmed(rooms: [{roomName: "c"}], user: "u") {
            roomName message currentUser } }"""
        results = ws.subscribe(query)
        first = await results.__anext__()
        assert first.data == {"joinChatRoomsConfirmed": None}
        await sender.execute('mutation { sendChatMessage(message: "hi", room: {roomName: "c"}) }')
        second = await results.__anext__()
        assert second.data == {
            "joinChatRoomsConfirmed": {"roomName": "chat_c", "message": "hi", "currentUser": "u"}
        }
        await results.aclose()


# --- The spec's on_ws_connect example (import changed) -----------------------


class MyGraphQLWSConsumer(BaseGraphQLWSConsumer):
    async def on_ws_connect(self, context: Dict[str, object]):  # noqa: UP006
        connection_params = context["connection_params"]

        if not isinstance(connection_params, dict):
            # Reject without a custom graphql-ws error payload
            raise ConnectionRejectionError()

        if connection_params.get("password") != "secret":
            # Reject with a custom graphql-ws error payload
            raise ConnectionRejectionError({"reason": "Invalid password"})

        if username := connection_params.get("username"):
            # Accept with a custom acknowledgment payload
            return {"message": f"Hello, {username}!"}

        # Accept without a acknowledgment payload
        return await super().on_ws_connect(context)


auth_app = MyGraphQLWSConsumer.as_asgi(schema=schema)


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_on_ws_connect_accepts(protocol: str) -> None:
    ws = client(auth_app, protocol=protocol, connection_params={"password": "secret"})
    assert await ws.gql_init() == {"type": "connection_ack"}
    await ws.disconnect()
    ws = client(
        auth_app, protocol=protocol, connection_params={"password": "secret", "username": "bob"}
    )
    assert await ws.gql_init() == {
        "type": "connection_ack",
        "payload": {"message": "Hello, bob!"},
    }
    assert (await ws.execute("{ connectionParams }")).data == {
        "connectionParams": {"password": "secret", "username": "bob"}
    }
    await ws.disconnect()


@pytest.mark.parametrize(
    ("params", "legacy_payload"),
    [(None, {}), ({"password": "wrong"}, {"reason": "Invalid password"})],
)
async def test_on_ws_connect_rejects(params: Any, legacy_payload: dict[str, str]) -> None:
    ws = client(auth_app, connection_params=params)
    await ws.connect()
    await ws.send_json_to({"type": "connection_init", "payload": params})
    await ws.expect_close(4403)
    await ws.disconnect()

    ws = client(auth_app, protocol="graphql-ws", connection_params=params)
    await ws.connect()
    await ws.send_json_to({"type": "connection_init", "payload": params})
    assert await ws.receive_json_from() == {"type": "connection_error", "payload": legacy_payload}
    await ws.expect_close(4403)
    await ws.disconnect()


async def test_on_ws_connect_none_is_payload_null_on_transport_ws() -> None:
    class NoneAck(BaseGraphQLWSConsumer):
        async def on_ws_connect(self, context: Any) -> None:
            return None

    ws = client(NoneAck.as_asgi(schema=schema))
    assert await ws.gql_init() == {"type": "connection_ack", "payload": None}
    await ws.disconnect()
    ws = client(NoneAck.as_asgi(schema=schema), protocol="graphql-ws")
    assert await ws.gql_init() == {"type": "connection_ack"}
    await ws.disconnect()


# --- The spec's custom context example (imports changed) ---------------------


@dataclass
class ChannelsContext:
    request: ChannelsRequest
    response: TemporalResponse

    @property
    def user(self):
        # Depends on Channels' AuthMiddlewareStack
        if "user" in self.request.consumer.scope:
            return self.request.consumer.scope["user"]

        return AnonymousUser()

    @property
    def session(self):
        # Depends on Channels' SessionMiddleware / AuthMiddlewareStack
        if "session" in self.request.consumer.scope:
            return self.request.consumer.scope["session"]

        return None


@dataclass
class ChannelsWSContext:
    request: ChannelsConsumer
    connection_params: Optional[Dict[str, Any]] = None  # noqa: UP006, UP045

    @property
    def ws(self) -> ChannelsConsumer:
        return self.request


class GraphQLHTTPConsumer(BaseGraphQLHTTPConsumer):
    @override
    async def get_context(
        self, request: ChannelsRequest, response: TemporalResponse
    ) -> ChannelsContext:
        return ChannelsContext(
            request=request,
            response=response,
        )


class GraphQLWSConsumer(BaseGraphQLWSConsumer):
    @override
    async def get_context(
        self, request: ChannelsConsumer, connection_params: Any
    ) -> ChannelsWSContext:
        return ChannelsWSContext(
            request=request,
            connection_params=connection_params,
        )


async def test_custom_ws_context_reaches_resolvers() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def params(self, info: strawberry.Info) -> str:
            context = info.context
            assert isinstance(context, ChannelsWSContext)
            assert isinstance(context.ws, GraphQLWSConsumer)
            return str(context.connection_params)

    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def channel(
            self, info: strawberry.Info
        ) -> AsyncGenerator[strawberry.scalars.JSON, None]:
            # The custom context exposes the consumer as .ws: listen through it.
            ws = info.context.ws
            async with ws.listen_to_channel("t.m", timeout=0.01) as messages:
                yield [m async for m in messages]

    custom_schema = strawberry.Schema(query=Query, subscription=Subscription)
    ws = client(GraphQLWSConsumer.as_asgi(schema=custom_schema), connection_params={"a": 1})
    await ws.gql_init()
    assert (await ws.execute("{ params }")).data == {"params": "{'a': 1}"}
    assert (await ws.execute("subscription { channel }")).data == {"channel": []}
    await ws.disconnect()


async def test_custom_http_context_example_is_usable() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def user(self, info: strawberry.Info) -> str:
            assert isinstance(info.context, ChannelsContext)
            return str(info.context.user)

    from channels.testing import HttpCommunicator

    http = HttpCommunicator(
        GraphQLHTTPConsumer.as_asgi(schema=strawberry.Schema(query=Query)),
        "POST",
        "/graphql",
        body=b'{"query": "{ user }"}',
        headers=[(b"content-type", b"application/json")],
    )
    response = await http.get_response()
    assert response["status"] == 200
    assert b"AnonymousUser" in response["body"]
