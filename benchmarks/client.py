"""Load generator, run in its own process: ``python benchmarks/client.py SCENARIO JSON``.

It sets up (connections, subscriptions), prints ``READY``, waits for ``GO`` on stdin (so the
runner can snapshot the server's CPU time), runs the measured part, prints ``RESULT <json>``,
then tears down. Every wait is bounded; a timeout shows up as loss in the result.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import uvloop
from lean_ws import Subscriber, open_subscriber
from shared_schema import FANOUT, HELLO_RESULT, LIST_RESULT, STREAM
from websockets.asyncio.client import ClientConnection, connect

SUBPROTOCOL = "graphql-transport-ws"
Scenario = Callable[[dict[str, Any]], Awaitable[None]]


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def wait_go() -> None:
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if line.strip() != "GO":
        raise SystemExit(f"expected GO, got {line!r}")


async def open_ws(url: str) -> ClientConnection:
    ws = await connect(
        url, subprotocols=[SUBPROTOCOL], compression=None, max_queue=None, open_timeout=30
    )
    await ws.send('{"type":"connection_init"}')
    ack = json.loads(await asyncio.wait_for(ws.recv(), 30))
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"no connection_ack: {ack}")
    return ws


async def subscribe(ws: ClientConnection, query: str, variables: dict[str, Any]) -> None:
    frame = {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
    await ws.send(json.dumps(frame))


async def expect_greeting(ws: ClientConnection) -> None:
    frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
    if frame.get("type") != "next" or frame["payload"]["data"]["fanout"]["seq"] != -1:
        raise RuntimeError(f"unexpected first frame: {frame}")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def stream(p: dict[str, Any]) -> None:
    n = p["n"]
    ws = await open_ws(p["url"])
    say("READY")
    await wait_go()
    started = time.monotonic()
    await subscribe(ws, STREAM, {"to": n})
    received, in_order, completed = 0, True, False
    try:
        async with asyncio.timeout(p.get("timeout", 120)):
            async for raw in ws:
                frame = json.loads(raw)
                if frame["type"] == "next":
                    in_order &= frame["payload"]["data"]["count"] == received
                    received += 1
                elif frame["type"] == "complete":
                    completed = True
                    break
                else:
                    raise RuntimeError(f"unexpected frame {frame}")
    except TimeoutError:
        pass
    seconds = time.monotonic() - started
    say(
        "RESULT "
        + json.dumps(
            {
                "delivered": received,
                "expected": n,
                "in_order": in_order and completed,
                "seconds": seconds,
                "rate": received / seconds,
            }
        )
    )
    await ws.close()


async def _collect(
    ws: ClientConnection, m: int, latencies: list[float], counts: list[int], slot: int
) -> bool:
    received, in_order = 0, True
    async for raw in ws:
        now = time.monotonic()
        event = json.loads(raw)["payload"]["data"]["fanout"]
        in_order &= event["seq"] == received
        latencies.append(now - event["sent"])
        received += 1
        counts[slot] = received
        if received == m:
            break
    return in_order


async def fanout(p: dict[str, Any]) -> None:
    k, m, urls, group = p["k"], p["m"], p["urls"], p["group"]
    sockets: list[ClientConnection] = []
    for batch in range(0, k, 50):
        opened = await asyncio.gather(
            *(open_ws(urls[i % len(urls)]) for i in range(batch, min(k, batch + 50)))
        )
        sockets.extend(opened)
    for ws in sockets:
        await subscribe(ws, FANOUT, {"group": group, "greet": True})
    await asyncio.gather(*(expect_greeting(ws) for ws in sockets))
    say("READY")
    await wait_go()
    latencies: list[float] = []
    counts = [0] * k
    started = time.monotonic()
    tasks = [
        asyncio.create_task(_collect(ws, m, latencies, counts, i)) for i, ws in enumerate(sockets)
    ]
    async with aiohttp.ClientSession() as http:
        url = f"{p['publish']}?group={group}&count={m}"
        async with http.post(url) as response:
            published = await response.json()
    done, pending = await asyncio.wait(tasks, timeout=p.get("timeout", 120))
    seconds = time.monotonic() - started
    for task in pending:
        task.cancel()
    delivered = sum(counts)
    say(
        "RESULT "
        + json.dumps(
            {
                "delivered": delivered,
                "expected": k * m,
                "in_order": all(t.exception() is None and t.result() for t in done) and not pending,
                "seconds": seconds,
                "rate": delivered / seconds,
                "p50_ms": percentile(latencies, 0.50) * 1000,
                "p99_ms": percentile(latencies, 0.99) * 1000,
                "publish_seconds": published["seconds"],
            }
        )
    )
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


async def warm_up(
    subscribers: list[Subscriber], http: aiohttp.ClientSession, publish: str, group: str
) -> int:
    """Wait until every subscriber has seen a frame with a negative ``seq``.

    The unshared contenders greet each subscription once it joined the group. A shared
    execution greets only its first subscriber (later ones start with the next event), so
    while some subscriber has not been greeted, publish one warm-up event (``seq = -1``) to
    the group and look again. Returns the number of warm-up events published.
    """
    deadline = time.monotonic() + 60
    rounds = 0
    while True:
        waiting = [s for s in subscribers if not s.live.is_set()]
        problems = [s.problem for s in subscribers if s.problem]
        if problems:
            raise RuntimeError(f"{len(problems)} subscribers failed: {problems[0]}")
        if not waiting:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(s.live.wait() for s in waiting)), 0.3)
        if all(s.live.is_set() for s in waiting):
            continue
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(waiting)} subscribers never became live")
        async with http.post(f"{publish}?group={group}&count=1&warm=1") as response:
            await response.read()
        rounds += 1
    await asyncio.sleep(0.3)  # let the last warm-up frames arrive before the measured part
    return rounds


async def fanout_lean(p: dict[str, Any]) -> None:
    """The fan-out with the lean subscribers of lean_ws.py (no JSON decoding per frame).

    ``query`` is the document to subscribe with (the shared field for strawberry_channels in
    the shared scenarios), ``interval`` the publisher's pause between events (0: a burst).
    """
    k, m, urls, group = p["k"], p["m"], p["urls"], p["group"]
    query, interval = p.get("query", FANOUT), p.get("interval", 0)
    latencies: list[float] = []
    subscribers: list[Subscriber] = []
    for batch in range(0, k, 100):
        subscribers.extend(
            await asyncio.gather(
                *(
                    open_subscriber(urls[i % len(urls)], m, latencies)
                    for i in range(batch, min(k, batch + 100))
                )
            )
        )
    for subscriber in subscribers:
        subscriber.subscribe(query, {"group": group, "greet": True})
    async with aiohttp.ClientSession() as http:
        warm_ups = await warm_up(subscribers, http, p["publish"], group)
        stats_urls = [u.replace("ws://", "http://").replace("/graphql", "/stats") for u in urls]
        shared = []
        for url in stats_urls:
            async with http.get(url) as response:
                shared.append(await response.json())
        say("READY")
        await wait_go()
        cpu = time.process_time()
        started = time.monotonic()
        url = f"{p['publish']}?group={group}&count={m}&interval={interval}"
        async with http.post(url) as response:
            published = await response.json()
        _, pending = await asyncio.wait(
            [s.done for s in subscribers], timeout=p.get("timeout", 120)
        )
        seconds = time.monotonic() - started
        cpu = time.process_time() - cpu
    delivered = sum(s.received for s in subscribers)
    problems = [s.problem for s in subscribers if s.problem]
    say(
        "RESULT "
        + json.dumps(
            {
                "delivered": delivered,
                "expected": k * m,
                "in_order": not pending and all(s.in_order for s in subscribers),
                "seconds": seconds,
                "rate": delivered / seconds,
                "p50_ms": percentile(latencies, 0.50) * 1000,
                "p99_ms": percentile(latencies, 0.99) * 1000,
                "publish_seconds": published["seconds"],
                "client_cpu": cpu,
                "client_busy": cpu / seconds,
                "warm_ups": warm_ups,
                "shared": shared,
                "problems": problems[:3],
            }
        )
    )
    for subscriber in subscribers:
        subscriber.close()
    await asyncio.sleep(0.2)


async def churn(p: dict[str, Any]) -> None:
    total, concurrency, url = p["ops"], p["concurrency"], p["url"]
    say("READY")
    await wait_go()
    done = 0
    failures = 0

    async def worker() -> None:
        nonlocal done, failures
        while done + failures < total:
            try:
                ws = await open_ws(url)
                await subscribe(ws, FANOUT, {"group": "churn", "greet": True})
                await expect_greeting(ws)
                await ws.close()
                done += 1
            except Exception:
                failures += 1

    started = time.monotonic()
    await asyncio.wait_for(
        asyncio.gather(*(worker() for _ in range(concurrency))), p.get("timeout", 120)
    )
    seconds = time.monotonic() - started
    say(
        "RESULT "
        + json.dumps(
            {
                "delivered": done,
                "expected": done + failures,
                "in_order": failures == 0,
                "seconds": seconds,
                "rate": done / seconds,
            }
        )
    )


async def idle(p: dict[str, Any]) -> None:
    n, url = p["n"], p["url"]
    sockets: list[ClientConnection] = []

    async def one(i: int) -> ClientConnection:
        ws = await open_ws(url)
        await subscribe(ws, FANOUT, {"group": f"idle-{i % 100}", "greet": True})
        await expect_greeting(ws)
        return ws

    for batch in range(0, n, 100):
        sockets.extend(await asyncio.gather(*(one(i) for i in range(batch, min(n, batch + 100)))))
    say("READY")
    await wait_go()
    say("RESULT " + json.dumps({"delivered": len(sockets), "expected": n, "in_order": True}))
    for batch in range(0, len(sockets), 200):
        await asyncio.gather(
            *(ws.close() for ws in sockets[batch : batch + 200]), return_exceptions=True
        )


async def http(p: dict[str, Any]) -> None:
    """Fallback HTTP load generator when ``wrk`` is not installed."""
    url, body, duration, concurrency = p["url"], p["body"], p["duration"], p["concurrency"]
    expected = LIST_RESULT if "items" in body else HELLO_RESULT
    say("READY")
    await wait_go()
    ok = errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.monotonic() + duration

        async def worker() -> None:
            nonlocal ok, errors
            while time.monotonic() < deadline:
                async with session.post(
                    url, data=body, headers={"content-type": "application/json"}
                ) as response:
                    result = await response.json(content_type=None)
                    if response.status == 200 and result == expected:
                        ok += 1
                    else:
                        errors += 1

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.monotonic() - started
    say(
        "RESULT "
        + json.dumps(
            {
                "delivered": ok,
                "expected": ok + errors,
                "in_order": errors == 0,
                "seconds": seconds,
                "rate": ok / seconds,
            }
        )
    )


SCENARIOS: dict[str, Scenario] = {
    "stream": stream,
    "fanout": fanout,
    "fanout_lean": fanout_lean,
    "churn": churn,
    "idle": idle,
    "http": http,
}


if __name__ == "__main__":
    uvloop.run(SCENARIOS[sys.argv[1]](json.loads(sys.argv[2])))
