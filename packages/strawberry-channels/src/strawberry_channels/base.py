"""The Channels consumer every GraphQL transport builds on.

:class:`ChannelsConsumer` is a Channels ``AsyncConsumer`` that adds
:meth:`~ChannelsConsumer.listen_to_channel` (channel-layer messages as an async
iterator) and :meth:`~ChannelsConsumer.operation_scope` (one channel per
GraphQL operation).

Isolation: every operation run inside ``operation_scope()`` gets a channel of
its own from ``channel_layer.new_channel()``. Inside the scope,
``consumer.channel_name`` names that channel and ``consumer.channel_layer``
keeps track of the groups the operation joins, so

* a listener only ever sees messages addressed to its own operation: sibling
  subscriptions on one connection never see each other's groups;
* messages sent to the operation's channel before its listener opens (a welcome
  message sent right after joining a group by hand) wait in the channel layer
  and are read exactly once when the listener starts;
* when the operation ends every group its channel joined is left, its reader
  is stopped and its buffers are dropped.

Buffering: while a listener is open, a reader task drains the operation's
channel into the listener's own bounded buffer
(:attr:`ChannelsConsumer.listener_buffer_size` messages, by default
:data:`DEFAULT_LISTENER_BUFFER_SIZE`). When a slow client lets the buffer
overflow, the oldest message is dropped, a warning is logged and
:attr:`ChannelsConsumer.dropped_messages` is incremented. Messages of a type no
open listener of the operation waits for are kept (in a buffer bounded the same
way) for the next listener of that type in the same operation, so one listener
never swallows another's messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections import deque
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Any, ClassVar

from channels.consumer import AsyncConsumer, get_handler_name
from channels.exceptions import StopConsumer
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer

from .cleanup import FAIR_SHARE, group_call, settle_all

__all__ = [
    "DEFAULT_LISTENER_BUFFER_SIZE",
    "ChannelLayerMissingError",
    "ChannelListener",
    "ChannelsConsumer",
    "OperationScope",
]

logger = logging.getLogger("strawberry_channels")

#: Messages a listener buffers before it starts dropping the oldest ones.
DEFAULT_LISTENER_BUFFER_SIZE = 1000

_DROP_WARNING_EVERY = 1000

# Marks a consumer whose channel layer has not been looked up yet.
_UNRESOLVED: Any = object()


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


# The channel state of the operation running in the current context (task).
_current_channel: contextvars.ContextVar[_ChannelState | None] = contextvars.ContextVar(
    "strawberry_channels_operation_channel", default=None
)


async def _settle(future: asyncio.Future[Any]) -> None:
    """Wait until ``future`` is done, even if this task is cancelled meanwhile.

    A cancellation received while waiting is re-raised once the future is done,
    so cleanup work (leaving groups) is never cut short.
    """
    cancelled = False
    while not future.done():
        try:
            await asyncio.wait((future,))
        except asyncio.CancelledError:
            cancelled = True
    if not future.cancelled() and (error := future.exception()) is not None:
        logger.warning("Channel cleanup failed: %r", error)
    if cancelled:
        raise asyncio.CancelledError


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
        consumer.dropped_messages += 1
        ChannelsConsumer.total_dropped_messages += 1
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


class _ChannelState:
    """Listeners, joined groups and reader of one channel (operation or consumer)."""

    __slots__ = (
        "_proxy",
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
        self.closed = False
        self._proxy: _ScopedChannelLayer | None = None

    # -- listeners ---------------------------------------------------------
    def add_listener(self, listener: ChannelListener) -> None:
        self.listeners.setdefault(listener.type, []).append(listener)
        waiting = self.pending.pop(listener.type, None)
        if waiting:
            for message in waiting:
                listener._push(message)
        if self.is_operation and self.pump is None:
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
        pump = self.pump
        if pump is not None and not self.listeners:
            self.pump = None
            pump.cancel()
            return pump
        return None

    def deliver(self, message: dict[str, Any]) -> bool:
        """Hand ``message`` to the listeners of its type; False if there is none."""
        listeners = self.listeners.get(message.get("type"))  # type: ignore[arg-type]
        if listeners:
            if len(listeners) == 1:
                listeners[0]._push(message)
            else:
                for listener in listeners:
                    listener._push(message)
            return True
        return False

    def stash(self, message: dict[str, Any]) -> None:
        type_ = message.get("type")
        if not isinstance(type_, str):
            logger.debug("Dropped a channel-layer message without a type on %s", self.name)
            return
        waiting = self.pending.get(type_)
        if waiting is None:
            waiting = self.pending[type_] = deque(maxlen=self.consumer.listener_buffer_size)
        elif len(waiting) == waiting.maxlen:
            self.consumer.dropped_messages += 1
            ChannelsConsumer.total_dropped_messages += 1
            self.pending_dropped += 1
            if self.pending_dropped == 1 or self.pending_dropped % _DROP_WARNING_EVERY == 0:
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
        try:
            while True:
                message = await receive(name)
                if not self.deliver(message):
                    self.stash(message)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.error("Reading channel %s failed: %r", name, error)
            for listeners in self.listeners.values():
                for listener in listeners:
                    listener._close(error)

    # -- groups ------------------------------------------------------------
    async def join(self, group: str) -> None:
        count = self.groups.get(group, 0)
        if count == 0:
            await group_call(self.layer, self.layer.group_add, group, self.name)
        self.groups[group] = self.groups.get(group, 0) + 1

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
        pump, self.pump = self.pump, None
        if pump is not None:
            pump.cancel()
        for listeners in self.listeners.values():
            for listener in listeners:
                listener._close()
        self.listeners.clear()
        self.pending.clear()
        groups = list(self.groups)
        self.groups.clear()
        self.manual_groups.clear()
        pending: list[asyncio.Future[Any]] = []
        if pump is not None:
            pending.append(pump)
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
        self._token: contextvars.Token[_ChannelState | None] | None = None

    @property
    def channel_name(self) -> str | None:
        """The operation's channel (``None`` without a channel layer)."""
        return self._state.name if self._state is not None else None

    async def __aenter__(self) -> OperationScope:
        layer = self.consumer._layer
        if layer is not None:
            name = await layer.new_channel()
            self._state = _ChannelState(self.consumer, layer, name, is_operation=True)
        else:
            self._state = None
        self._token = _current_channel.set(self._state)
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


class ChannelsConsumer(AsyncConsumer):
    """A Channels ``AsyncConsumer`` with channel-layer listeners for GraphQL.

    Every GraphQL transport of this package is one. Resolvers reach it through
    ``info.context["ws"]`` (WebSockets) or ``info.context["request"].consumer``
    (HTTP) to join groups and listen for channel-layer messages.

    Differences from a plain ``AsyncConsumer``:

    * the consumer's own channel is read from the moment its name is handed
      out (``channel_name`` outside an operation) or a listener opens outside
      an operation;
    * messages that reach the consumer's own channel go to open listeners of
      their type first, then to a handler method named after their type; a
      message with no handler is logged and ignored, never an error;
    * Django's database connections are not cleaned up before every message:
      code that uses the ORM should do so through
      ``channels.db.database_sync_to_async``, which does;
    * :meth:`operation_scope` gives each GraphQL operation its own channel.

    Args:
        listener_buffer_size: overrides :attr:`listener_buffer_size` (as an
            ``as_asgi()`` keyword argument).
    """

    #: Messages each listener buffers before dropping the oldest.
    listener_buffer_size: int = DEFAULT_LISTENER_BUFFER_SIZE
    #: Messages dropped by listeners of all consumers of this process.
    total_dropped_messages: ClassVar[int] = 0

    scope: dict[str, Any]  # type: ignore[assignment]

    def __init__(self, *args: Any, listener_buffer_size: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if listener_buffer_size is not None:
            if listener_buffer_size < 1:
                raise ValueError("listener_buffer_size must be at least 1")
            self.listener_buffer_size = listener_buffer_size
        #: Messages dropped by this consumer's listeners (buffer overflow).
        self.dropped_messages = 0
        self._layer_value: Any = _UNRESOLVED
        self._channel_name: str | None = None
        self._own_state: _ChannelState | None = None
        self._dispatch_lock = asyncio.Lock()
        self._reader_error: BaseException | None = None
        self._reader: asyncio.Task[None] | None = None
        self._main_task: asyncio.Task[Any] | None = None

    # -- channel layer -----------------------------------------------------
    @property
    def _layer(self) -> BaseChannelLayer | None:
        # Looked up on first use, so a consumer that never needs the layer
        # (a plain query over HTTP) never touches it.
        layer = self._layer_value
        if layer is _UNRESOLVED:
            layer = self._layer_value = get_channel_layer(self.channel_layer_alias)
        return layer  # type: ignore[no-any-return]

    @_layer.setter
    def _layer(self, layer: BaseChannelLayer | None) -> None:
        self._layer_value = layer

    @property
    def channel_layer(self) -> Any:
        """The channel layer, ``None`` when none is configured.

        Inside :meth:`operation_scope` this is a thin view of the layer that
        remembers the groups the operation's channel joins, so that they are
        left when the operation ends.
        """
        state = _current_channel.get()
        if state is not None and state.consumer is self and not state.closed:
            return state.proxy()
        return self._layer

    @channel_layer.setter
    def channel_layer(self, layer: BaseChannelLayer | None) -> None:
        self._layer = layer

    @property
    def channel_name(self) -> str:
        """The channel messages for the current operation should be sent to.

        Inside :meth:`operation_scope` this is the operation's own channel;
        elsewhere, the consumer's channel.

        Raises:
            ChannelLayerMissingError: no channel layer is configured.
            RuntimeError: outside an operation, on a consumer whose message loop
                does not run (it has no channel of its own).
        """
        state = _current_channel.get()
        if state is not None and state.consumer is self:
            return state.name
        if self._channel_name is None:
            if self._layer is None:
                raise ChannelLayerMissingError(self.channel_layer_alias)
            raise RuntimeError(
                f"{type(self).__name__} has no channel of its own outside an operation: "
                "use channel_name inside `async with consumer.operation_scope():`"
            )
        # Someone may now send to the consumer's channel: read it.
        self._ensure_reader()
        return self._channel_name

    @channel_name.setter
    def channel_name(self, name: str) -> None:
        self._channel_name = name

    def operation_scope(self) -> OperationScope:
        """Run one GraphQL operation with a channel of its own.

        Use as ``async with consumer.operation_scope():`` in the task that runs
        the operation. Inside, :attr:`channel_name` names a new channel from
        ``channel_layer.new_channel()`` and :meth:`listen_to_channel` reads it;
        on exit every group that channel joined is left, its reader stops and
        its buffers are dropped. Without a channel layer the scope does nothing.
        """
        return OperationScope(self)

    def _listening_state(self) -> _ChannelState:
        state = _current_channel.get()
        if state is not None and state.consumer is self:
            if state.closed:
                raise RuntimeError("The operation this listener belongs to has ended")
            return state
        layer = self._layer
        if layer is None:
            raise ChannelLayerMissingError(self.channel_layer_alias)
        if self._channel_name is None:
            raise RuntimeError(
                f"{type(self).__name__} has no channel of its own outside an operation: "
                "use listen_to_channel inside `async with consumer.operation_scope():`"
            )
        if self._own_state is None:
            self._own_state = _ChannelState(self, layer, self._channel_name, is_operation=False)
        self._ensure_reader()
        return self._own_state

    @contextlib.asynccontextmanager
    async def listen_to_channel(
        self,
        type: str,
        *,
        timeout: float | None = None,
        groups: Sequence[str] | None = (),
        buffer_size: int | None = None,
    ) -> AsyncIterator[ChannelListener]:
        """Listen for channel-layer messages of one ``type``.

        Joins ``groups`` on entry and yields an async iterator of the messages
        of that type sent to them (with no groups, the messages sent to
        :attr:`channel_name`). Inside an operation only messages addressed to
        that operation's channel are seen.

        Args:
            type: the message ``type`` to receive, e.g. ``"chat.message"``.
            timeout: end the iteration when no message arrives for this many
                seconds (``None``: wait for ever).
            groups: groups to join for as long as the block lasts.
            buffer_size: this listener's buffer (default
                :attr:`listener_buffer_size`); when full the oldest message is
                dropped.

        Leaving the block for any reason (normal exit, error, cancellation)
        leaves the groups and drops the buffer.

        Raises:
            ChannelLayerMissingError: no channel layer is configured.
        """
        state = self._listening_state()
        listener = ChannelListener(state, type, timeout, buffer_size or self.listener_buffer_size)
        held: list[str] = []
        state.add_listener(listener)
        try:
            for group in groups or ():
                await state.join(group)
                held.append(group)
            yield listener
        finally:
            pump = state.remove_listener(listener)
            to_leave = state.release(held)
            if pump is not None or to_leave:
                await self._finish_listener(state, pump, to_leave)

    async def _finish_listener(
        self, state: _ChannelState, pump: asyncio.Task[None] | None, to_leave: list[str]
    ) -> None:
        # Both steps start before either is awaited: a cancellation while the
        # reader stops must not skip leaving the groups.
        pending: list[asyncio.Future[Any]] = [pump] if pump is not None else []
        if to_leave:
            pending.append(asyncio.ensure_future(state.leave(to_leave)))
        await settle_all(pending)

    # -- message loop ------------------------------------------------------
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scope = scope
        self.base_send = send
        layer = self._layer
        self._main_task = asyncio.current_task()
        try:
            if layer is not None:
                self._channel_name = await layer.new_channel()
            await self._receive_loop(receive)
        finally:
            self._main_task = None
            try:
                reader, self._reader = self._reader, None
                if reader is not None:
                    reader.cancel()
                    await _settle(reader)
            finally:
                await self.on_consumer_exit()

    def _ensure_reader(self) -> None:
        """Start reading the consumer's own channel (once, while the consumer runs).

        The channel is only read once its name was handed out (``channel_name``
        outside an operation) or a listener opened outside an operation: GraphQL
        operations use channels of their own, so a consumer nobody addresses
        costs the channel layer nothing.
        """
        main = self._main_task
        if self._reader is not None or main is None or self._layer is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called from a worker thread (sync_to_async code)
            main.get_loop().call_soon_threadsafe(self._ensure_reader)
            return
        self._reader = loop.create_task(
            self._read_own_channel(self._main_task),
            name=f"strawberry-channels consumer {self._channel_name}",
        )

    async def _receive_loop(self, receive: Any) -> None:
        lock = self._dispatch_lock
        try:
            while True:
                message = await receive()
                async with lock:
                    await self.dispatch(message)
        except StopConsumer:
            pass
        except asyncio.CancelledError:
            error = self._reader_error
            if error is None:
                raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            if not isinstance(error, StopConsumer):
                raise error from None

    async def _read_own_channel(self, main: asyncio.Task[Any] | None) -> None:
        layer = self._layer
        name = self._channel_name
        assert layer is not None
        assert name is not None
        try:
            while True:
                message = await layer.receive(name)
                state = self._own_state
                if state is not None and state.deliver(message):
                    continue
                async with self._dispatch_lock:
                    await self.dispatch(message)
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            self._reader_error = error
            if main is not None:
                main.cancel()

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Call the handler method named after ``message["type"]``.

        A message without a usable type, or with no handler, is logged at debug
        level and ignored.
        """
        try:
            handler = getattr(self, get_handler_name(message), None)
        except ValueError:
            handler = None
        if handler is None:
            logger.debug("No handler for message type %r: ignored", message.get("type"))
            return
        await handler(message)

    async def on_consumer_exit(self) -> None:
        """Called once when the consumer's connection has ended; override to clean up."""
        state, self._own_state = self._own_state, None
        if state is not None:
            await state.close()
