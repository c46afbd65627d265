"""LocalChannelLayer against Channels' InMemoryChannelLayer: same operations, same outcomes."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strawberry_channels.layers import LocalChannelLayer

CHANNELS = ["specific..inmemory!a", "specific..inmemory!b", "specific..inmemory!c"]
GROUPS = ["g1", "g2"]

operation = st.one_of(
    st.tuples(st.just("send"), st.sampled_from(CHANNELS), st.integers(0, 9)),
    st.tuples(st.just("receive"), st.sampled_from(CHANNELS), st.none()),
    st.tuples(st.just("group_add"), st.sampled_from(CHANNELS), st.sampled_from(GROUPS)),
    st.tuples(st.just("group_discard"), st.sampled_from(CHANNELS), st.sampled_from(GROUPS)),
    st.tuples(st.just("group_send"), st.sampled_from(GROUPS), st.integers(0, 9)),
)


async def apply(layer: Any, op: tuple[str, str, Any]) -> Any:
    kind, target, value = op
    if kind == "send":
        try:
            await layer.send(target, {"type": "m", "n": value})
        except ChannelFull:
            return "full"
        return None
    if kind == "receive":
        # Only when something waits: both layers would block otherwise.
        queue = layer.channels.get(target)
        if queue is None or queue.empty():
            return "empty"
        return await asyncio.wait_for(layer.receive(target), 1)
    if kind == "group_send":
        await layer.group_send(target, {"type": "m", "n": value})
        return None
    await getattr(layer, kind)(value, target)
    return {group: sorted(members) for group, members in layer.groups.items()}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, max_size=40))
def test_same_outcomes_as_channels_in_memory_layer(ops: list[tuple[str, str, Any]]) -> None:
    async def run() -> None:
        ours, theirs = LocalChannelLayer(capacity=3), InMemoryChannelLayer(capacity=3)
        for op in ops:
            assert await apply(ours, op) == await apply(theirs, op), op
        for channel in CHANNELS:
            ours_left = ours.channels.get(channel)
            theirs_left = theirs.channels.get(channel)
            assert (ours_left.qsize() if ours_left else 0) == (
                theirs_left.qsize() if theirs_left else 0
            )

    asyncio.run(run())


async def test_receive_waits_and_is_woken_by_send() -> None:
    layer = LocalChannelLayer()
    name = await layer.new_channel()
    waiting = asyncio.create_task(layer.receive(name))
    await asyncio.sleep(0)
    await layer.send(name, {"type": "x"})
    assert await asyncio.wait_for(waiting, 1) == {"type": "x"}
    assert layer.channels == {}


async def test_cancelled_receive_leaves_nothing_behind() -> None:
    layer = LocalChannelLayer()
    name = await layer.new_channel()
    waiting = asyncio.create_task(layer.receive(name))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert layer.channels == {}


async def test_expired_message_removes_its_channel_from_groups() -> None:
    layer = LocalChannelLayer(expiry=1)
    await layer.group_add("g", "specific..inmemory!x")
    await layer.send("specific..inmemory!x", {"type": "old"})
    layer.channels["specific..inmemory!x"].messages[0] = (time.time() - 1, {"type": "old"})
    await layer.group_send("g", {"type": "new"})
    assert layer.groups == {}


async def test_group_membership_expires() -> None:
    layer = LocalChannelLayer(group_expiry=10)
    await layer.group_add("g", "specific..inmemory!x")
    layer.groups["g"]["specific..inmemory!x"] = time.time() - 11
    await layer.group_send("g", {"type": "m"})
    assert layer.groups == {}
    assert "specific..inmemory!x" not in layer.channels


async def test_message_is_copied_per_receiver() -> None:
    layer = LocalChannelLayer()
    await layer.group_add("g", "specific..inmemory!x")
    await layer.group_add("g", "specific..inmemory!y")
    await layer.group_send("g", {"type": "m", "items": [1]})
    first = await layer.receive("specific..inmemory!x")
    first["items"].append(2)
    assert (await layer.receive("specific..inmemory!y"))["items"] == [1]


async def test_attached_channel_hands_over_waiting_then_new_messages_in_order() -> None:
    layer = LocalChannelLayer()
    name = await layer.new_channel()
    await layer.send(name, {"type": "m", "n": 0})
    await layer.group_add("g", name)
    got: list[dict[str, Any]] = []
    layer.attach(name, got.append)
    assert got == [{"type": "m", "n": 0}]
    assert name not in layer.channels  # nothing queued for it any more
    message = {"type": "m", "n": 1, "items": [1]}
    await layer.group_send("g", message)
    await layer.send(name, {"type": "m", "n": 2})
    assert [m["n"] for m in got] == [0, 1, 2]
    got[1]["items"].append(2)  # a copy: the sender's message is untouched
    assert message["items"] == [1]
    assert layer.channels == {}


async def test_detached_channel_queues_again() -> None:
    layer = LocalChannelLayer()
    name = await layer.new_channel()
    got: list[dict[str, Any]] = []
    layer.attach(name, got.append)
    layer.detach(name)
    await layer.send(name, {"type": "m"})
    assert got == []
    assert await asyncio.wait_for(layer.receive(name), 1) == {"type": "m"}


async def test_failing_sink_is_logged_and_the_group_still_served(
    caplog: pytest.LogCaptureFixture,
) -> None:
    layer = LocalChannelLayer()

    def broken(message: dict[str, Any]) -> None:
        raise RuntimeError("sink failed")

    await layer.group_add("g", "specific..inmemory!a")
    await layer.group_add("g", "specific..inmemory!b")
    layer.attach("specific..inmemory!a", broken)
    await layer.group_send("g", {"type": "m"})
    assert await asyncio.wait_for(layer.receive("specific..inmemory!b"), 1) == {"type": "m"}
    assert "Delivering a message to channel specific..inmemory!a failed" in caplog.text


async def test_flush_detaches_every_channel() -> None:
    layer = LocalChannelLayer()
    got: list[dict[str, Any]] = []
    layer.attach("specific..inmemory!a", got.append)
    await layer.flush()
    await layer.send("specific..inmemory!a", {"type": "m"})
    assert got == []
    assert layer.channels["specific..inmemory!a"].qsize() == 1
