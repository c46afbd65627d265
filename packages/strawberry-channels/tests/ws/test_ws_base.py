"""ChannelsConsumer on its own: listeners, operation scopes, dispatch."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from channels.exceptions import StopConsumer
from channels.layers import InMemoryChannelLayer
from channels.testing import WebsocketCommunicator
from ws_helpers import assert_layer_empty, layer_fixture, leftover_tasks  # noqa: F401

from strawberry_channels import ChannelLayerMissingError, ChannelsConsumer


class Consumer(ChannelsConsumer):
    """Accepts, records handled messages, listens outside operations on request."""

    instances: list[Consumer] = []  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.handled: list[dict[str, Any]] = []
        self.listened: list[dict[str, Any]] = []
        Consumer.instances.append(self)

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        await self.send({"type": "websocket.accept"})

    async def websocket_receive(self, message: dict[str, Any]) -> None:
        if message.get("text") == "listen":

            async def listen() -> None:
                async with self.listen_to_channel("own.event", groups=["own"]) as messages:
                    await self.send({"type": "websocket.send", "text": "listening"})
                    async for event in messages:
                        self.listened.append(event)
                        await self.send({"type": "websocket.send", "text": event["text"]})

            self.listener_task = asyncio.ensure_future(listen())

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        task = getattr(self, "listener_task", None)
        if task is not None:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        raise StopConsumer

    async def custom_event(self, message: dict[str, Any]) -> None:
        self.handled.append(message)
        await self.send({"type": "websocket.send", "text": message["text"]})


async def test_own_channel_handlers_listeners_and_unknown_types(
    layer: InMemoryChannelLayer, caplog: pytest.LogCaptureFixture
) -> None:
    Consumer.instances.clear()
    before = await leftover_tasks()
    communicator = WebsocketCommunicator(Consumer.as_asgi(), "/")
    assert (await communicator.connect())[0]
    [consumer] = Consumer.instances
    name = consumer.channel_name
    assert consumer.channel_layer is layer
    await layer.send(name, {"type": "custom.event", "text": "handled"})
    assert await communicator.receive_from() == "handled"
    # Unknown or malformed types are ignored, never a crash.
    await layer.send(name, {"type": "no.such.handler"})
    await layer.send(name, {"type": "_private"})
    await layer.send(name, {"no": "type"})
    await communicator.send_to(text_data="listen")
    assert await communicator.receive_from() == "listening"
    await layer.group_send("own", {"type": "own.event", "text": "heard"})
    assert await communicator.receive_from() == "heard"
    await layer.send(name, {"type": "custom.event", "text": "still handled"})
    assert await communicator.receive_from() == "still handled"
    assert [m["text"] for m in consumer.listened] == ["heard"]
    await communicator.disconnect()
    assert await leftover_tasks() == before
    assert_layer_empty(layer)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def bare_consumer(layer: Any, **kwargs: Any) -> ChannelsConsumer:
    consumer = ChannelsConsumer(**kwargs)
    consumer.channel_layer = layer
    return consumer


async def settle(layer: InMemoryChannelLayer, name: str) -> None:
    """Let the reader drain the channel (no timing involved)."""
    for _ in range(1000):
        queue = layer.channels.get(name)
        if queue is None or queue.empty():
            break
        await asyncio.sleep(0)
    for _ in range(5):
        await asyncio.sleep(0)


async def test_operation_scope_channel_and_groups(layer: InMemoryChannelLayer) -> None:
    consumer = bare_consumer(layer)
    consumer.channel_name = "specific.own!x"
    assert consumer.channel_name == "specific.own!x"
    async with consumer.operation_scope() as scope:
        assert consumer.channel_name == scope.channel_name != "specific.own!x"
        await consumer.channel_layer.group_add("by-hand", consumer.channel_name)
        await consumer.channel_layer.group_add("by-hand", consumer.channel_name)
        assert consumer.channel_layer.wrapped is layer
        async with consumer.listen_to_channel("t", groups=["by-hand", "listened"]) as it:
            assert set(layer.groups) == {"by-hand", "listened"}
            await layer.group_send("by-hand", {"type": "t", "n": 1})
            assert (await it.__anext__())["n"] == 1
        # The listener's group is left; the hand-joined one stays until the end.
        assert set(layer.groups) == {"by-hand"}
    assert consumer.channel_name == "specific.own!x"
    assert_layer_empty(layer)


async def test_other_types_wait_for_their_listener(layer: InMemoryChannelLayer) -> None:
    consumer = bare_consumer(layer)
    async with (
        consumer.operation_scope(),
        consumer.listen_to_channel("a", groups=["g"]) as a_messages,
    ):
        await layer.group_send("g", {"type": "b", "n": 1})
        await layer.group_send("g", {"type": "a", "n": 2})
        assert (await a_messages.__anext__())["n"] == 2
        async with consumer.listen_to_channel("b") as b_messages:
            assert (await b_messages.__anext__())["n"] == 1
    assert_layer_empty(layer)


async def test_two_listeners_of_one_type_in_one_operation_each_get_it(
    layer: InMemoryChannelLayer,
) -> None:
    consumer = bare_consumer(layer)
    async with (
        consumer.operation_scope(),
        consumer.listen_to_channel("t", groups=["g"]) as first,
        consumer.listen_to_channel("t", groups=["g"]) as second,
    ):
        await layer.group_send("g", {"type": "t", "n": 1})
        assert (await first.__anext__())["n"] == 1
        assert (await second.__anext__())["n"] == 1
        assert first.buffered == second.buffered == 0


async def test_buffer_drops_oldest_and_counts(
    layer: InMemoryChannelLayer, caplog: pytest.LogCaptureFixture
) -> None:
    consumer = bare_consumer(layer, listener_buffer_size=2)
    async with consumer.operation_scope() as scope:
        async with consumer.listen_to_channel("t", groups=["g"]) as messages:
            for n in range(5):
                await layer.group_send("g", {"type": "t", "n": n})
            assert scope.channel_name is not None
            await settle(layer, scope.channel_name)
            assert messages.dropped == consumer.dropped_messages == 3
            assert [(await messages.__anext__())["n"] for _ in range(2)] == [3, 4]
        async with consumer.listen_to_channel("t", groups=["g"], buffer_size=4) as messages:
            for n in range(5):
                await layer.group_send("g", {"type": "t", "n": n})
            await settle(layer, scope.channel_name)
            assert messages.buffered == 4
    assert consumer.dropped_messages == 4
    assert sum("dropped the oldest" in r.getMessage() for r in caplog.records) == 2


async def test_timeout_ends_iteration(layer: InMemoryChannelLayer) -> None:
    consumer = bare_consumer(layer)
    async with (
        consumer.operation_scope(),
        consumer.listen_to_channel("t", timeout=0.01) as messages,
    ):
        assert [m async for m in messages] == []


@pytest.mark.parametrize("how", ["error", "cancel"])
async def test_leaving_by_error_or_cancellation_cleans_up(
    layer: InMemoryChannelLayer, how: str
) -> None:
    consumer = bare_consumer(layer)
    entered = asyncio.Event()

    async def operation() -> None:
        async with consumer.operation_scope():
            await consumer.channel_layer.group_add("hand", consumer.channel_name)
            async with consumer.listen_to_channel("t", groups=["g"]) as messages:
                entered.set()
                if how == "error":
                    raise ValueError("boom")
                async for _ in messages:
                    pass

    task = asyncio.ensure_future(operation())
    await entered.wait()
    assert set(layer.groups) == {"hand", "g"}
    if how == "cancel":
        task.cancel()
    with pytest.raises(asyncio.CancelledError if how == "cancel" else ValueError):
        await task
    assert_layer_empty(layer)


async def test_missing_layer_is_a_clear_error() -> None:
    class Unconfigured(ChannelsConsumer):
        channel_layer_alias = "not-configured"

    consumer = Unconfigured()
    assert consumer.channel_layer is None
    with pytest.raises(ChannelLayerMissingError, match=r"'not-configured'.*CHANNEL_LAYERS"):
        _ = consumer.channel_name
    with pytest.raises(ChannelLayerMissingError):
        async with consumer.listen_to_channel("t"):
            pass  # pragma: no cover
    # An operation scope without a layer is harmless (HTTP-only deployments).
    async with consumer.operation_scope() as scope:
        assert scope.channel_name is None
        with pytest.raises(ChannelLayerMissingError):
            async with consumer.listen_to_channel("t"):
                pass  # pragma: no cover


async def test_consumer_without_own_channel_points_to_operation_scope(
    layer: InMemoryChannelLayer,
) -> None:
    consumer = bare_consumer(layer)
    with pytest.raises(RuntimeError, match="operation_scope"):
        _ = consumer.channel_name
    with pytest.raises(RuntimeError, match="operation_scope"):
        async with consumer.listen_to_channel("t"):
            pass  # pragma: no cover
    async with consumer.operation_scope():
        # Inside a scope the name is a real channel of the layer: what is sent to it is read
        # by the scope's listener.
        name = consumer.channel_name
        layer.require_valid_channel_name(name)
        async with consumer.listen_to_channel("t") as messages:
            await layer.send(name, {"type": "t", "text": "to the scope's channel"})
            received = await asyncio.wait_for(anext(aiter(messages)), 5)
        assert received == {"type": "t", "text": "to the scope's channel"}


async def test_scopes_of_concurrent_tasks_do_not_mix(layer: InMemoryChannelLayer) -> None:
    consumer = bare_consumer(layer)
    names: dict[str, str] = {}
    inside = {"a": asyncio.Event(), "b": asyncio.Event()}

    async def operation(key: str) -> None:
        async with consumer.operation_scope():
            inside[key].set()
            for event in inside.values():
                await event.wait()
            names[key] = consumer.channel_name

    await asyncio.gather(operation("a"), operation("b"))
    assert names["a"] != names["b"]
