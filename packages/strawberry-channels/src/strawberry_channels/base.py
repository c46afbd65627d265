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
channel (on :class:`~strawberry_channels.layers.LocalChannelLayer` the layer
itself hands the messages over, with no task) into the listener's own bounded buffer
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
import logging
from collections.abc import AsyncIterator, Awaitable, Hashable, Sequence
from typing import Any, ClassVar

from channels.consumer import AsyncConsumer, get_handler_name
from channels.exceptions import StopConsumer
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer

from ._compat import uncancel
from .cleanup import settle_all
from .listener import DEFAULT_LISTENER_BUFFER_SIZE, ChannelListener
from .operation_channel import (
    UNSUBSCRIBE_MESSAGE_TYPE,
    ChannelLayerMissingError,
    ChannelLayerUnavailableError,
    OperationScope,
    current_channel_state,
)
from .operation_channel import _ChannelState as _ChannelState  # re-exported
from .operation_channel import _ScopedChannelLayer as _ScopedChannelLayer  # re-exported

__all__ = [
    "DEFAULT_LISTENER_BUFFER_SIZE",
    "UNSUBSCRIBE_MESSAGE_TYPE",
    "ChannelLayerMissingError",
    "ChannelLayerUnavailableError",
    "ChannelListener",
    "ChannelsConsumer",
    "OperationScope",
]

logger = logging.getLogger("strawberry_channels")

# Marks a consumer whose channel layer has not been looked up yet.
_UNRESOLVED: Any = object()


def _new_channel_now(layer: BaseChannelLayer) -> str | None:
    """A new channel name, if the layer makes one without waiting for anything.

    ``new_channel()`` is a coroutine, but the in-memory and Redis layers only
    compute a name; a layer that really waits (for a subscription, say) gets
    ``None`` here.
    """
    coroutine = layer.new_channel()
    try:
        coroutine.send(None)
    except StopIteration as done:
        return str(done.value)
    except Exception as error:
        logger.warning("Creating a channel failed: %r", error)
        return None
    coroutine.close()
    return None


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
    # Create the consumer's channel when ``channel_name`` is first asked for
    # (consumers that run no message loop, which would create it up front).
    _channel_on_demand: ClassVar[bool] = False

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
        # The channel ``channel_name`` created on demand (consumers without a loop).
        self._lazy_channel: str | None = None
        self._own_state: _ChannelState | None = None
        self._dispatch_lock = asyncio.Lock()
        self._reader_error: BaseException | None = None
        self._reader: asyncio.Task[None] | None = None
        self._main_task: asyncio.Task[Any] | None = None

    def _count_dropped(self) -> None:
        """One message dropped by a listener of this consumer (buffer overflow)."""
        self.dropped_messages += 1
        ChannelsConsumer.total_dropped_messages += 1

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
        state = current_channel_state()
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

        The HTTP consumers, which run no message loop, create their channel
        the first time this is asked for, so a resolver can hand the name out;
        requests that never ask cost the channel layer nothing.

        Raises:
            ChannelLayerMissingError: no channel layer is configured.
            RuntimeError: outside an operation, on a consumer whose message loop
                does not run, with a channel layer that cannot create a channel
                without waiting (use :meth:`operation_scope`).
        """
        state = current_channel_state()
        if state is not None and state.consumer is self:
            return state.name
        if self._channel_name is None:
            layer = self._layer
            if layer is None:
                raise ChannelLayerMissingError(self.channel_layer_alias)
            name = _new_channel_now(layer) if self._channel_on_demand else None
            if name is None:
                raise RuntimeError(
                    f"{type(self).__name__} has no channel of its own outside an operation: "
                    "use channel_name inside `async with consumer.operation_scope():`"
                )
            self._channel_name = self._lazy_channel = name
        # Someone may now send to the consumer's channel: read it.
        self._ensure_reader()
        return self._channel_name

    @channel_name.setter
    def channel_name(self, name: str) -> None:
        self._channel_name = name

    def shared_key(
        self, operation: Any, context: Any
    ) -> Hashable | Awaitable[Hashable | None] | None:
        """The sharing key of a subscription on a shared field (may be async).

        Operations on a field marked with
        :class:`~strawberry_channels.SharedSubscription` share one execution
        when their document, operation name, variables and this key are
        equal. The default, ``()``, shares with every connection of the
        process: the sharing rules already refuse selections that could read
        per-connection state. Return, for example, the tenant to share only
        within it, or ``None`` to run this operation unshared.

        Args:
            operation: the decoded operation (``query``, ``variables``,
                ``operation_name``, ``extensions``).
            context: the connection's context (what :meth:`get_context` returned).
        """
        return ()

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
        state = current_channel_state()
        if state is not None and state.consumer is self:
            if state.closed:
                raise RuntimeError("The operation this listener belongs to has ended")
            return state
        layer = self._layer
        if layer is None:
            raise ChannelLayerMissingError(self.channel_layer_alias)
        if self._channel_name is None or self._lazy_channel is not None:
            # (A channel made on demand has no reader: nothing would arrive.)
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

        A message sent by :func:`strawberry_channels.unsubscribe` to one of
        the listener's groups ends the iteration (on an operation's channel, a
        group joined by hand ends every listener of the operation).

        Raises:
            ChannelLayerMissingError: no channel layer is configured.
            ChannelLayerUnavailableError: joining a group failed, or (from the
                iteration) reading the channel failed.
        """
        state = self._listening_state()
        listener = ChannelListener(state, type, timeout, buffer_size or self.listener_buffer_size)
        held: list[str] = []
        listener.groups = tuple(groups or ())
        state.add_listener(listener)
        try:
            for group in groups or ():
                try:
                    await state.join(group)
                except Exception as error:
                    logger.warning("Joining group %r failed: %r", group, error)
                    raise ChannelLayerUnavailableError(error) from None
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
                try:
                    self._channel_name = await layer.new_channel()
                except Exception as error:
                    # Serve the connection anyway: operations ask for channels
                    # of their own, and fail one by one while the layer is down.
                    logger.warning("No channel for the consumer: %r", error)
            await self._receive_loop(receive)
        finally:
            self._main_task = None
            try:
                reader, self._reader = self._reader, None
                if reader is not None:
                    reader.cancel()
                    await settle_all([reader])
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
                uncancel(task)
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
        self._drop_lazy_channel()

    def _drop_lazy_channel(self) -> None:
        """Forget the channel ``channel_name`` created on demand (in-memory layer)."""
        name, self._lazy_channel = self._lazy_channel, None
        layer = self._layer_value
        if name is not None and isinstance(layer, InMemoryChannelLayer):
            layer.channels.pop(name, None)
