"""Soak: many connections x one subscription, every message delivered in order, then all vanish.

Reduced in the default run; `nox -s soak` runs 1,000 connections and 100,000 messages.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import ctypes.util
import gc
import os
import resource
import sys
from typing import Any

import pytest
from channels.layers import get_channel_layer
from conftest import serve
from hardening_helpers import ws_client
from hardening_schema import make_schema
from test_membership_leaks import (  # noqa: F401
    RedisWSConsumer,
    memberships,
    redis_layer,
    reset,
    wait_for_no_memberships,
)

from strawberry_channels import GraphQLProtocolTypeRouter, GraphQLWSConsumer

CONNECTIONS = int(os.environ.get("HARDENING_SOAK_CONNECTIONS", "50"))
MESSAGES = int(os.environ.get("HARDENING_SOAK_MESSAGES", "5000"))
#: ``HARDENING_SOAK_TRACE=1``: also print the Python objects alive after the vanish
#: that were not at idle (by type), pymalloc's arena statistics, and the RSS once the
#: C allocator gave its free memory back (malloc_trim): what is held by us, and what
#: is allocator slack.
TRACE = os.environ.get("HARDENING_SOAK_TRACE", "") == "1"


def objects_by_type() -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for obj in gc.get_objects():
        kind = type(obj)
        counts[f"{kind.__module__}.{kind.__qualname__}"] += 1
    return counts


def malloc_trim() -> bool:
    """Give the C allocator's free memory back to the system (glibc only)."""
    name = ctypes.util.find_library("c")
    if not sys.platform.startswith("linux") or name is None:
        return False
    libc = ctypes.CDLL(name)
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return False
    trim(0)
    return True


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def warm_up(layer: Any, url: str) -> None:
    """One client through the whole cycle first: idle is a server that has served.

    What the first connection imports and caches (about a thousand functions and
    types of lazily imported modules, and their code) stays for the life of any
    server, and is not something the vanished clients left behind.
    """
    async with ws_client(url) as client:
        await client.start("s", 'subscription { listen(group: "warm") }')
        assert (await client.next_payload())["type"] == "next"
        await layer.group_send("warm", {"type": "test.message", "text": "0"})
        assert (await client.next_payload())["payload"]["data"]["listen"] == "0"
        reset(client)
    assert await wait_for_no_memberships(layer, "warm") == 0


async def soak(layer: Any, consumer: type[GraphQLWSConsumer]) -> dict[str, int]:
    per_connection = MESSAGES // CONNECTIONS
    app = GraphQLProtocolTypeRouter(make_schema(), ws_consumer_class=consumer)
    async with serve(app) as url:
        await warm_up(layer, url)
        gc.collect()
        before = objects_by_type() if TRACE else collections.Counter()
        idle = rss_kib()
        baseline_tasks = len(asyncio.all_tasks())
        async with contextlib.AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(ws_client(url)) for _ in range(CONNECTIONS)]
            for client in clients:
                await client.start("s", 'subscription { listen(group: "soak") }')
            for client in clients:
                assert (await client.next_payload(timeout=30))["type"] == "next"

            progress = [0] * CONNECTIONS

            async def read(index: int, client: Any) -> list[int]:
                got = []
                for _ in range(per_connection):
                    message = await client.next_payload(timeout=30)
                    got.append(int(message["payload"]["data"]["listen"]))
                    progress[index] += 1
                return got

            readers = [asyncio.create_task(read(i, c)) for i, c in enumerate(clients)]
            for n in range(per_connection):
                await layer.group_send("soak", {"type": "test.message", "text": str(n)})
                # Stay within the layer's per-channel capacity (100): a full
                # channel drops messages by design, which is not what this measures.
                while n - min(progress) >= 50:  # noqa: ASYNC110 (polling a counter)
                    await asyncio.sleep(0.01)
            received = await asyncio.wait_for(asyncio.gather(*readers), 120)
            expected = list(range(per_connection))
            lost_or_reordered = sum(got != expected for got in received)
            delivered = sum(len(got) for got in received)
            del received
            for client in clients:
                reset(client)
        for _ in range(400):
            left = await memberships(layer, "soak")
            if left == 0 and len(asyncio.all_tasks()) <= baseline_tasks:
                break
            await asyncio.sleep(0.05)
        # The clients share the process: what they held must not count as the server's.
        del clients, readers, client
        gc.collect()
        figures = {
            "delivered": delivered,
            "lost_or_reordered": lost_or_reordered,
            "memberships_left": await memberships(layer, "soak"),
            "tasks_left": max(0, len(asyncio.all_tasks()) - baseline_tasks),
            "idle_kib": idle,
            "after_kib": rss_kib(),
        }
        if TRACE:
            grown = objects_by_type() - before
            print(f"\nobjects alive after the vanish, not at idle: {sum(grown.values())}")
            for name, count in grown.most_common(12):
                print(f"  {count:+8d} {name}")
            if malloc_trim():
                figures["after_trim_kib"] = rss_kib()
            sys._debugmallocstats()  # pymalloc's arenas, to stderr
        return figures


def check(figures: dict[str, int]) -> None:
    assert figures["delivered"] == (MESSAGES // CONNECTIONS) * CONNECTIONS
    assert figures["lost_or_reordered"] == 0
    assert figures["memberships_left"] == 0
    assert figures["tasks_left"] == 0
    # RSS back within 10 % of idle (allocator slack aside, nothing is kept).
    assert figures["after_kib"] <= figures["idle_kib"] * 1.10, figures


async def test_soak_in_memory(capsys: pytest.CaptureFixture[str]) -> None:
    layer: Any = get_channel_layer()
    await layer.flush()
    figures = await soak(layer, GraphQLWSConsumer)
    with capsys.disabled():
        print(f"\nsoak in-memory: {figures}")
    check(figures)
    await layer.flush()


async def test_soak_redis(redis_layer: Any, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    figures = await soak(redis_layer, RedisWSConsumer)
    with capsys.disabled():
        print(f"\nsoak redis: {figures}")
    check(figures)
