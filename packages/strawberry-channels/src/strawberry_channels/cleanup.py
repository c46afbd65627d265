"""Cleanup that cancellation cannot cut short, and group calls a pool can bear.

Two ways a group membership used to outlive its operation:

* the listener's exit waited for its reader task and then left its groups; a
  second cancellation arriving while it waited (the socket closed by the
  server, then the disconnect) was re-raised before the groups were left.
  :func:`settle_all` starts every step first and waits for all of them, and
  only then re-raises the cancellation.
* on Redis, a burst of ``group_add``/``group_discard`` calls (hundreds of
  operations ending together) exhausts redis-py's connection pool, and the
  calls fail with "Too many connections". :func:`group_call` bounds the calls
  in flight per channel layer and retries the ones refused for want of a
  connection.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

__all__ = ["FAIR_SHARE", "GROUP_CALL_CONCURRENCY", "GROUP_CALL_RETRIES", "group_call", "settle_all"]

logger = logging.getLogger("strawberry_channels")

#: Group calls (``group_add``/``group_discard``) in flight at once per channel
#: layer and event loop; redis-py's default pool holds 100 connections.
GROUP_CALL_CONCURRENCY = 32
#: Buffered messages a listener hands out in a row before it lets the event
#: loop run other tasks: without it, a subscription catching up on a backlog
#: sends it all in one step and a thousand such subscriptions stall every
#: other client for seconds.
FAIR_SHARE = 16
#: Attempts at a group call refused for want of a pool connection.
GROUP_CALL_RETRIES = 5

_slots: weakref.WeakKeyDictionary[Any, dict[asyncio.AbstractEventLoop, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


async def settle_all(futures: Iterable[asyncio.Future[Any]]) -> None:
    """Wait until every future is done, even if this task is cancelled meanwhile.

    A cancellation received while waiting is re-raised once all are done;
    failures of the futures are logged, not raised.
    """
    cancelled = False
    for future in futures:
        while not future.done():
            try:
                await asyncio.wait((future,))
            except asyncio.CancelledError:
                cancelled = True
        if not future.cancelled() and (error := future.exception()) is not None:
            logger.warning("Channel cleanup failed: %r", error)
    if cancelled:
        raise asyncio.CancelledError


def _slot(layer: Any) -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    try:
        per_loop = _slots[layer]
    except TypeError:  # a layer that cannot be weakly referenced: no bound
        return asyncio.Semaphore(GROUP_CALL_CONCURRENCY)
    except KeyError:
        per_loop = _slots[layer] = {}
    semaphore = per_loop.get(loop)
    if semaphore is None:
        for closed in [other for other in per_loop if other.is_closed()]:
            del per_loop[closed]
        semaphore = per_loop[loop] = asyncio.Semaphore(GROUP_CALL_CONCURRENCY)
    return semaphore


def _pool_exhausted(error: BaseException) -> bool:
    return type(error).__name__ == "MaxConnectionsError" or "Too many connections" in str(error)


async def group_call(
    layer: Any, call: Callable[[str, str], Awaitable[None]], group: str, channel: str
) -> None:
    """``await call(group, channel)`` with at most :data:`GROUP_CALL_CONCURRENCY`
    such calls in flight on ``layer``, retried while the pool is exhausted."""
    async with _slot(layer):
        for attempt in range(GROUP_CALL_RETRIES):
            try:
                await call(group, channel)
                return
            except Exception as error:
                if not _pool_exhausted(error) or attempt == GROUP_CALL_RETRIES - 1:
                    raise
            await asyncio.sleep(0.02 * 2**attempt)
