"""Per-subscriber backpressure: 99 subscribers keep up, one stops reading (docs:
shared-subscriptions.md, "Slow subscribers").

Frames are of about 1 KB (see ``FLOOD``). The ticks are published inside the server process
(the test endpoint of tests/server.py) in batches of 500, each once the 99 readers have every
tick before it: the publisher goes as fast as subscribers that keep up can read, and never
waits for the one that does not read. ``TICKER_FLOOD_MESSAGES`` sets the number of ticks:
10,000 by default (well under a minute on two cores), 100,000 for the full-size run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os

from tests.helpers import WAIT, Server, WSClient

MESSAGES = int(os.environ.get("TICKER_FLOOD_MESSAGES", "10000"))
FAST = 99
BATCH = 500
#: A long symbol, selected eight times: frames of about 1 KB. The server's socket send
#: buffer grows to about 4 MB here (Linux's tcp_wmem maximum), and holds that much for the
#: slow subscriber before its send() waits and its buffer fills: 10,000 small frames
#: would all fit in it.
SYMBOL = "FLOOD_" + "X" * 84
FLOOD = (
    "subscription Flood($symbol: String!) { prices(symbol: $symbol) { sequence "
    + " ".join(f"s{n}: symbol" for n in range(8))
    + " } }"
)


async def test_a_slow_subscriber_drops_the_oldest_and_never_stalls_the_others(
    server: Server,
) -> None:
    received = [0] * FAST  # the last sequence number each fast reader got
    out_of_order: list[str] = []

    async def keep_up(index: int, client: WSClient) -> None:
        expected = 1
        while expected <= MESSAGES:
            frame = await client.connection.recv()
            sequence = json.loads(frame)["payload"]["data"]["prices"]["sequence"]
            if sequence != expected:
                out_of_order.append(f"reader {index}: {sequence} after {expected - 1}")
                return
            received[index] = expected
            expected += 1

    async with contextlib.AsyncExitStack() as stack:
        fast = [await stack.enter_async_context(WSClient.connect(server.url)) for _ in range(FAST)]
        # The slow one reads nothing until the end, with a small socket receive buffer. It
        # is served with a long send_buffer_timeout (see tests/server.py): by default a
        # socket that takes nothing for 10 s is given up.
        slow = await stack.enter_async_context(
            WSClient.connect(server.url, "/_test/patient/graphql", receive_buffer=4096)
        )
        for client in [*fast, slow]:
            await client.subscribe("1", FLOOD, {"symbol": SYMBOL})
        await server.wait_for_subscribers(FAST + 1, SYMBOL)
        # The websockets library reads ahead into memory of its own: stop reading the
        # socket itself, so that the server's socket and then its send() fill up.
        slow.connection.transport.pause_reading()
        readers = [asyncio.create_task(keep_up(i, c)) for i, c in enumerate(fast)]

        loop = asyncio.get_running_loop()
        for start in range(1, MESSAGES + 1, BATCH):
            last = min(start + BATCH, MESSAGES + 1) - 1
            await server.publish_many(SYMBOL, start, last - start + 1)
            deadline = loop.time() + WAIT
            while min(received) < last and not out_of_order:
                assert loop.time() < deadline, f"the readers stalled before tick {last}"
                await asyncio.sleep(0.005)
            assert not out_of_order, out_of_order[:5]
        await asyncio.gather(*readers)
        assert received == [MESSAGES] * FAST  # every tick, in order, for all 99

        # Now the slow subscriber reads what is left for it: the oldest ticks the socket
        # held, then the newest ones its buffer kept, up to the last tick.
        slow.connection.transport.resume_reading()
        slow_sequences: list[int] = []
        while not slow_sequences or slow_sequences[-1] < MESSAGES:
            frame = await slow.frame()
            slow_sequences.append(json.loads(frame)["payload"]["data"]["prices"]["sequence"])
        state = await server.state()

    assert slow_sequences == sorted(set(slow_sequences)), "the slow one's ticks are in order"
    dropped = MESSAGES - len(slow_sequences)
    print(f"the slow subscriber got {len(slow_sequences)} of {MESSAGES} ticks: {dropped} dropped")
    assert dropped > 0, (len(slow_sequences), state)
    assert state["dropped"] == dropped  # the consumers' dropped_messages, added up
    assert state["stats"]["dropped"] == dropped
    assert state["stats"]["events"] == MESSAGES
