"""SendWatchdog: a connection is given up only when sends wait with none completing."""

from __future__ import annotations

import asyncio

from strawberry_channels.servers import SendWatchdog

TIMEOUT = 0.2


async def test_a_send_that_waits_past_the_timeout_is_reported_once() -> None:
    calls: list[float] = []
    loop = asyncio.get_running_loop()
    watchdog = SendWatchdog(TIMEOUT, lambda: calls.append(loop.time()))
    started = loop.time()
    watchdog.started()  # and never finishes
    await asyncio.sleep(TIMEOUT * 3)
    assert len(calls) == 1
    assert calls[0] - started >= TIMEOUT
    assert watchdog.stalled
    watchdog.finished()
    watchdog.started()  # not armed again once it fired
    await asyncio.sleep(TIMEOUT * 2)
    assert len(calls) == 1


async def test_sends_that_complete_keep_the_connection() -> None:
    calls: list[None] = []
    watchdog = SendWatchdog(TIMEOUT, lambda: calls.append(None))
    # Overlapping sends for three timeouts, each finishing within the timeout.
    watchdog.started()
    for _ in range(12):
        watchdog.started()
        await asyncio.sleep(TIMEOUT / 4)
        watchdog.finished()
    watchdog.finished()
    await asyncio.sleep(TIMEOUT * 2)  # idle: nothing waits, nothing is reported
    assert calls == []
    assert not watchdog.stalled


async def test_progress_restarts_the_clock_for_sends_still_waiting() -> None:
    calls: list[None] = []
    watchdog = SendWatchdog(TIMEOUT, lambda: calls.append(None))
    watchdog.started()  # one send waits for good
    watchdog.started()
    await asyncio.sleep(TIMEOUT * 0.75)
    watchdog.finished()  # another completed: the socket took bytes
    await asyncio.sleep(TIMEOUT * 0.75)
    assert calls == []  # 1.5 timeouts since the first began, 0.75 since progress
    await asyncio.sleep(TIMEOUT * 0.75)
    assert calls == [None]


async def test_cancel_stops_watching() -> None:
    calls: list[None] = []
    watchdog = SendWatchdog(TIMEOUT, lambda: calls.append(None))
    watchdog.started()
    watchdog.cancel()
    await asyncio.sleep(TIMEOUT * 2)
    assert calls == []
