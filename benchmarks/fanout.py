"""One group message to many subscribers in one process, while another client queries.

Starts a uvicorn server (a subprocess) serving a small schema on the in-memory
channel layer of your choice, opens ``--sockets`` WebSockets with ``--per-socket``
subscriptions each (all in one group), then sends one mutation whose resolver
``group_send``s one message, and measures:

* ``delivered_s``: from the mutation until every subscription got its message;
* ``probe_max_ms``: the slowest ``{ hello }`` answered over HTTP by another
  client while the fan-out ran (one probe every 20 ms);
* with ``--rounds N``, N group messages one after the other (each once the last
  was delivered): the figures above are then the worst round's, and
  ``rounds`` lists every round's;
* ``gc``: the server's garbage-collector pauses from the mutation until every
  subscription got its message (count, total and longest, per generation),
  and ``gc_objects``, the objects the collector tracks once everyone has
  subscribed: a full collection walks all of them while the event loop waits.

``--shared`` marks the subscription field with ``SharedSubscription()``: the
identical subscriptions then share one execution in the server process (one
group membership, one execution and one encoded payload per event), instead of
one each.

Usage::

    python benchmarks/fanout.py --layer local --sockets 100 --per-socket 100
    python benchmarks/fanout.py --layer channels --sockets 20 --per-socket 100
    python benchmarks/fanout.py --layer local --sockets 100 --per-socket 100 --shared

Prints one JSON line. Bounded: every wait has a timeout (``--timeout``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncGenerator
from typing import Any

LAYERS = {
    "local": "strawberry_channels.layers.LocalChannelLayer",
    "channels": "channels.layers.InMemoryChannelLayer",
}


def serve(port: int, layer: str, shared: bool) -> None:
    """The server process: the schema on uvicorn with the chosen layer."""
    import gc

    import django
    from django.conf import settings

    settings.configure(
        ALLOWED_HOSTS=["*"],
        CHANNEL_LAYERS={"default": {"BACKEND": LAYERS[layer], "CONFIG": {"capacity": 1000}}},
    )
    django.setup()
    import strawberry
    import uvicorn
    from channels.layers import get_channel_layer

    from strawberry_channels import (
        GraphQLProtocolTypeRouter,
        SharedSubscription,
        shared_subscription_stats,
    )

    pauses: dict[int, list[float]] = {}
    started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.setdefault(info["generation"], []).append(time.perf_counter() - started[0])

    gc.callbacks.append(on_gc)

    @strawberry.type
    class Query:
        @strawberry.field
        def hello(self) -> str:
            return "world"

        @strawberry.field
        def gc_objects(self) -> int:
            """Start recording collector pauses afresh; the objects the collector tracks."""
            pauses.clear()
            return len(gc.get_objects())

        @strawberry.field
        def gc_pauses(self) -> str:
            """The collector pauses since ``gcObjects``, per generation (JSON)."""
            return json.dumps(
                {
                    f"gen{generation}": {
                        "count": len(times),
                        "total_ms": round(sum(times) * 1000, 1),
                        "max_ms": round(max(times) * 1000, 1),
                    }
                    for generation, times in sorted(pauses.items())
                }
            )

        @strawberry.field
        def shared_ready(self) -> int:
            """Subscribers of shared executions, once the executions are in the group."""
            members = getattr(get_channel_layer(), "groups", {}).get("fanout", {})
            return shared_subscription_stats(schema).subscribers if members else 0

    @strawberry.type
    class Mutation:
        @strawberry.mutation
        async def broadcast(self, text: str) -> bool:
            await get_channel_layer().group_send("fanout", {"type": "fan.out", "text": text})
            return True

    @strawberry.type
    class Subscription:
        @strawberry.subscription(extensions=[SharedSubscription()] if shared else [])
        async def fanout(self, info: strawberry.Info) -> AsyncGenerator[str | None, None]:
            async with info.context["ws"].listen_to_channel("fan.out", groups=["fanout"]) as cm:
                yield None
                async for message in cm:
                    yield message["text"]

    schema = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)
    uvicorn.run(
        GraphQLProtocolTypeRouter(schema),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        ws_max_size=2**20,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_for_server(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise TimeoutError("server did not start")


async def subscriber_socket(
    url: str, per_socket: int, ready: asyncio.Queue[Any], shared: bool
) -> Any:
    import websockets

    socket_ = await websockets.connect(url, subprotocols=["graphql-transport-ws"], max_size=None)
    await socket_.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await socket_.recv())["type"] == "connection_ack"
    for n in range(per_socket):
        await socket_.send(
            json.dumps(
                {
                    "type": "subscribe",
                    "id": str(n),
                    "payload": {"query": "subscription { fanout }"},
                }
            )
        )
    # Each confirmed with null: it is in the group. A shared execution yields its
    # null once, to the subscribers it has then: readiness is asked of the server.
    for _ in range(0 if shared else per_socket):
        message = json.loads(await socket_.recv())
        assert message["type"] == "next", message
    await ready.put(None)
    return socket_


async def receive_all(socket_: Any, per_socket: int) -> float:
    got = 0
    while got < per_socket:
        message = json.loads(await socket_.recv())
        if message["payload"]["data"]["fanout"] is None:  # a shared execution's confirmation
            continue
        assert message["payload"]["data"]["fanout"].startswith("go"), message
        got += 1
    return time.perf_counter()


async def query(port: int, document: str) -> Any:
    body = json.dumps({"query": document}).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    )
    response = await reader.read()
    writer.close()
    return json.loads(response.split(b"\r\n\r\n", 1)[1])["data"]


async def wait_shared_ready(port: int, subscribers: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (await query(port, "{ sharedReady }"))["sharedReady"] < subscribers:
        if time.monotonic() > deadline:
            raise TimeoutError("the shared subscribers did not all join")
        await asyncio.sleep(0.1)


async def probe(base: str, stop: asyncio.Event, latencies: list[float]) -> None:
    body = b'{"query":"{ hello }"}'
    request = (
        b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n%s" % (len(body), body)
    )
    host, port = base.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        while not stop.is_set():
            started = time.perf_counter()
            writer.write(request)
            await reader.readuntil(b"\r\n\r\n")
            await reader.readuntil(b"}}")
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.02)
    finally:
        writer.close()


async def measure(
    port: int, sockets: int, per_socket: int, timeout: float, shared: bool, rounds: int = 1
) -> dict[str, Any]:
    url = f"ws://127.0.0.1:{port}/graphql"
    ready: asyncio.Queue[Any] = asyncio.Queue()
    started = time.perf_counter()
    clients = await asyncio.wait_for(
        asyncio.gather(
            *(subscriber_socket(url, per_socket, ready, shared) for _ in range(sockets))
        ),
        timeout,
    )
    if shared:
        await wait_shared_ready(port, sockets * per_socket, timeout)
    subscribed_s = time.perf_counter() - started
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    measured = []
    for round_ in range(rounds):
        gc_objects = (await query(port, "{ gcObjects }"))["gcObjects"]
        latencies: list[float] = []
        stop = asyncio.Event()
        probing = asyncio.create_task(probe(f"127.0.0.1:{port}", stop, latencies))
        await asyncio.sleep(0.1)
        receivers = [asyncio.create_task(receive_all(c, per_socket)) for c in clients]
        body = b'{"query":"mutation { broadcast(text: \\"go%d\\") }"}' % round_
        sent = time.perf_counter()
        writer.write(
            b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(body), body)
        )
        done = await asyncio.wait_for(asyncio.gather(*receivers), timeout)
        delivered_s = max(done) - sent
        gc_pauses = json.loads((await query(port, "{ gcPauses }"))["gcPauses"])
        await asyncio.sleep(0.1)
        stop.set()
        await probing
        measured.append(
            {
                "delivered_s": round(delivered_s, 3),
                "probe_max_ms": round(max(latencies) * 1000, 1) if latencies else None,
                "probes": len(latencies),
                "gc_objects": gc_objects,
                "gc": gc_pauses,
            }
        )
    writer.close()
    for client in clients:
        await client.close()
    first = measured[0]
    summary: dict[str, Any] = {
        "subscribers": sockets * per_socket,
        "subscribe_s": round(subscribed_s, 3),
        **first,
    }
    if rounds > 1:
        summary["delivered_s"] = max(r["delivered_s"] for r in measured)
        summary["probe_max_ms"] = max(r["probe_max_ms"] or 0 for r in measured)
        summary["rounds"] = measured
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", choices=sorted(LAYERS), default="local")
    parser.add_argument("--sockets", type=int, default=100)
    parser.add_argument("--per-socket", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--shared", action="store_true", help="a SharedSubscription field")
    parser.add_argument(
        "--rounds", type=int, default=1, help="group messages to send, one after the other"
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.layer, args.shared)
        return
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            str(port),
            "--layer",
            args.layer,
            *(["--shared"] if args.shared else []),
        ],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        asyncio.run(wait_for_server(port, 30))
        result = asyncio.run(
            measure(port, args.sockets, args.per_socket, args.timeout, args.shared, args.rounds)
        )
    finally:
        server.terminate()
        server.wait(10)
    print(json.dumps({"layer": args.layer, "shared": args.shared, **result}))


if __name__ == "__main__":
    main()
