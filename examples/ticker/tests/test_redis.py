"""Two server processes on Redis: each runs its own shared execution, and every subscriber
of either gets every tick (docs: shared-subscriptions.md, "Several processes")."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from redis.asyncio import Redis

from strawberry_channels.testing import run_server
from tests.conftest import APPLICATION, PROJECT, REDIS_HOST, REDIS_PORT, SERVER_ENV
from tests.helpers import PRICES, WAIT, Server, WSClient, sequence_of

REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


async def wait_for_members(store: Redis, key: str, count: int) -> None:
    """Until the group (channels_redis keeps it in a sorted set) has ``count`` channels."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while (members := await store.zcard(key)) != count:
        assert loop.time() < deadline, f"{key} has {members} channels, not {count}"
        await asyncio.sleep(0.02)


async def test_each_process_runs_its_own_execution(redis: None) -> None:
    prefix = f"ticker-{uuid.uuid4().hex[:8]}"
    env = {**SERVER_ENV, "REDIS_URL": REDIS_URL, "REDIS_PREFIX": prefix}
    store = Redis.from_url(REDIS_URL)
    group_key = f"{prefix}:group:ticker.MULTI"
    with (
        run_server(APPLICATION, cwd=PROJECT, env=env) as url_a,
        run_server(APPLICATION, cwd=PROJECT, env=env) as url_b,
    ):
        a, b = Server(url_a), Server(url_b)
        try:
            async with contextlib.AsyncExitStack() as stack:
                clients = [
                    await stack.enter_async_context(WSClient.connect(url))
                    for url in (url_a, url_a, url_b, url_b)
                ]
                for client in clients:
                    await client.subscribe("1", PRICES, {"symbol": "MULTI"})
                for server in (a, b):
                    state = await server.wait_for_subscribers(2, "MULTI", channels=None)
                    assert state["stats"]["executions"] == 1
                # One channel per process in the group, whatever the number of subscribers.
                await wait_for_members(store, group_key, 2)

                # Ticks published from either process, in turn, numbered 1 to 6.
                for start, server in ((1, a), (3, b), (5, a)):
                    await a.publish_many("MULTI", start, 1)
                    await server.publish_many("MULTI", start + 1, 1)
                for client in clients:
                    assert [sequence_of(f) for f in await client.frames(6)] == [1, 2, 3, 4, 5, 6]

                for client in clients:
                    await client.complete("1")
                for server in (a, b):
                    await server.wait_until(
                        lambda s: s["stats"]["executions"] == 0, "the execution stopped"
                    )
                await wait_for_members(store, group_key, 0)
        finally:
            await a.close()
            await b.close()
            await store.aclose()
