"""Faults of a Redis channel layer, on a ``redis-server`` of the test's own.

What a client sees (docs: deploying.md, "What a client sees on each fault"):

* ``RedisChannelLayer`` (channels_redis.core), Redis stops: every open
  subscription (both WebSocket protocols, SSE, multipart) ends at once with a
  result carrying an error whose ``extensions.code`` is
  ``CHANNEL_LAYER_UNAVAILABLE``, then its normal end; sockets stay open and a
  new subscription works once Redis is back.
* ``RedisPubSubChannelLayer``, Redis stops: subscriptions stay open and
  receive nothing; messages published meanwhile are lost (the publisher gets
  an error); once Redis is back the layer subscribes again by itself and
  delivery resumes.
* Redis down when a subscription starts: the subscription fails alone with the
  same error code (``next`` + ``complete`` on the core layer, ``error`` on the
  pubsub layer); the socket stays open. SSE and multipart streams end with
  the coded error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
from scaleout_helpers import (
    LISTEN,
    PUBLISH,
    WAIT,
    RedisServer,
    Subscriber,
    graphql,
    multipart_listen,
    server,
    servers,
    sse_listen,
    unique,
)

from strawberry_channels.testing import free_port

CODE = "CHANNEL_LAYER_UNAVAILABLE"


def assert_unavailable(message: dict[str, Any], id: str = "1") -> None:
    assert message["id"] == id
    if message["type"] == "next":
        errors = message["payload"]["errors"]
        assert message["payload"].get("data") is None
    else:
        assert message["type"] == "error", message
        errors = message["payload"]
    assert [error["extensions"]["code"] for error in errors] == [CODE]
    assert errors[0]["message"].startswith("The channel layer is unavailable")


async def until(condition: Any, what: str) -> None:
    for _ in range(WAIT * 20):
        outcome = condition()
        if await outcome if asyncio.iscoroutine(outcome) else outcome:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def collect(stream: AsyncIterator[Any], into: list[Any]) -> None:
    async for item in stream:
        into.append(item)


def tracebacks(text: str) -> int:
    """Logged exceptions (a chained exception is one)."""
    chained = text.count("During handling of the above exception") + text.count(
        "The above exception was the direct cause"
    )
    return text.count("Traceback (most recent call last)") - chained


async def test_core_layer_redis_restart_ends_subscriptions_clearly(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    group = unique("room")
    with (
        RedisServer(tmp_path) as own_redis,
        servers("redis", own_redis.url, "uvicorn", "uvicorn") as (a, b),
    ):
        async with Subscriber(a) as on_a, Subscriber(b, "graphql-ws") as on_b:
            await on_a.listen(group)
            await on_b.listen(group)
            sse: list[Any] = []
            multipart: list[Any] = []
            streams = [
                asyncio.create_task(collect(sse_listen(a, group), sse)),
                asyncio.create_task(collect(multipart_listen(b, group), multipart)),
            ]
            await until(lambda: len(sse) == len(multipart) == 1, "the streams confirmed")
            await graphql(a, PUBLISH, group=group, text="before")
            assert await on_a.next_text() == "before"
            assert await on_b.next_text() == "before"
            await until(lambda: len(sse) == len(multipart) == 2, "the streams got 'before'")
            capfd.readouterr()

            own_redis.stop()
            # Every subscription ends, with an error the client can act on.
            for subscriber in (on_a, on_b):
                message = await subscriber.receive()
                if subscriber is on_b:  # legacy graphql-ws: `data`
                    assert message["type"] == "data"
                    message = {**message, "type": "next"}
                assert_unavailable(message)
                assert await subscriber.receive() == {"type": "complete", "id": "1"}
            await asyncio.wait_for(asyncio.gather(*streams), WAIT)
            event, data = sse[2]
            assert event == "next"
            assert_unavailable({"type": "next", "id": "1", "payload": json.loads(data)})
            assert sse[3:] == [("complete", "")]
            assert_unavailable({"type": "next", "id": "1", "payload": multipart[2]["payload"]})
            assert multipart[3:] == ["end"]
            reply = await graphql(b, PUBLISH, group=group, text="lost")
            assert reply["data"] is None
            # The mutation's own failure is masked: an error id, no address.
            assert reply["errors"][0]["message"].startswith("Internal server error (error id ")

            own_redis.start()
            # The sockets stayed open: subscribing again works.
            await on_a.listen(group, id="2")
            await on_b.listen(group, id="2")
            await graphql(b, PUBLISH, group=group, text="after")
            assert await on_a.next_text() == "after"
            assert await on_b.next_text() == "after"
            log = capfd.readouterr().err
    # One line per failed reader (four subscriptions), no traceback but the failed
    # mutation's own, which is logged twice: by Strawberry, and under its error id.
    assert log.count("Reading channel") == 4, log
    assert tracebacks(log) <= 2, log


async def test_pubsub_layer_redis_restart_resumes_delivery(tmp_path: Path) -> None:
    group, prefix = unique("room"), unique("sc-pubsub")
    with RedisServer(tmp_path) as own_redis:
        env = {"SC_PREFIX": prefix}
        with servers("redis-pubsub", own_redis.url, "uvicorn", "daphne", **env) as (a, b):
            async with Subscriber(a) as on_a, Subscriber(b) as on_b:
                await on_a.listen(group)
                await on_b.listen(group)
                await graphql(a, PUBLISH, group=group, text="before")
                assert await on_a.next_text() == "before"
                assert await on_b.next_text() == "before"

                own_redis.stop()
                reply = await graphql(a, PUBLISH, group=group, text="lost")
                assert reply["data"] is None
                # The subscriptions stay open and quiet (keep-alives aside).
                for subscriber in (on_a, on_b):
                    with pytest.raises(asyncio.TimeoutError):
                        await subscriber.receive(timeout=0.5)
                own_redis.start()

                # Both processes subscribe to the group's Redis channel again.
                connection = redis.asyncio.Redis.from_url(own_redis.url)
                channel = f"{prefix}__group__{group}"

                async def resubscribed() -> bool:
                    counts = dict(await connection.pubsub_numsub(channel))
                    return counts.get(channel.encode(), 0) == 2

                try:
                    await until(resubscribed, "both layers resubscribed")
                finally:
                    await connection.aclose()
                await graphql(b, PUBLISH, group=group, text="after")
                assert await on_a.next_text() == "after"
                assert await on_b.next_text() == "after"


@pytest.mark.parametrize("layer", ["redis", "redis-pubsub"])
async def test_broker_down_when_the_subscription_starts(tmp_path: Path, layer: str) -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    group = unique("room")
    with server(layer, url) as a:
        # Streams over HTTP end at once with the coded error.
        events = [event async for event in sse_listen(a, group)]
        assert events[1:] == [("complete", "")]
        assert events[0][0] == "next"
        assert_unavailable({"type": "next", "id": "1", "payload": json.loads(events[0][1])})
        parts = [part async for part in multipart_listen(a, group)]
        assert parts[1:] == ["end"]
        payload = parts[0].get("payload") or parts[0]  # a transport error is top level
        assert_unavailable({"type": "next", "id": "1", "payload": payload})

        async with Subscriber(a) as subscriber:
            payload = {"query": LISTEN, "variables": {"groups": [group]}}
            await subscriber.send({"type": "subscribe", "id": "1", "payload": payload})
            message = await subscriber.receive()
            assert_unavailable(message)
            if message["type"] == "next":
                assert await subscriber.receive() == {"type": "complete", "id": "1"}
            # The connection is still served. Queries need no channel on the
            # core layer; on the pubsub layer a channel is a Redis
            # subscription, so every operation fails alone, the same way.
            await subscriber.send(
                {"type": "subscribe", "id": "q", "payload": {"query": "{ processId }"}}
            )
            if layer == "redis":
                assert (await subscriber.receive())["type"] == "next"
                assert await subscriber.receive() == {"type": "complete", "id": "q"}
            else:
                assert_unavailable(await subscriber.receive(), id="q")

            with RedisServer(tmp_path, port):
                # Once Redis is there, subscribing again works.
                with contextlib.suppress(AssertionError):
                    await subscriber.listen(group, id="2")
                    await graphql(a, PUBLISH, group=group, text="up")
                    assert await subscriber.next_text() == "up"
                    return
                if layer == "redis":
                    raise AssertionError("the core layer did not recover")
        # A new connection to the pubsub layer gets a fresh start.
        with RedisServer(tmp_path, port):
            async with Subscriber(a) as subscriber:
                await subscriber.listen(group, id="3")
                await graphql(a, PUBLISH, group=group, text="up")
                assert await subscriber.next_text() == "up"
