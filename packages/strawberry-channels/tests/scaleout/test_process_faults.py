"""A server process killed mid-stream (SIGKILL), on a Redis of the test's own.

The other process keeps serving; the dead one's clients see their socket
close (1006: no close frame); the dead channels' group memberships are gone
from Redis once the group expiry has passed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import redis.asyncio
from scaleout_helpers import (
    PUBLISH,
    WAIT,
    RedisServer,
    Subscriber,
    graphql,
    process_id,
    servers,
    unique,
)

GROUP_EXPIRY = 2


async def test_sigkill_mid_stream(tmp_path: Path) -> None:
    group, prefix = unique("room"), unique("sc-kill")
    with RedisServer(tmp_path) as own_redis:
        connection = redis.asyncio.Redis.from_url(own_redis.url)
        group_key = f"{prefix}:group:{group}"
        env = {"SC_PREFIX": prefix, "SC_GROUP_EXPIRY": str(GROUP_EXPIRY)}
        try:
            with servers("redis", own_redis.url, "uvicorn", "uvicorn", **env) as (a, b):
                victim = await process_id(a)
                async with (
                    Subscriber(a) as doomed,
                    Subscriber(a, "graphql-ws") as doomed_legacy,
                    Subscriber(b) as survivor,
                ):
                    for subscriber in (doomed, doomed_legacy, survivor):
                        await subscriber.listen(group)
                    await graphql(b, PUBLISH, group=group, text="before")
                    for subscriber in (doomed, doomed_legacy, survivor):
                        assert await subscriber.next_text() == "before"
                    assert await connection.zcard(group_key) == 3

                    os.kill(victim, signal.SIGKILL)
                    # The dead process's clients see their sockets close.
                    assert await doomed.closed() == 1006
                    assert await doomed_legacy.closed() == 1006
                    # The other process keeps serving.
                    reply = await graphql(b, PUBLISH, group=group, text="after")
                    assert reply == {"data": {"publish": True}}
                    assert await survivor.next_text() == "after"

                    # Nobody left the group for the dead channels: their
                    # memberships last until the group expiry, not longer. The
                    # survivor's is renewed every group_expiry / 2 and stays.
                    for _ in range(WAIT * 10):
                        since = time.time() - GROUP_EXPIRY
                        if await connection.zcount(group_key, since, "+inf") == 1:
                            break
                        await asyncio.sleep(0.1)
                    else:
                        raise AssertionError("group memberships outlived the group expiry")
                    await asyncio.sleep(2 * GROUP_EXPIRY)  # several renewals later
                    reply = await graphql(b, PUBLISH, group=group, text="later")
                    assert reply == {"data": {"publish": True}}
                    assert await survivor.next_text() == "later"
        finally:
            await connection.aclose()
