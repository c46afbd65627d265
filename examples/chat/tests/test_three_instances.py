"""The tutorial's "running it" flow on three server processes that share Redis.

One process serves the subscription, a second one the mutation, a third one the
chat room page's WebSocket; the subscription hears from all of them
(docs: tutorial/running.md).
"""

from __future__ import annotations

import contextlib
import json

import websockets
from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.websockets import WebsocketsTransport

from tests.helpers import JOIN, SEND, next_frame, next_result, room_name, running_server, ws_url


async def process_id(base_url: str) -> int:
    async with Client(transport=AIOHTTPTransport(url=f"{base_url}/graphql")) as session:
        result = await session.execute(GraphQLRequest("{ processId }"))
    pid: int = result["processId"]
    return pid


# --8<-- [start:three-instances]
async def test_three_instances_on_redis(redis_url: str, database: str) -> None:
    room1, room2 = room_name("room1x"), room_name("room2x")
    env = {"REDIS_URL": redis_url, "CHAT_DATABASE": database}
    with contextlib.ExitStack() as servers:
        # `manage.py runserver`, as `nox -s demo` runs it, three times.
        first, second, third = (
            servers.enter_context(running_server("runserver", env=env)) for _ in range(3)
        )
        pids = [await process_id(url) for url in (first, second, third)]
        assert len(set(pids)) == 3

        subscriber = Client(transport=WebsocketsTransport(url=ws_url(first, "/graphql")))
        sender = Client(transport=AIOHTTPTransport(url=f"{second}/graphql"))
        join = GraphQLRequest(
            JOIN,
            variable_values={"rooms": [{"roomName": room1}, {"roomName": room2}], "user": "foo"},
        )
        send = GraphQLRequest(
            SEND, variable_values={"room": {"roomName": room1}, "message": "hello room 1"}
        )
        # Tab 3 of the tutorial: the room page, open before anyone subscribes.
        async with (
            websockets.connect(ws_url(third, f"/ws/chat/{room1}/")) as page,
            subscriber as subscription_session,
            sender as http_session,
            contextlib.aclosing(subscription_session.subscribe(join)) as results,
        ):
            # Tab 1: the subscription greets both rooms from the first process.
            welcomes = [(await next_result(results))["joinChatRooms"] for _ in range(2)]
            assert [w["roomName"] for w in welcomes] == [f"chat_{room1}", f"chat_{room2}"]
            for welcome in welcomes:
                assert welcome["message"].startswith(f"process: {pids[0]} ")
                assert welcome["message"].endswith("-> Hello my name is foo!")
            # The room page on the third process shows the room1 greeting.
            assert (await next_frame(page))["message"] == welcomes[0]["message"]

            # Tab 2: the mutation, sent to the second process.
            assert await http_session.execute(send) == {"sendChatMessage": None}
            from_mutation = (await next_result(results))["joinChatRooms"]
            assert from_mutation == {
                "roomName": f"chat_{room1}",
                "message": "hello room 1",
                "currentUser": "foo",
            }
            assert await next_frame(page) == {"message": "hello room 1"}

            # Tab 3 posts in the room: the third process relays it.
            await page.send(json.dumps({"message": "hello from the chat page"}))
            from_page = (await next_result(results))["joinChatRooms"]
            assert from_page["roomName"] == f"chat_{room1}"
            assert from_page["message"].startswith(f"process: {pids[2]} ")
            assert from_page["message"].endswith("-> hello from the chat page")
            assert await next_frame(page) == {"message": from_page["message"]}


# --8<-- [end:three-instances]
