"""Server-side unsubscribe and broadcast across processes, on every transport.

Process A serves graphql-transport-ws and SSE subscribers, process B (daphne)
graphql-ws and multipart ones; the test process ends the group with
``unsubscribe_sync`` from a thread, as a Celery task or a signal handler would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from channels.layers import channel_layers
from channels_redis.core import RedisChannelLayer
from scaleout_helpers import (
    END_GROUP,
    PUBLISH,
    WAIT,
    Subscriber,
    graphql,
    multipart_listen,
    servers,
    sse_listen,
    unique,
)

from strawberry_channels import broadcast, unsubscribe_sync


async def collect(stream: AsyncIterator[Any], into: list[Any], ready: asyncio.Event) -> None:
    async for item in stream:
        into.append(item)
        ready.set()


async def until(condition: Any, what: str) -> None:
    for _ in range(WAIT * 100):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def test_unsubscribe_ends_every_transport_in_every_process(redis_url: str) -> None:
    prefix = unique("sc-unsub")
    room, other = unique("room"), unique("other")
    alias = unique("sc-unsub-layer")
    channel_layers.set(alias, RedisChannelLayer(hosts=[redis_url], prefix=prefix))
    with servers("redis", redis_url, "uvicorn", "daphne", SC_PREFIX=prefix) as (a, b):
        async with (
            Subscriber(a) as modern,
            Subscriber(b, "graphql-ws") as legacy,
            Subscriber(b) as bystander,
        ):
            await modern.listen(room)
            await legacy.listen(room)
            await bystander.listen(other)
            sse: list[Any] = []
            multipart: list[Any] = []
            sse_ready, multipart_ready = asyncio.Event(), asyncio.Event()
            tasks = [
                asyncio.create_task(collect(sse_listen(a, room), sse, sse_ready)),
                asyncio.create_task(collect(multipart_listen(b, room), multipart, multipart_ready)),
            ]
            try:
                await asyncio.wait_for(sse_ready.wait(), WAIT)
                await asyncio.wait_for(multipart_ready.wait(), WAIT)
                assert sse == [("next", '{"data":{"listen":null}}')]
                assert multipart == [{"payload": {"data": {"listen": None}}}]

                # broadcast from this process reaches all four.
                await broadcast(room, {"type": "test.message", "text": "hi"}, alias=alias)
                assert await modern.next_text() == "hi"
                assert await legacy.next_text() == "hi"
                await until(lambda: len(sse) == 2 and len(multipart) == 2, "streams got 'hi'")
                assert sse[1] == ("next", '{"data":{"listen":"hi"}}')
                assert multipart[1] == {"payload": {"data": {"listen": "hi"}}}

                await asyncio.to_thread(unsubscribe_sync, room, alias=alias)

                assert await modern.receive() == {"type": "complete", "id": "1"}
                assert await legacy.receive() == {"type": "complete", "id": "1"}
                await asyncio.wait_for(asyncio.gather(*tasks), WAIT)
                assert sse[2:] == [("complete", "")]
                assert multipart[2:] == ["end"]
            finally:
                for task in tasks:
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.gather(*tasks)

            # The sockets stay open and usable; the other group is untouched.
            await modern.listen(room, id="2")
            reply = await graphql(b, PUBLISH, group=other, text="still here")
            assert reply == {"data": {"publish": True}}
            assert await bystander.next_text() == "still here"
            # A mutation on B (server code) may end a group too.
            assert await graphql(b, END_GROUP, group=room) == {"data": {"endGroup": True}}
            assert await modern.receive() == {"type": "complete", "id": "2"}
            # No group membership is left behind in Redis.
            layer: Any = channel_layers[alias]
            connection = layer.connection(layer.consistent_hash(room))
            assert await connection.zcard(layer._group_key(room)) == 0
    closing: Any = channel_layers.backends.pop(alias)
    await closing.close_pools()
