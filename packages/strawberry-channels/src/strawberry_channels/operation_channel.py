"""The channel machinery of one GraphQL operation (or of a consumer's own channel).

* :class:`OperationScope` (``consumer.operation_scope()``) gives an operation
  a channel of its own for as long as it runs;
* ``_ChannelState`` keeps that channel's listeners, the groups it joined and
  the task that reads it, and cleans all of it up when the operation ends;
* ``_ScopedChannelLayer`` is the channel layer as the operation's resolvers
  see it (``consumer.channel_layer`` inside the scope): it remembers the
  groups joined by hand, so they are left at the end.

The consumer's message loop is in :mod:`strawberry_channels.base`; the
listener in :mod:`strawberry_channels.listener`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import weakref
from collections import deque
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from channels.layers import BaseChannelLayer, InMemoryChannelLayer
from graphql import GraphQLError

from ._compat import cancelling
from .cleanup import group_call, settle_all
from .layers import LocalChannelLayer
from .listener import DROP_WARNING_EVERY, ChannelListener

if TYPE_CHECKING:
    from .base import ChannelsConsumer

__all__ = [
    "UNSUBSCRIBE_MESSAGE_TYPE",
    "ChannelLayerMissingError",
    "ChannelLayerUnavailableError",
    "OperationScope",
]

#: The channel-layer message type that ends the listeners of a group: sent by
#: :func:`strawberry_channels.unsubscribe` as ``{"type": ..., "group": name}``.
UNSUBSCRIBE_MESSAGE_TYPE = "strawberry_channels.unsubscribe"

logger = logging.getLogger("strawberry_channels")


class ChannelLayerMissingError(RuntimeError):
    """Raised when a channel-layer feature is used but no layer is configured."""

    def __init__(self, alias: str) -> None:
        super().__init__(
            f"No channel layer is configured for alias {alias!r}: set CHANNEL_LAYERS in "
            "your Django settings (for example "
            "{'default': {'BACKEND': 'channels.layers.InMemoryChannelLayer'}}) to use "
            "channel_name, listen_to_channel or groups."
        )
        self.alias = alias


class ChannelLayerUnavailableError(GraphQLError):
    """Raised by a listener whose channel layer failed (its broker went away).

    Raised from the ``async for`` over a listener when reading its channel
    fails, and from ``listen_to_channel`` when joining its groups fails. A
    subscription that lets it propagate ends with a GraphQL error whose
    ``extensions.code`` is ``"CHANNEL_LAYER_UNAVAILABLE"``: the client should
    subscribe again (after a back-off); the socket stays open. The message
    names no host or port; the original error is kept as :attr:`cause` and
    logged server-side.
    """

    def __init__(self, cause: BaseException) -> None:
        super().__init__(
            "The channel layer is unavailable; subscribe again later",
            extensions={"code": "CHANNEL_LAYER_UNAVAILABLE"},
        )
        self.cause = cause


# The channel state of the operation running in the current context (task),
# held weakly: a context outlives its operation wherever something captured it
# (a pooled Redis connection opened during the operation keeps the context of
# its creation), and must not keep the operation's state and consumer alive.
_current_channel: contextvars.ContextVar[weakref.ReferenceType[_ChannelState] | None] = (
    contextvars.ContextVar("strawberry_channels_operation_channel", default=None)
)


def current_channel_state() -> _ChannelState | None:
    """The channel state of the operation running in the current context, if any."""
    ref = _current_channel.get()
    return ref() if ref is not None else None


def _is_read_timeout(error: BaseException) -> bool:
    # redis-py's TimeoutError is not the built-in one either.
    return any(cls.__name__ == "TimeoutError" for cls in type(error).__mro__)


def _is_connection_error(error: BaseException) -> bool:
    # The layers' own connection errors (redis-py's, for one) are not the
    # built-in ConnectionError, but share its name.
    return isinstance(error, ConnectionError) or any(
        cls.__name__ == "ConnectionError" for cls in type(error).__mro__
    )


class _ChannelState:
    """Listeners, joined groups and reader of one channel (operation or consumer)."""

    __slots__ = (
        "__weakref__",
        "_proxy",
        "attached",
        "closed",
        "consumer",
        "groups",
        "is_operation",
        "layer",
        "listeners",
        "manual_groups",
        "name",
        "pending",
        "pending_dropped",
        "pump",
        "refresher",
        "renewal",
    )

    def __init__(
        self,
        consumer: ChannelsConsumer,
        layer: BaseChannelLayer,
        name: str,
        *,
        is_operation: bool,
    ) -> None:
        self.consumer = consumer
        self.layer = layer
        self.name = name
        self.is_operation = is_operation
        self.listeners: dict[str, list[ChannelListener]] = {}
        # Messages read for a type no listener waited for (operation channels only).
        self.pending: dict[str, deque[dict[str, Any]]] = {}
        self.pending_dropped = 0  # logged like a full listener: first, then every Nth
        # group name -> number of holders (listeners, plus one for a join by hand).
        self.groups: dict[str, int] = {}
        self.manual_groups: set[str] = set()
        self.pump: asyncio.Task[None] | None = None
        # On LocalChannelLayer the layer hands the messages over itself (no
        # reader task, no wait per message): see LocalChannelLayer.attach().
        self.attached = False
        # Re-joins the groups before the layer's group_expiry drops them: a timer
        # while it waits (a handle costs far less than a sleeping task, and an
        # operation holds one for its whole life), a task while it renews.
        self.renewal: asyncio.TimerHandle | None = None
        self.refresher: asyncio.Task[None] | None = None
        self.closed = False
        self._proxy: _ScopedChannelLayer | None = None

    # -- listeners ---------------------------------------------------------
    def add_listener(self, listener: ChannelListener) -> None:
        self.listeners.setdefault(listener.type, []).append(listener)
        waiting = self.pending.pop(listener.type, None)
        if waiting:
            for message in waiting:
                listener._push(message)
        if not self.is_operation or self.pump is not None or self.attached:
            return
        layer = self.layer
        if isinstance(layer, LocalChannelLayer):
            self.attached = True
            layer.attach(self.name, self._receive)
        else:
            self.pump = asyncio.get_running_loop().create_task(
                self._read(), name=f"strawberry-channels reader {self.name}"
            )

    def remove_listener(self, listener: ChannelListener) -> asyncio.Task[None] | None:
        """Unregister; returns the reader task to wait for if it was stopped."""
        same_type = self.listeners.get(listener.type)
        if same_type is not None:
            with contextlib.suppress(ValueError):
                same_type.remove(listener)
            if not same_type:
                del self.listeners[listener.type]
        listener._close()
        if self.attached and not self.listeners:
            self._detach()
        pump = self.pump
        if pump is not None and not self.listeners:
            self.pump = None
            pump.cancel()
            return pump
        return None

    def _detach(self) -> None:
        self.attached = False
        layer = self.layer
        if isinstance(layer, LocalChannelLayer):
            layer.detach(self.name)

    def _receive(self, message: dict[str, Any]) -> None:
        """A message of this channel, handed over by the layer."""
        if not self.deliver(message):
            self.stash(message)

    def deliver(self, message: dict[str, Any]) -> bool:
        """Hand ``message`` to the listeners of its type; False if there is none."""
        type_ = message.get("type")
        if type_ == UNSUBSCRIBE_MESSAGE_TYPE:
            self.unsubscribe(message.get("group"))
            return True
        listeners = self.listeners.get(type_)  # type: ignore[arg-type]
        if listeners:
            if len(listeners) == 1:
                listeners[0]._push(message)
            else:
                for listener in listeners:
                    listener._push(message)
            return True
        return False

    def unsubscribe(self, group: Any) -> None:
        """End the listeners that joined ``group``, as if their block had ended.

        On an operation's channel the message only arrives because that
        channel is in the group, so when no listener joined it (the group was
        joined by hand) every listener of the operation ends.
        """
        everyone = [listener for same in self.listeners.values() for listener in same]
        ending = [listener for listener in everyone if group in listener.groups]
        if not ending and self.is_operation:
            ending = everyone
        for listener in ending:
            listener._close()

    def stash(self, message: dict[str, Any]) -> None:
        type_ = message.get("type")
        if not isinstance(type_, str):
            logger.debug("Dropped a channel-layer message without a type on %s", self.name)
            return
        waiting = self.pending.get(type_)
        if waiting is None:
            waiting = self.pending[type_] = deque(maxlen=self.consumer.listener_buffer_size)
        elif len(waiting) == waiting.maxlen:
            self.consumer._count_dropped()
            self.pending_dropped += 1
            if self.pending_dropped == 1 or self.pending_dropped % DROP_WARNING_EVERY == 0:
                logger.warning(
                    "No listener reads %r messages on %s: dropped the oldest waiting one "
                    "(%d dropped so far).",
                    type_,
                    self.name,
                    self.pending_dropped,
                )
        waiting.append(message)

    async def _read(self) -> None:
        receive = self.layer.receive
        name = self.name
        # A failed read is tried once more at once when the connection failed: a
        # pooled connection that went stale while the broker restarted fails
        # once, then reconnects; a broker that is down fails twice.
        retried = False
        while True:
            try:
                message = await receive(name)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                task = asyncio.current_task()
                if task is not None and (cancelling(task) or self.pump is not task):
                    # redis-py reports a cancelled read as its TimeoutError, and
                    # may even have uncancelled the task by then: a reader that
                    # is no longer this channel's was stopped, it did not fail.
                    raise asyncio.CancelledError from error
                if _is_read_timeout(error):
                    # A blocking read that outlived the client's socket timeout:
                    # redis-py 8.1 gives every read 5 s by default, as long as
                    # channels_redis's blocking pop waits, so an idle channel's
                    # read may time out before Redis answers "nothing yet".
                    # Nothing failed: read again.
                    continue
                if not retried and _is_connection_error(error):
                    retried = True
                    continue
                logger.warning("Reading channel %s failed: %r", name, error)
                failure = ChannelLayerUnavailableError(error)
                for listeners in self.listeners.values():
                    for listener in listeners:
                        listener._close(failure)
                return
            retried = False
            if not self.deliver(message):
                self.stash(message)

    # -- groups ------------------------------------------------------------
    async def join(self, group: str) -> None:
        count = self.groups.get(group, 0)
        if count == 0:
            await group_call(self.layer, self.layer.group_add, group, self.name)
        self.groups[group] = self.groups.get(group, 0) + 1
        if self.renewal is None and self.refresher is None and not self.closed:
            expiry = getattr(self.layer, "group_expiry", None)
            if isinstance(expiry, (int, float)) and expiry > 0:
                self._schedule_renewal(expiry / 2)

    def _schedule_renewal(self, interval: float) -> None:
        self.renewal = asyncio.get_running_loop().call_later(
            interval, self._start_renewal, interval
        )

    def _start_renewal(self, interval: float) -> None:
        self.renewal = None
        if not self.closed:
            self.refresher = asyncio.get_running_loop().create_task(
                self._refresh(interval), name=f"strawberry-channels groups {self.name}"
            )

    async def _refresh(self, interval: float) -> None:
        """Join the held groups again; the next renewal is due ``interval`` seconds later.

        Layers with a ``group_expiry`` (``RedisChannelLayer``, the in-memory
        layers) drop a membership that old even while its channel is read;
        joining again renews it, so a subscription may outlive the expiry.
        """
        try:
            for group in list(self.groups):
                if group not in self.groups:
                    continue
                try:
                    await group_call(self.layer, self.layer.group_add, group, self.name)
                    if group not in self.groups:  # left while it was renewed
                        await group_call(self.layer, self.layer.group_discard, group, self.name)
                except Exception as error:
                    logger.warning("Renewing group %r failed: %r", group, error)
        finally:
            if self.refresher is asyncio.current_task():
                self.refresher = None
                if not self.closed:
                    self._schedule_renewal(interval)

    def release(self, groups: Sequence[str]) -> list[str]:
        """Drop one hold on each group; return the groups nobody holds any more."""
        to_leave = []
        for group in groups:
            count = self.groups.get(group, 0) - 1
            if count <= 0:
                if self.groups.pop(group, None) is not None:
                    to_leave.append(group)
            else:
                self.groups[group] = count
        return to_leave

    async def leave(self, groups: Sequence[str]) -> None:
        for group in groups:
            try:
                await group_call(self.layer, self.layer.group_discard, group, self.name)
            except Exception as error:
                logger.warning("Leaving group %r failed: %r", group, error)

    def proxy(self) -> _ScopedChannelLayer:
        if self._proxy is None:
            self._proxy = _ScopedChannelLayer(self)
        return self._proxy

    async def close(self) -> None:
        """End of the operation: stop reading, drop buffers, leave every group."""
        self.closed = True
        if self.attached:
            self._detach()
        pump, self.pump = self.pump, None
        if pump is not None:
            pump.cancel()
        renewal, self.renewal = self.renewal, None
        if renewal is not None:
            renewal.cancel()
        refresher, self.refresher = self.refresher, None
        if refresher is not None:
            refresher.cancel()
        for listeners in self.listeners.values():
            for listener in listeners:
                listener._close()
        self.listeners.clear()
        self.pending.clear()
        groups = list(self.groups)
        self.groups.clear()
        self.manual_groups.clear()
        try:
            # A renewal in flight lands before the groups are left.
            await settle_all([refresher] if refresher is not None else [])
        finally:
            pending: list[asyncio.Future[Any]] = [pump] if pump is not None else []
            if groups:
                pending.append(asyncio.ensure_future(self.leave(groups)))
            try:
                await settle_all(pending)
            finally:
                # The in-memory layer keeps a queue per channel until its messages
                # expire; nothing will read this channel again.
                if isinstance(self.layer, InMemoryChannelLayer):
                    self.layer.channels.pop(self.name, None)


class _ScopedChannelLayer:
    """The channel layer as seen from inside an operation.

    Forwards everything to the real layer, and remembers the groups the
    operation's channel joins by hand so they are left when the operation ends.
    """

    def __init__(self, state: _ChannelState) -> None:
        self._state = state
        self._layer = state.layer

    async def group_add(self, group: str, channel: str) -> None:
        state = self._state
        if channel != state.name or state.closed:
            await self._layer.group_add(group, channel)
            return
        if group not in state.manual_groups:
            await state.join(group)
            state.manual_groups.add(group)
        else:
            await self._layer.group_add(group, channel)

    async def group_discard(self, group: str, channel: str) -> None:
        state = self._state
        if channel == state.name:
            state.manual_groups.discard(group)
            state.groups.pop(group, None)
        await self._layer.group_discard(group, channel)

    @property
    def wrapped(self) -> BaseChannelLayer:
        """The real channel layer."""
        return self._layer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._layer, name)

    def __repr__(self) -> str:
        return f"<operation view of {self._layer!r} for {self._state.name}>"


class OperationScope:
    """Async context manager returned by :meth:`ChannelsConsumer.operation_scope`.

    Entered, it gives the operation its own channel (``channel_name`` inside the
    block names it); left, it leaves every group that channel joined, stops its
    readers and drops its buffers.
    """

    __slots__ = ("_state", "_token", "consumer")

    def __init__(self, consumer: ChannelsConsumer) -> None:
        self.consumer = consumer
        self._state: _ChannelState | None = None
        self._token: contextvars.Token[weakref.ReferenceType[_ChannelState] | None] | None = None

    @property
    def channel_name(self) -> str | None:
        """The operation's channel (``None`` without a channel layer)."""
        return self._state.name if self._state is not None else None

    async def __aenter__(self) -> OperationScope:
        """Open the operation's channel.

        Raises:
            ChannelLayerUnavailableError: the channel layer failed to make one.
        """
        layer = self.consumer._layer
        if layer is not None:
            try:
                name = await layer.new_channel()
            except Exception as error:
                raise ChannelLayerUnavailableError(error) from None
            self._state = _ChannelState(self.consumer, layer, name, is_operation=True)
        else:
            self._state = None
        self._token = _current_channel.set(
            weakref.ref(self._state) if self._state is not None else None
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        token, self._token = self._token, None
        if token is not None:
            try:
                _current_channel.reset(token)
            except ValueError:  # left from another context
                _current_channel.set(None)
        state, self._state = self._state, None
        if state is not None:
            await state.close()
