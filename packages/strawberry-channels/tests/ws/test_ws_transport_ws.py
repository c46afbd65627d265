"""graphql-transport-ws through the consumer: every rule and close code."""

from __future__ import annotations

import asyncio
import datetime
import logging

import pytest
from ws_helpers import app, client, layer_fixture  # noqa: F401

from strawberry_channels.testing import GraphQLWebsocketCommunicator

pytestmark = pytest.mark.usefixtures("layer")


async def connected(**options: object) -> GraphQLWebsocketCommunicator:
    ws = client(app(**options))
    connected, subprotocol = await ws.connect()
    assert connected
    assert subprotocol == "graphql-transport-ws"
    return ws


async def test_query_mutation_subscription_multiplexed() -> None:
    async with client() as ws:
        sub = await ws.start("subscription { count(to: 2, delay: 0.05) }", id="s")
        query = await ws.start('{ hello(name: "x") }', id="q")
        messages = [await ws.receive_json_from() for _ in range(5)]
        by_id: dict[str, list[object]] = {}
        for message in messages:
            by_id.setdefault(message["id"], []).append((message["type"], message.get("payload")))
        assert by_id[query] == [
            ("next", {"data": {"hello": "Hello x"}}),
            ("complete", None),
        ]
        assert by_id[sub] == [
            ("next", {"data": {"count": 1}}),
            ("next", {"data": {"count": 2}}),
            ("complete", None),
        ]
        mutation = await ws.execute(
            'mutation { sendChatMessage(room: {roomName: "r"}, message: "m") }'
        )
        assert mutation.data == {"sendChatMessage": None}


async def test_connection_ack_has_no_payload_by_default() -> None:
    async with client() as ws:
        assert ws.connection_ack == {"type": "connection_ack"}


async def test_validation_error_is_an_error_message_without_complete() -> None:
    async with client() as ws:
        await ws.start("{ nope }", id="v")
        message = await ws.receive_json_from()
        assert message["type"] == "error"
        assert message["id"] == "v"
        assert "nope" in message["payload"][0]["message"]
        await ws.assert_no_message()
        # Syntax errors too.
        await ws.start("{", id="p")
        message = await ws.receive_json_from()
        assert message["type"] == "error"
        assert message["payload"][0]["message"].startswith("Syntax Error")


async def test_unknown_operation_name_is_an_error_message() -> None:
    async with client() as ws:
        await ws.start("query A { hello } query B { hello }", operation_name="C", id="x")
        message = await ws.receive_json_from()
        assert message["type"] == "error"


async def test_execution_errors_are_next_with_errors() -> None:
    async with client() as ws:
        result = await ws.execute("{ fail }")
        assert result.data == {"fail": None}
        assert result.errors is not None
        assert result.errors[0].message == "resolver failed"
        results = [r async for r in ws.subscribe("subscription { failLater }")]
        assert results[0].data == {"failLater": 1}
        assert results[1].errors is not None
        assert results[1].errors[0].message == "stream failed"
        [result] = [r async for r in ws.subscribe("subscription { failAtStart }")]
        assert result.errors is not None
        assert result.errors[0].message == "not allowed"
        # A subscription refused before it starts is an execution error too.
        await ws.start("subscription { denied }", id="d")
        message = await ws.receive_json_from()
        assert message["type"] == "next"
        assert message["payload"]["errors"][0]["message"] == "Denied"
        assert message["payload"]["errors"][0]["path"] == ["denied"]
        assert await ws.receive_json_from() == {"type": "complete", "id": "d"}


async def test_variables_and_operation_name() -> None:
    async with client() as ws:
        result = await ws.execute(
            "query A { hello } query B($n: String!) { hello(name: $n) }",
            variables={"n": "v"},
            operation_name="B",
        )
        assert result.data == {"hello": "Hello v"}


async def test_client_complete_stops_and_silences_and_id_reusable() -> None:
    async with client() as ws:
        await ws.start("subscription { forever }", id="f")
        assert (await ws.receive_json_from())["payload"] == {"data": {"forever": 1}}
        await ws.complete("f")
        # Drain whatever was sent before the complete arrived, then silence.
        while not await ws.receive_nothing(timeout=0.1):
            message = await ws.receive_json_from()
            assert message["type"] == "next"
        await ws.start("subscription { count(to: 1) }", id="f")
        assert (await ws.receive_json_from())["payload"] == {"data": {"count": 1}}
        assert await ws.receive_json_from() == {"type": "complete", "id": "f"}
        # Completing an unknown id is ignored.
        await ws.complete("unknown")
        await ws.assert_no_message()


async def test_ping_pong_before_and_after_init() -> None:
    ws = await connected()
    await ws.send_json_to({"type": "ping", "payload": {"n": 1}})
    assert await ws.receive_json_from() == {"type": "pong", "payload": {"n": 1}}
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from() == {"type": "pong"}
    await ws.send_json_to({"type": "pong"})
    await ws.assert_no_message()
    await ws.disconnect()


async def test_4401_subscribe_before_ack() -> None:
    ws = await connected()
    await ws.start("{ hello }")
    await ws.expect_close(4401)
    await ws.disconnect()


async def test_4409_duplicate_active_id() -> None:
    async with client() as ws:
        await ws.start("subscription { listen(groups: []) }", id="dup")
        assert (await ws.receive_json_from())["payload"] == {"data": {"listen": None}}
        await ws.start("subscription { listen(groups: []) }", id="dup")
        await ws.expect_close(4409)


async def test_4429_second_init() -> None:
    async with client() as ws:
        await ws.send_json_to({"type": "connection_init"})
        await ws.expect_close(4429)


async def test_4408_init_timeout() -> None:
    ws = await connected(connection_init_wait_timeout=0.05)
    await ws.expect_close(4408)
    await ws.disconnect()


async def test_init_timeout_accepts_a_timedelta() -> None:
    ws = await connected(connection_init_wait_timeout=datetime.timedelta(milliseconds=50))
    await ws.expect_close(4408)
    await ws.disconnect()


def test_init_timeout_timedelta_is_converted_to_seconds() -> None:
    from ws_schema import schema

    from strawberry_channels import GraphQLWSConsumer

    consumer = GraphQLWSConsumer(schema, connection_init_wait_timeout=datetime.timedelta(minutes=2))
    assert consumer.connection_init_wait_timeout == 120.0
    assert (
        GraphQLWSConsumer(schema, connection_init_wait_timeout=1.5).connection_init_wait_timeout
        == 1.5
    )


async def test_init_timeout_does_not_fire_after_ack() -> None:
    ws = client(app(connection_init_wait_timeout=0.05))
    await ws.gql_init()
    await asyncio.sleep(0.1)
    assert (await ws.execute("{ hello }")).data == {"hello": "Hello world"}
    await ws.disconnect()


async def test_4406_no_acceptable_subprotocol() -> None:
    ws = client(subprotocols=["graphql-something"])
    connected, subprotocol = await ws.connect()
    assert connected
    assert subprotocol is None
    await ws.expect_close(4406)
    await ws.disconnect()
    ws = client(subprotocols=[])
    await ws.connect()
    await ws.expect_close(4406)
    await ws.disconnect()


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (["graphql-ws", "graphql-transport-ws"], "graphql-transport-ws"),
        (["graphql-transport-ws", "graphql-ws"], "graphql-transport-ws"),
        (["graphql-ws"], "graphql-ws"),
        (["other", "graphql-ws"], "graphql-ws"),
    ],
)
async def test_subprotocol_chosen_by_server_preference(offered: list[str], chosen: str) -> None:
    ws = client(subprotocols=offered)
    assert await ws.connect() == (True, chosen)
    await ws.disconnect()


async def test_subscription_protocols_option_limits_the_choice() -> None:
    ws = client(app(subscription_protocols=["graphql-ws"]), subprotocols=["graphql-transport-ws"])
    await ws.connect()
    await ws.expect_close(4406)
    await ws.disconnect()
    ws = client(
        app(subscription_protocols=["graphql-ws", "graphql-transport-ws"]),
        subprotocols=["graphql-transport-ws", "graphql-ws"],
    )
    assert await ws.connect() == (True, "graphql-ws")
    await ws.disconnect()


MALFORMED = [
    ("not json", {"text": "{nope"}),
    ("empty", {"text": ""}),
    ("absurdly nested", {"text": "[" * 200_000 + "]" * 200_000}),
    ("not an object", {"text": "[1, 2]"}),
    ("no type", {"text": '{"id": "1"}'}),
    ("unknown type", {"text": '{"type": "whatever"}'}),
    ("server type", {"text": '{"type": "next", "id": "1", "payload": {}}'}),
    ("missing id", {"text": '{"type": "subscribe", "payload": {"query": "{ hello }"}}'}),
    ("non-string query", {"text": '{"type": "subscribe", "id": "1", "payload": {"query": 1}}'}),
    ("missing payload", {"text": '{"type": "subscribe", "id": "1"}'}),
    (
        "bad variables",
        {
            "text": '{"type": "subscribe", "id": "1", '
            '"payload": {"query": "{ hello }", "variables": 3}}'
        },
    ),
    ("complete without id", {"text": '{"type": "complete"}'}),
]


@pytest.mark.parametrize(("name", "frame"), MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_malformed_input_closes_4400_without_traceback(
    name: str, frame: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with client() as ws:
        await ws.send_input({"type": "websocket.receive", **frame})
        await ws.expect_close(4400)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_binary_frame_closes_4400(caplog: pytest.LogCaptureFixture) -> None:
    async with client() as ws:
        await ws.send_input({"type": "websocket.receive", "bytes": b'{"type": "ping"}'})
        await ws.expect_close(4400)
    assert not [r for r in caplog.records if r.exc_info]


async def test_oversized_message_closes_1009(caplog: pytest.LogCaptureFixture) -> None:
    async with client(app(max_message_size=100)) as ws:
        await ws.send_json_to({"type": "ping", "payload": {"x": "y" * 200}})
        await ws.expect_close(1009)
    assert not [r for r in caplog.records if r.exc_info]


async def test_operation_limit_answers_error_message() -> None:
    async with client(app(max_subscriptions_per_connection=1)) as ws:
        await ws.start("subscription { listen(groups: []) }", id="a")
        await ws.receive_json_from()
        await ws.start("subscription { listen(groups: []) }", id="b")
        message = await ws.receive_json_from()
        assert message["type"] == "error"
        assert message["id"] == "b"
        await ws.complete("a")
        assert (await ws.execute("{ hello }")).data == {"hello": "Hello world"}


async def test_keep_alive_pings() -> None:
    async with client(app(keep_alive=True, keep_alive_interval=0.02)) as ws:
        assert await ws.receive_json_from() == {"type": "ping"}
        await ws.send_json_to({"type": "pong"})
        assert await ws.receive_json_from() == {"type": "ping"}


async def test_no_keep_alive_by_default() -> None:
    async with client() as ws:
        await ws.assert_no_message(0.2)


async def test_4500_when_on_ws_connect_fails(caplog: pytest.LogCaptureFixture) -> None:
    from strawberry_channels import GraphQLWSConsumer

    class Broken(GraphQLWSConsumer):
        async def on_ws_connect(self, context: object) -> None:
            raise RuntimeError("boom")

    from ws_schema import schema

    ws = client(Broken.as_asgi(schema=schema))
    await ws.connect()
    await ws.send_json_to({"type": "connection_init"})
    await ws.expect_close(4500)
    await ws.disconnect()
    assert any("on_ws_connect" in r.getMessage() for r in caplog.records)


async def test_after_close_the_client_gets_nothing_more() -> None:
    async with client() as ws:
        await ws.start("subscription { forever }", id="f")
        await ws.receive_json_from()
        await ws.send_input({"type": "websocket.receive", "text": "garbage"})
        await ws.expect_close(4400)
        await ws.assert_no_message()
