"""Soak: many connections x one subscription, every message delivered in order, then all vanish.

The server (uvicorn, the hardening schema) runs alone in a subprocess (``soak_server.py``)
and reports its own RSS, asyncio tasks and group memberships; the clients run here, so
that what they allocate does not count as the server's.

Reduced in the default run; `nox -s soak` runs 1,000 connections and 100,000 messages, with
the server on jemalloc (see ``ALLOCATOR``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes.util
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import unavailable
from hardening_helpers import ws_client
from test_membership_leaks import redis_layer, reset  # noqa: F401

from strawberry_channels.testing import run_server

CONNECTIONS = int(os.environ.get("HARDENING_SOAK_CONNECTIONS", "50"))
MESSAGES = int(os.environ.get("HARDENING_SOAK_MESSAGES", "5000"))
#: ``HARDENING_SOAK_TRACE=1``: the server also answers which Python objects are alive
#: after the vanish that were not at idle (by type) and its RSS once glibc gave its free
#: memory back (malloc_trim), and prints pymalloc's arena statistics to its stderr: what
#: is held, and what is allocator slack.
TRACE = os.environ.get("HARDENING_SOAK_TRACE", "") == "1"
#: ``HARDENING_SOAK_ALLOCATOR=jemalloc`` (``nox -s soak``): the server's memory comes from
#: jemalloc (``LD_PRELOAD``, ``PYTHONMALLOC=malloc``), which gives freed memory back to the
#: system after a second; with glibc and pymalloc (the default) a process keeps what its
#: peak took and reuses it. The figure after the vanish is then read once the RSS stops
#: falling.
ALLOCATOR = os.environ.get("HARDENING_SOAK_ALLOCATOR", "default")
JEMALLOC_CONF = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,narenas:1,tcache:false"
HERE = Path(__file__).resolve().parent
#: Publish at most this far ahead of the slowest reader: the layer's per-channel
#: capacity is 100, and a full channel drops messages by design, which is not what
#: this measures.
AHEAD = 50

# The full size runs for a minute or two on a shared 2-core machine.
pytestmark = pytest.mark.timeout(120 + MESSAGES // 200)

State = Callable[..., Awaitable[dict[str, Any]]]


async def settle(state: State, group: str, tasks: int, seconds: float = 20) -> dict[str, Any]:
    """The server's state once ``group`` has no member and at most ``tasks`` tasks run."""
    now = await state(group)
    for _ in range(int(seconds / 0.05)):
        if now["memberships"] == 0 and now["tasks"] <= tasks:
            break
        await asyncio.sleep(0.05)
        now = await state(group)
    return now


def allocator_env() -> dict[str, str]:
    """The server's environment for ``ALLOCATOR``."""
    if ALLOCATOR == "default":
        return {}
    assert ALLOCATOR == "jemalloc", f"unknown HARDENING_SOAK_ALLOCATOR {ALLOCATOR!r}"
    candidates = [
        Path("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"),
        Path("/usr/lib/aarch64-linux-gnu/libjemalloc.so.2"),
    ]
    found = ctypes.util.find_library("jemalloc")
    library = next((str(path) for path in candidates if path.exists()), found)
    if library is None:
        unavailable("jemalloc is not installed (apt-get install libjemalloc2)")
    assert library is not None
    return {"LD_PRELOAD": library, "PYTHONMALLOC": "malloc", "MALLOC_CONF": JEMALLOC_CONF}


async def settled_rss(state: State, group: str, idle_kib: int) -> dict[str, Any]:
    """The state once the RSS stopped falling (the allocator gives memory back by itself)."""
    now = await state(group)
    if ALLOCATOR == "default":
        return now
    lowest, flat = now["rss_kib"], 0
    # Within 10 % of idle, or no fall of 256 KiB for 3 s, or 20 s in all.
    for _ in range(40):
        if now["rss_kib"] <= idle_kib * 1.10 or flat >= 6:
            break
        await asyncio.sleep(0.5)
        now = await state(group)
        if now["rss_kib"] < lowest - 256:
            lowest, flat = now["rss_kib"], 0
        else:
            flat += 1
    return now


async def soak(env: dict[str, str]) -> dict[str, Any]:
    per_connection = MESSAGES // CONNECTIONS
    env = {**env, **allocator_env()}
    with run_server("soak_server:application", cwd=HERE, env=env) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:

            async def state(group: str, trace: str = "") -> dict[str, Any]:
                params = {"group": group, "trace": trace}
                response = await http.get("/_test/state", params=params)
                response.raise_for_status()
                answer: dict[str, Any] = response.json()
                return answer

            async def publish(group: str, n: int) -> None:
                body = {"group": group, "start": n, "count": 1}
                (await http.post("/_test/publish", json=body)).raise_for_status()

            fresh = await state("warm")
            # One client through the whole cycle first: idle is a server that has
            # served. What the first connection imports and caches (lazily imported
            # modules, their functions and types) stays for the life of any server,
            # and is not something the vanished clients left behind.
            async with ws_client(url) as client:
                await client.start("s", 'subscription { listen(group: "warm") }')
                assert (await client.next_payload())["type"] == "next"
                await publish("warm", 0)
                assert (await client.next_payload())["payload"]["data"]["listen"] == "0"
                reset(client)
            warm = await settle(state, "warm", fresh["tasks"])
            assert warm["memberships"] == 0
            idle = await state("soak", "idle" if TRACE else "")

            async with contextlib.AsyncExitStack() as stack:
                clients = [
                    await stack.enter_async_context(ws_client(url)) for _ in range(CONNECTIONS)
                ]
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
                    await publish("soak", n)
                    while n - min(progress) >= AHEAD:  # noqa: ASYNC110 (polling a counter)
                        await asyncio.sleep(0.01)
                received = await asyncio.wait_for(asyncio.gather(*readers), 120)
                expected = list(range(per_connection))
                lost_or_reordered = sum(got != expected for got in received)
                delivered = sum(len(got) for got in received)
                for client in clients:
                    reset(client)

            left = await settle(state, "soak", idle["tasks"])
            await settled_rss(state, "soak", idle["rss_kib"])
            after = await state("soak", "after" if TRACE else "")
    figures: dict[str, Any] = {
        "allocator": ALLOCATOR,
        "delivered": delivered,
        "lost_or_reordered": lost_or_reordered,
        "memberships_left": left["memberships"],
        "tasks_left": max(0, left["tasks"] - idle["tasks"]),
        "idle_kib": idle["rss_kib"],
        "after_kib": after["rss_kib"],
        "peak_kib": after["peak_kib"],
    }
    for key in ("after_trim_kib", "grown_objects", "grown_by_type"):
        if key in after:
            figures[key] = after[key]
    return figures


def check(figures: dict[str, Any]) -> None:
    assert figures["delivered"] == (MESSAGES // CONNECTIONS) * CONNECTIONS
    assert figures["lost_or_reordered"] == 0
    assert figures["memberships_left"] == 0
    assert figures["tasks_left"] == 0
    # The server's RSS back within 10 % of its idle figure.
    assert figures["after_kib"] <= figures["idle_kib"] * 1.10, figures


async def test_soak_in_memory(capsys: pytest.CaptureFixture[str]) -> None:
    figures = await soak({"SOAK_LAYER": "memory"})
    with capsys.disabled():
        print(f"\nsoak in-memory: {figures}")
    check(figures)


async def test_soak_redis(
    redis_layer: Any,  # noqa: F811 (the fixture, imported)
    redis_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {
        "SOAK_LAYER": "redis",
        "SOAK_REDIS_URL": redis_url,
        "SOAK_REDIS_PREFIX": redis_layer.prefix,
    }
    figures = await soak(env)
    with capsys.disabled():
        print(f"\nsoak redis: {figures}")
    check(figures)
