"""One open ``listen_to_channel`` block: :class:`ChannelListener`.

A listener is an async iterator over the channel-layer messages of one type
that reach one channel (an operation's, or the consumer's own). Its channel's
reader pushes messages into the listener's bounded buffer; when a slow client
lets the buffer overflow, the oldest message is dropped and counted. See
:mod:`strawberry_channels.base` for the whole picture.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, Any

from .cleanup import FAIR_SHARE

if TYPE_CHECKING:
    from .operation_channel import _ChannelState

__all__ = ["DEFAULT_LISTENER_BUFFER_SIZE", "ChannelListener"]

logger = logging.getLogger("strawberry_channels")

#: Messages a listener buffers before it starts dropping the oldest ones.
DEFAULT_LISTENER_BUFFER_SIZE = 1000

_DROP_WARNING_EVERY = 1000


class ChannelListener:
    """One open :meth:`ChannelsConsumer.listen_to_channel` block.

    An async iterator of the channel-layer messages of one type. Iteration ends
    when the block is left, or when ``timeout`` seconds pass without a message.
    """

    __slots__ = (
        "_buffer",
        "_closed",
        "_error",
        "_state",
        "_streak",
        "_waiter",
        "dropped",
        "groups",
        "timeout",
        "type",
    )

    def __init__(
        self, state: _ChannelState, type: str, timeout: float | None, buffer_size: int
    ) -> None:
        self._state = state
        self.type = type
        self.timeout = timeout
        self._buffer: deque[dict[str, Any]] = deque(maxlen=max(1, buffer_size))
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._error: BaseException | None = None
        self._streak = 0
        #: Messages this listener dropped because its buffer was full.
        self.dropped = 0
        #: The groups this listener joined (its ``groups`` argument).
        self.groups: tuple[str, ...] = ()

    @property
    def buffered(self) -> int:
        """How many messages are waiting to be read."""
        return len(self._buffer)

    def _push(self, message: dict[str, Any]) -> None:
        buffer = self._buffer
        if len(buffer) == buffer.maxlen:
            self._dropped_one()
        buffer.append(message)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _dropped_one(self) -> None:
        self.dropped += 1
        consumer = self._state.consumer
        consumer._count_dropped()
        if self.dropped == 1 or self.dropped % _DROP_WARNING_EVERY == 0:
            logger.warning(
                "Listener for %r messages on %s is full (%d buffered): dropped the "
                "oldest message (%d dropped so far). The client reads too slowly.",
                self.type,
                self._state.name,
                self._buffer.maxlen,
                self.dropped,
            )

    def _close(self, error: BaseException | None = None) -> None:
        self._closed = True
        if error is not None:
            self._error = error
        else:
            self._buffer.clear()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> ChannelListener:
        return self

    async def __anext__(self) -> dict[str, Any]:
        buffer = self._buffer
        if buffer:
            # A listener with a backlog yields now and then: see cleanup.FAIR_SHARE.
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
