"""Legacy graphql-ws through the consumer: every rule of the protocol."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer
from ws_helpers import app, client, layer_fixture  # noqa: F401

from strawberry_channels.testing import GraphQLWebsocketCommunicator

pytestmark = pytest.mark.usefixtures("layer")


def legacy(application: object = None, **kwargs: Any) -> GraphQLWebsocketCommunicator:
    return client(application, protocol="graphql-ws", **kwargs)


async def test_query_mutation_and_subscription_allowed() -> None:
    async with legacy() as ws:
        assert (await ws.execute("{ hello }")).data == {"hello": "Hello world"}
        result = await ws.execute(
            'mutation { sendChatMessage(room: {roomName: "r"}, message: "m") }'
        )
        assert result.data == {"sendChatMessage": None}
        counts = [r.data async for r in ws.subscribe("subscription { count(to: 2) }")]
        assert counts == [{"count": 1}, {"count": 2}]


async def test_wire_format_data_then_complete() -> None:
    async with legacy() as ws:
        await ws.start("{ hello }", id="q")
        assert await ws.receive_json_from() == {
            "type": "data",
            "id": "q",
            "payload": {"data": {"hello": "Hello world"}},
        }
        assert await ws.receive_json_from() == {"type": "complete", "id": "q"}


async def test_start_before_init_is_refused_and_not_executed(layer: InMemoryChannelLayer) -> None:
    # A witness in the room's group sees every message the mutation sends.
    witness = await layer.new_channel()
    await layer.group_add("chat_x", witness)
    mutation = 'mutation { sendChatMessage(room: {roomName: "x"}, message: "early") }'
    ws = legacy()
    assert await ws.connect() == (True, "graphql-ws")
    await ws.start(mutation)
    await ws.expect_close(4401)
    await ws.disconnect()  # waits for the application to end: nothing is left running
    assert witness not in layer.channels, "the refused mutation ran"
    # The witness does see the same mutation once the connection is acknowledged.
    async with legacy() as ws:
        assert (await ws.execute(mutation.replace("early", "late"))).errors is None
    message = await asyncio.wait_for(layer.receive(witness), 5)
    assert message["message"] == "late"


async def test_validation_error_is_error_message() -> None:
    async with legacy() as ws:
        await ws.start("{ nope }", id="v")
        message = await ws.receive_json_from()
        assert message["type"] == "error"
        assert message["id"] == "v"
        assert "nope" in message["payload"]["message"]
        await ws.assert_no_message()


async def test_execution_error_is_data_with_errors() -> None:
    async with legacy() as ws:
        result = await ws.execute("{ fail }")
        assert result.errors is not None
        assert result.errors[0].message == "resolver failed"


async def test_stop_is_answered_with_complete_then_silence() -> None:
    async with legacy() as ws:
        await ws.start("subscription { listen(groups: []) }", id="s")
        assert (await ws.receive_json_from())["type"] == "data"
        await ws.complete("s")
        assert await ws.receive_json_from() == {"type": "complete", "id": "s"}
        await ws.assert_no_message()


async def test_keep_alive_ka_after_ack_and_periodically() -> None:
    ws = legacy(app(keep_alive=True, keep_alive_interval=0.02))
    await ws.connect()
    await ws.send_json_to({"type": "connection_init"})
    assert await ws.receive_json_from() == {"type": "connection_ack"}
    assert await ws.receive_json_from() == {"type": "ka"}
    assert await ws.receive_json_from() == {"type": "ka"}
    await ws.disconnect()


async def test_connection_terminate_closes_1000() -> None:
    async with legacy() as ws:
        await ws.send_json_to({"type": "connection_terminate"})
        await ws.expect_close(1000)


async def test_init_timeout_4408() -> None:
    ws = legacy(app(connection_init_wait_timeout=0.05))
    await ws.connect()
    await ws.expect_close(4408)
    await ws.disconnect()


async def test_binary_frame_closes_1003(caplog: pytest.LogCaptureFixture) -> None:
    async with legacy() as ws:
        await ws.send_input({"type": "websocket.receive", "bytes": b"{}"})
        await ws.expect_close(1003)
    assert not [r for r in caplog.records if r.exc_info]


async def test_oversized_frame_closes_1009() -> None:
    async with legacy(app(max_message_size=50)) as ws:
        await ws.send_to(text_data="x" * 51)
        await ws.expect_close(1009)


MALFORMED = [
    ("not json", "{nope", "connection_error"),
    ("absurdly nested", "[" * 200_000 + "]" * 200_000, "connection_error"),
    ("not an object", "[]", "connection_error"),
    ("no type", '{"id": "1"}', "connection_error"),
    ("missing id", '{"type": "start", "payload": {"query": "{ hello }"}}', "connection_error"),
    ("stop without id", '{"type": "stop"}', "connection_error"),
    ("unknown type", '{"type": "whatever", "id": "1"}', "error"),
    ("non-string query", '{"type": "start", "id": "1", "payload": {"query": 1}}', "error"),
    ("missing payload", '{"type": "start", "id": "1"}', "error"),
]


@pytest.mark.parametrize(("name", "text", "answer"), MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_malformed_input_is_answered_and_connection_stays(
    name: str, text: str, answer: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with legacy() as ws:
        await ws.send_to(text_data=text)
        message = await ws.receive_json_from()
        assert message["type"] == answer
        assert isinstance(message["payload"]["message"], str)
        # The connection still works.
        assert (await ws.execute("{ hello }")).data == {"hello": "Hello world"}
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_invalid_init_payload() -> None:
    ws = legacy()
    await ws.connect()
    await ws.send_json_to({"type": "connection_init", "payload": "x"})
    assert (await ws.receive_json_from())["type"] == "connection_error"
    await ws.expect_close(4400)
    await ws.disconnect()


async def test_operation_limit() -> None:
    async with legacy(app(max_subscriptions_per_connection=1)) as ws:
        await ws.start("subscription { listen(groups: []) }", id="a")
        await ws.receive_json_from()
        await ws.start("{ hello }", id="b")
        message = await ws.receive_json_from()
        assert message == {
            "type": "error",
            "id": "b",
            "payload": {"message": "Too many operations on this connection (limit 1)"},
        }
