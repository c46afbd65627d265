"""An in-memory channel layer whose cost per message does not grow with the channels.

Channels' own ``InMemoryChannelLayer`` scans every channel and every group
membership for expired entries on each ``receive`` and ``group_send``. This
package gives each GraphQL operation its own channel, so with 10,000
subscriptions in one process every delivered message paid for 10,000 channels:
one group message to 10,000 subscribers took about a minute.

:class:`LocalChannelLayer` has the same interface and behaviour (per-channel
capacity and ``ChannelFull``, message expiry, group expiry, a channel whose
message expired leaves its groups, ``flush``) but does its expiry work lazily:
``send`` and ``receive`` touch one channel, ``group_send`` touches the group's
members, and a full sweep of expired entries runs at most once a second.
It is the recommended in-memory backend (one process, development, tests)::

    CHANNEL_LAYERS = {"default": {"BACKEND": "strawberry_channels.layers.LocalChannelLayer"}}

It subclasses ``channels.layers.InMemoryChannelLayer``, so code that checks for
the in-memory layer (or reads its ``channels`` and ``groups`` mappings) keeps
working.

One extension: :meth:`LocalChannelLayer.attach` hands a channel's messages to a
callable as they are sent. The consumers use it for their operations' channels,
so that on this layer no task per subscription waits in ``receive``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import string
import time
from collections import deque
from collections.abc import Callable
from copy import deepcopy
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

__all__ = ["LocalChannelLayer"]

logger = logging.getLogger("strawberry_channels")

#: Seconds between two full sweeps of expired messages and memberships.
SWEEP_INTERVAL = 1.0
#: Channels ``group_send`` wakes before it lets the event loop run other work.
GROUP_SEND_BATCH = 50


class _Channel:
    """The messages waiting on one channel and the receivers waiting for them."""

    __slots__ = ("capacity", "messages", "waiters")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.messages: deque[tuple[float, dict[str, Any]]] = deque()
        self.waiters: deque[asyncio.Future[None]] = deque()

    def wake_one(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def empty(self) -> bool:
        return not self.messages

    def qsize(self) -> int:
        return len(self.messages)


class LocalChannelLayer(InMemoryChannelLayer):
    """In-memory channel layer for one process, with O(1) ``send`` and ``receive``.

    Args:
        expiry: seconds a message waits on a channel before it is dropped (a
            channel whose message expired is removed from its groups).
        group_expiry: seconds a group membership lasts.
        capacity: messages a channel holds before ``send`` raises
            ``ChannelFull`` (``group_send`` skips full channels).
        channel_capacity: per-channel-pattern capacities, as for every
            Channels layer.
        **kwargs: passed to ``channels.layers.BaseChannelLayer``.
    """

    channels: dict[str, _Channel]  # type: ignore[assignment]
    groups: dict[str, dict[str, float]]

    def __init__(
        self,
        expiry: int = 60,
        group_expiry: int = 86400,
        capacity: int = 100,
        channel_capacity: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            expiry=expiry,
            group_expiry=group_expiry,
            capacity=capacity,
            channel_capacity=channel_capacity,
            **kwargs,
        )
        self.channels = {}
        self.groups = {}
        # channel -> the groups it is in, to leave them when it expires.
        self._memberships: dict[str, set[str]] = {}
        # channel -> the callable its messages are handed to (see attach()).
        self._sinks: dict[str, Callable[[dict[str, Any]], None]] = {}
        self._next_sweep = 0.0

    def _channel(self, name: str) -> _Channel:
        channel = self.channels.get(name)
        if channel is None:
            channel = self.channels[name] = _Channel(self.get_capacity(name))
        return channel

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        """Put ``message`` on ``channel``; raises ``ChannelFull`` at capacity."""
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        assert "__asgi_channel__" not in message
        self._put(channel, message, time.time())

    def _put(self, name: str, message: dict[str, Any], now: float) -> None:
        sink = self._sinks.get(name)
        if sink is not None:
            _hand_over(sink, name, deepcopy(message))
            return
        queue = self._channel(name)
        self._drop_expired(name, queue, now)
        if len(queue.messages) >= queue.capacity:
            raise ChannelFull(name)
        queue.messages.append((now + self.expiry, deepcopy(message)))
        queue.wake_one()

    async def receive(self, channel: str) -> dict[str, Any]:
        """The next message on ``channel``, waiting for one if there is none."""
        self.require_valid_channel_name(channel)
        self._maybe_sweep()
        queue = self._channel(channel)
        try:
            while True:
                self._drop_expired(channel, queue, time.time())
                if queue.messages:
                    return queue.messages.popleft()[1]
                waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                queue.waiters.append(waiter)
                try:
                    await waiter
                except asyncio.CancelledError:
                    if waiter.done() and not waiter.cancelled():
                        queue.wake_one()  # pass the wake-up on
                    raise
                finally:
                    if waiter in queue.waiters:
                        queue.waiters.remove(waiter)
        finally:
            if not queue.messages and not queue.waiters and self.channels.get(channel) is queue:
                del self.channels[channel]

    async def new_channel(self, prefix: str = "specific.") -> str:
        """A new channel name, unique in this process."""
        suffix = "".join(random.choices(string.ascii_letters, k=12))
        return f"{prefix}.inmemory!{suffix}"

    # -- direct delivery ---------------------------------------------------------
    def attach(self, channel: str, sink: Callable[[dict[str, Any]], None]) -> None:
        """Hand ``channel``'s messages to ``sink`` as they are sent, instead of queueing them.

        For a channel that only its owner reads, in this process: a message
        sent to it (directly or through a group) is copied and passed to
        ``sink`` at once, so no task has to wait in :meth:`receive` for it.
        Messages already waiting are handed over first, in order. The
        channel's capacity and message expiry do not apply (the sink holds
        or drops what it is given). ``sink`` must not block or raise (an
        exception is logged and the message lost).
        Until :meth:`detach`, :meth:`receive` on the channel waits for nothing.
        """
        self.require_valid_channel_name(channel)
        self._sinks[channel] = sink
        queue = self.channels.pop(channel, None)
        if queue is not None:
            self._drop_expired(channel, queue, time.time())
            for _, message in queue.messages:
                _hand_over(sink, channel, message)

    def detach(self, channel: str) -> None:
        """Queue ``channel``'s messages again (undo :meth:`attach`)."""
        self._sinks.pop(channel, None)

    # -- expiry ----------------------------------------------------------------
    def _drop_expired(self, name: str, queue: _Channel, now: float) -> None:
        messages = queue.messages
        if messages and messages[0][0] < now:
            while messages and messages[0][0] < now:
                messages.popleft()
            self._remove_from_groups(name)

    def _maybe_sweep(self) -> None:
        now = time.time()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_INTERVAL
        for name, queue in list(self.channels.items()):
            self._drop_expired(name, queue, now)
            if not queue.messages and not queue.waiters:
                self.channels.pop(name, None)
        oldest = now - self.group_expiry
        for group, members in list(self.groups.items()):
            for channel, joined in list(members.items()):
                if joined and joined < oldest:
                    self._leave(group, channel)

    def _clean_expired(self) -> None:
        self._next_sweep = 0.0
        self._maybe_sweep()

    def _remove_from_groups(self, channel: str) -> None:
        for group in list(self._memberships.get(channel, ())):
            self._leave(group, channel)

    def _leave(self, group: str, channel: str) -> None:
        members = self.groups.get(group)
        if members is not None:
            members.pop(channel, None)
            if not members:
                del self.groups[group]
        joined = self._memberships.get(channel)
        if joined is not None:
            joined.discard(group)
            if not joined:
                del self._memberships[channel]

    # -- flush extension -------------------------------------------------------
    async def flush(self) -> None:
        """Drop every message and membership."""
        for queue in self.channels.values():
            for waiter in queue.waiters:
                if not waiter.done():
                    waiter.cancel()
        self.channels = {}
        self.groups = {}
        self._memberships = {}
        self._sinks = {}

    # -- groups extension ------------------------------------------------------
    async def group_add(self, group: str, channel: str) -> None:
        """Add ``channel`` to ``group`` (for ``group_expiry`` seconds)."""
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        self.groups.setdefault(group, {})[channel] = time.time()
        self._memberships.setdefault(channel, set()).add(group)

    async def group_discard(self, group: str, channel: str) -> None:
        """Remove ``channel`` from ``group``."""
        self.require_valid_channel_name(channel)
        self.require_valid_group_name(group)
        self._leave(group, channel)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        """Send ``message`` to every channel in ``group``; full channels are skipped."""
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._maybe_sweep()
        members = self.groups.get(group)
        if not members:
            return
        now = time.time()
        oldest = now - self.group_expiry
        for count, (channel, joined) in enumerate(list(members.items()), 1):
            if joined and joined < oldest:
                self._leave(group, channel)
                continue
            with contextlib.suppress(ChannelFull):
                self._put(channel, message, now)
            if count % GROUP_SEND_BATCH == 0:
                # Let the receivers woken so far (and every other client) run
                # before waking the next batch: one big group does not stall
                # the event loop.
                await asyncio.sleep(0)


def _hand_over(
    sink: Callable[[dict[str, Any]], None], channel: str, message: dict[str, Any]
) -> None:
    try:
        sink(message)
    except Exception:
        logger.exception("Delivering a message to channel %s failed", channel)
