"""One open ``listen_to_channel`` block: :class:`ChannelListener`.

A listener is an async iterator over the channel-layer messages of one type
that reach one channel (an operation's, or the consumer's own). Its channel's
reader pushes messages into the listener's bounded buffer; when a slow client
lets the buffer overflow, the oldest message is dropped and counted. See
:mod:`strawberry_channels.base` for the whole picture.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .bounded_queue import BoundedQueue

if TYPE_CHECKING:
    from .operation_channel import _ChannelState

__all__ = ["DEFAULT_LISTENER_BUFFER_SIZE", "DROP_WARNING_EVERY", "ChannelListener"]

logger = logging.getLogger("strawberry_channels")

#: Messages a listener buffers before it starts dropping the oldest ones.
DEFAULT_LISTENER_BUFFER_SIZE = 1000

#: A full buffer is logged at its first drop, then once every this many drops.
DROP_WARNING_EVERY = 1000


class ChannelListener(BoundedQueue[dict[str, Any]]):
    """One open :meth:`ChannelsConsumer.listen_to_channel` block.

    An async iterator of the channel-layer messages of one type. Iteration ends
    when the block is left, or when ``timeout`` seconds pass without a message.
    """

    __slots__ = ("_state", "groups", "type")

    def __init__(
        self, state: _ChannelState, type: str, timeout: float | None, buffer_size: int
    ) -> None:
        super().__init__(buffer_size, timeout)
        self._state = state
        self.type = type
        #: The groups this listener joined (its ``groups`` argument).
        self.groups: tuple[str, ...] = ()

    def _on_drop(self) -> None:
        self._state.consumer._count_dropped()
        if self.dropped == 1 or self.dropped % DROP_WARNING_EVERY == 0:
            logger.warning(
                "Listener for %r messages on %s is full (%d buffered): dropped the "
                "oldest message (%d dropped so far). The client reads too slowly.",
                self.type,
                self._state.name,
                self._buffer.maxlen,
                self.dropped,
            )

    def _close(self, error: BaseException | None = None) -> None:
        # The block was left (drop what is buffered) or the channel failed.
        self._end(error, discard=error is None)
