"""Channel-layer behaviour over WebSockets: isolation, buffers, cleanup."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
import ws_schema
from channels.layers import InMemoryChannelLayer
from ws_helpers import app, assert_layer_empty, client, layer_fixture, leftover_tasks  # noqa: F401
from ws_schema import SEEN_CONSUMERS, schema

from strawberry_channels import ChannelsConsumer, GraphQLWSConsumer
from strawberry_channels.testing import GraphQLWebsocketCommunicator


def listen(groups: list[str], **arguments: Any) -> str:
    args = ", ".join(f"{k}: {v}" for k, v in arguments.items())
    quoted = ", ".join(f'"{g}"' for g in groups)
    return f"subscription {{ listen(groups: [{quoted}]{', ' if args else ''}{args}) }}"


async def started(ws: GraphQLWebsocketCommunicator, query: str, id: str) -> None:
    await ws.start(query, id=id)
    message = await ws.receive_json_from()
    assert message["id"] == id
    assert message["payload"]["data"] in ({"listen": None}, {"gated": None})


async def texts(ws: GraphQLWebsocketCommunicator, count: int) -> list[tuple[str, str]]:
    received = []
    for _ in range(count):
        message = await ws.receive_json_from()
        assert message["type"] == "next", message
        received.append((message["id"], next(iter(message["payload"]["data"].values()))))
    return received


async def send(layer: InMemoryChannelLayer, group: str, text: str) -> None:
    await layer.group_send(group, {"type": "test.message", "text": text})


async def test_sibling_subscriptions_on_different_groups_are_isolated(
    layer: InMemoryChannelLayer,
) -> None:
    async with client() as ws:
        await started(ws, listen(["g1"]), "a")
        await started(ws, listen(["g2"]), "b")
        await send(layer, "g1", "for a")
        await send(layer, "g2", "for b")
        assert sorted(await texts(ws, 2)) == [("a", "for a"), ("b", "for b")]
        await ws.assert_no_message()


async def test_sibling_subscriptions_on_one_group_each_get_every_message_once(
    layer: InMemoryChannelLayer,
) -> None:
    async with client() as ws:
        await started(ws, listen(["g"]), "a")
        await started(ws, listen(["g"]), "b")
        for n in range(3):
            await send(layer, "g", f"m{n}")
        received = await texts(ws, 6)
        assert sorted(received) == sorted([(op, f"m{n}") for op in ("a", "b") for n in range(3)])
        await ws.assert_no_message()

        # Completing one does not detach the other.
        await ws.complete("a")
        await ws.assert_no_message()
        await send(layer, "g", "after")
        assert await texts(ws, 1) == [("b", "after")]
        assert len(layer.groups["g"]) == 1


async def test_subscriptions_on_two_connections_share_a_group(
    layer: InMemoryChannelLayer,
) -> None:
    async with client() as one, client() as two:
        await started(one, listen(["shared"]), "x")
        await started(two, listen(["shared"]), "x")
        await send(layer, "shared", "both")
        assert await texts(one, 1) == [("x", "both")]
        assert await texts(two, 1) == [("x", "both")]


async def test_each_operation_has_its_own_channel(layer: InMemoryChannelLayer) -> None:
    async with client() as ws:
        names = [
            (await ws.execute("subscription { channelName }")).data["channelName"]  # type: ignore[index]
            for _ in range(3)
        ]
        assert len(set(names)) == 3
        assert all("!" in name for name in names)


async def test_messages_to_the_operation_channel_without_groups(
    layer: InMemoryChannelLayer,
) -> None:
    async with client() as ws:
        await started(ws, listen([]), "a")
        [consumer] = SEEN_CONSUMERS
        [state] = [s for s in _operation_states(consumer)]
        await layer.send(state.name, {"type": "test.message", "text": "direct"})
        assert await texts(ws, 1) == [("a", "direct")]


def _operation_states(consumer: ChannelsConsumer) -> list[Any]:
    """The channel states of the consumer's running operations (white-box)."""
    import gc

    from strawberry_channels.base import _ChannelState

    return [
        obj
        for obj in gc.get_referrers(consumer)
        if isinstance(obj, _ChannelState) and obj.is_operation and not obj.closed
    ]


async def test_listener_timeout_ends_the_iteration(layer: InMemoryChannelLayer) -> None:
    async with client() as ws:
        results = [r.data async for r in ws.subscribe(listen(["t"], timeout=0.05))]
        assert results == [{"listen": None}]
        assert_layer_groups_left(layer)


def assert_layer_groups_left(layer: InMemoryChannelLayer) -> None:
    assert layer.groups == {}, layer.groups


async def test_completing_leaves_groups_and_drops_channel(layer: InMemoryChannelLayer) -> None:
    async with client() as ws:
        await started(ws, listen(["g1", "g2"]), "a")
        assert set(layer.groups) == {"g1", "g2"}
        await ws.complete("a")
        await ws.assert_no_message()
        assert layer.groups == {}
        # The tutorial joins groups by hand: those are left as well.
        query = """subscription { joinChatRooms(rooms: [{roomName: "r"}], user: "u") {
            message } }"""
        await ws.start(query, id="chat")
        await ws.receive_json_from()
        assert set(layer.groups) == {"chat_r"}
        await ws.complete("chat")
        await ws.assert_no_message()
        assert layer.groups == {}


async def test_disconnect_leaves_no_task_group_or_buffer(
    layer: InMemoryChannelLayer, caplog: pytest.LogCaptureFixture
) -> None:
    before = await leftover_tasks()
    ws = client()
    await ws.gql_init()
    await started(ws, listen(["g1", "g2"]), "a")
    await started(ws, listen(["g1"]), "b")
    await ws.start("subscription { forever }", id="f")
    await ws.start(
        'subscription { joinChatRooms(rooms: [{roomName: "r"}], user: "u") { message } }',
        id="chat",
    )
    await send(layer, "g1", "unread")
    for _ in range(3):
        await ws.receive_json_from()
    consumer = SEEN_CONSUMERS[0]
    assert consumer._operations
    await ws.disconnect()
    assert await leftover_tasks() == before
    assert_layer_empty(layer)
    assert consumer._operations == {}
    assert consumer._helpers == set()
    assert consumer._own_state is None
    assert _operation_states(consumer) == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_server_close_cleans_up_too(layer: InMemoryChannelLayer) -> None:
    before = await leftover_tasks()
    ws = client()
    await ws.gql_init()
    await started(ws, listen(["g"]), "a")
    await ws.send_to(text_data="not json")
    await ws.expect_close(4400)
    await ws.disconnect()
    assert await leftover_tasks() == before
    assert_layer_empty(layer)


class SmallBuffer(GraphQLWSConsumer):
    listener_buffer_size = 3


async def _until(predicate: Any) -> None:
    for _ in range(1000):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")


@pytest.mark.parametrize(
    "application",
    [SmallBuffer.as_asgi(schema=schema), app(listener_buffer_size=3)],
    ids=["class attribute", "as_asgi option"],
)
async def test_slow_client_drops_oldest_with_warning_and_count(
    layer: InMemoryChannelLayer, caplog: pytest.LogCaptureFixture, application: Any
) -> None:
    gate = ws_schema.GATE = asyncio.Event()
    total_before = ChannelsConsumer.total_dropped_messages
    async with client(application) as ws:
        await started(ws, 'subscription { gated(groups: ["slow"]) }', "s")
        for n in range(10):
            await send(layer, "slow", f"m{n}")
        consumer = SEEN_CONSUMERS[0]
        await _until(lambda: consumer.dropped_messages == 7)
        gate.set()
        assert [text for _, text in await texts(ws, 3)] == ["m7", "m8", "m9"]
        await ws.assert_no_message()
    assert consumer.dropped_messages == 7
    assert ChannelsConsumer.total_dropped_messages - total_before == 7
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings
    assert "dropped the oldest message" in warnings[0].getMessage()


class NoLayer(GraphQLWSConsumer):
    channel_layer_alias = "not-configured"


async def test_without_channel_layer_queries_work_and_listening_explains(
    layer: InMemoryChannelLayer,
) -> None:
    async with client(NoLayer.as_asgi(schema=schema)) as ws:
        assert (await ws.execute("{ hello }")).data == {"hello": "Hello world"}
        [result] = [r async for r in ws.subscribe(listen(["g"]))]
        assert result.errors is not None
        assert "No channel layer is configured" in result.errors[0].message
        assert "CHANNEL_LAYERS" in result.errors[0].message
