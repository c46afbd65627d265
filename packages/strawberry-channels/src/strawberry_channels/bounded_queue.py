"""A bounded, drop-oldest async queue: :class:`BoundedQueue`.

Listeners (:class:`~strawberry_channels.listener.ChannelListener`) and the
subscribers of a shared execution
(:class:`~strawberry_channels.shared_subscriptions.SharedSubscriber`) are both
one: a producer pushes items without ever waiting, a single reader takes them
in order, and when the reader falls behind by a whole buffer the oldest item
is dropped and counted, so a slow reader costs a bounded amount of memory and
never stalls the producer.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

from .cleanup import FAIR_SHARE

__all__ = ["BoundedQueue"]

T = TypeVar("T")


class BoundedQueue(Generic[T]):
    """An async iterator over pushed items, holding at most ``buffer_size`` of them.

    Iteration ends after :meth:`_end` (once the buffer is drained, or at once
    with ``discard``), raises the error given to :meth:`_end` after the
    buffered items, and ends when ``timeout`` seconds pass without an item.
    Subclasses say what a dropped item means in :meth:`_on_drop`.
    """

    __slots__ = ("_buffer", "_closed", "_error", "_streak", "_waiter", "dropped", "timeout")

    def __init__(self, buffer_size: int, timeout: float | None = None) -> None:
        self.timeout = timeout
        self._buffer: deque[T] = deque(maxlen=max(1, buffer_size))
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._error: BaseException | None = None
        self._streak = 0
        #: Items dropped because the buffer was full.
        self.dropped = 0

    @property
    def buffered(self) -> int:
        """How many items are waiting to be read."""
        return len(self._buffer)

    def _push(self, item: T) -> None:
        buffer = self._buffer
        if len(buffer) == buffer.maxlen:
            self.dropped += 1
            self._on_drop()
        buffer.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _on_drop(self) -> None:
        """Called after the oldest item was dropped (``dropped`` counts it)."""

    def _end(self, error: BaseException | None = None, *, discard: bool = False) -> None:
        """No more items: iteration ends once the buffer is drained (raising
        ``error`` if given), or at once with ``discard``."""
        self._closed = True
        if error is not None:
            self._error = error
        if discard:
            self._buffer.clear()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> BoundedQueue[T]:
        return self

    async def __anext__(self) -> T:
        buffer = self._buffer
        if buffer:
            # A reader with a backlog yields now and then: see cleanup.FAIR_SHARE.
            self._streak += 1
            if self._streak < FAIR_SHARE:
                return buffer.popleft()
            self._streak = 0
            await asyncio.sleep(0)
            if buffer:
                return buffer.popleft()
        if self._error is not None:
            raise self._error
        if self._closed:
            raise StopAsyncIteration
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiter = waiter
        handle = (
            loop.call_later(self.timeout, _expire, waiter) if self.timeout is not None else None
        )
        try:
            await waiter
        finally:
            self._waiter = None
            if handle is not None:
                handle.cancel()
        if buffer:
            return buffer.popleft()
        if self._error is not None:
            raise self._error
        raise StopAsyncIteration


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
