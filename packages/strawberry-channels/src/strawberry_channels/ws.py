"""GraphQL over WebSockets: :class:`GraphQLWSConsumer`.

The consumer is glue between Channels and the sans-IO protocol state machines
in :mod:`strawberry_channels.protocols`: it decodes frames, hands them to the
protocol, and carries out the actions it gets back (send, close, authenticate,
start or cancel an operation). Each operation runs as its own task inside
:meth:`~strawberry_channels.ChannelsConsumer.operation_scope`, so it has its own
channel for :meth:`~strawberry_channels.ChannelsConsumer.listen_to_channel`,
or joins its shared execution (:mod:`strawberry_channels.shared_subscriptions`);
see :mod:`strawberry_channels.operation_runner`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import logging
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from channels.exceptions import StopConsumer
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.execution import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from . import execution
from .base import ChannelLayerUnavailableError, ChannelsConsumer
from .headers import Headers
from .hosts import host_allowed
from .json_codec import encode_json_bytes
from .limits import DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION
from .operation_runner import operation_results
from .protocols.graphql_transport_ws import (
    GRAPHQL_TRANSPORT_WS,
    Action,
    Authenticate,
    CancelOperation,
    Close,
    CloseCode,
    GraphQLTransportWSProtocol,
    Operation,
    Send,
    StartKeepAlive,
    StartOperation,
)
from .protocols.graphql_ws import GRAPHQL_WS, GraphQLWSProtocol
from .protocols.messages import WireMessage
from .protocols.ws_core import OPEN, State
from .servers import (
    DEFAULT_MAX_SEND_BUFFER,
    DEFAULT_SEND_BUFFER_TIMEOUT,
    SLOW_READER_CLOSE_CODE,
    SendWatchdog,
    close_code_for,
    drop_connection,
    send_buffer_drained,
    served_by_daphne,
)

if TYPE_CHECKING:
    from strawberry import Schema

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "GRAPHQL_TRANSPORT_WS",
    "GRAPHQL_TRANSPORT_WS_PROTOCOL",
    "GRAPHQL_WS",
    "GRAPHQL_WS_PROTOCOL",
    "GraphQLWSConsumer",
]

logger = logging.getLogger("strawberry_channels")

#: The subprotocol names, as ``strawberry.subscriptions`` spells them.
GRAPHQL_TRANSPORT_WS_PROTOCOL = GRAPHQL_TRANSPORT_WS
GRAPHQL_WS_PROTOCOL = GRAPHQL_WS

#: Longest text frame (in characters) a consumer accepts by default.
DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024


class _ConnectionGone(Exception):
    """The client went away while we were sending."""


def _origin_matches(origin: str, allowed: str) -> bool:
    if allowed == "*":
        return True
    if "://" in allowed:
        return origin.lower() == allowed.rstrip("/").lower()
    host = (urlsplit(origin).netloc or "").lower()
    pattern = allowed.lower()
    if pattern.startswith("."):
        return host == pattern[1:] or host.endswith(pattern)
    return host == pattern or host.split(":")[0] == pattern


class GraphQLWSConsumer(ChannelsConsumer):
    """GraphQL queries, mutations and subscriptions over a WebSocket.

    Speaks ``graphql-transport-ws`` and the legacy ``graphql-ws``. Use it with
    ``GraphQLWSConsumer.as_asgi(schema=schema, ...)``.

    Args:
        schema: the Strawberry schema (a document cache is installed on it).
        debug: put exception texts into close reasons of internal errors, and
            send infrastructure errors in full instead of a generic message with
            an error id (see :mod:`strawberry_channels.errors`).
        keep_alive: send keep-alive messages (``ping`` on graphql-transport-ws,
            ``ka`` on graphql-ws) once the connection is acknowledged.
        keep_alive_interval: seconds between keep-alive messages.
        subscription_protocols: the subprotocols served, in order of preference.
            The first one the client offered is chosen; a client that offered
            none of them is closed with 4406.
        connection_init_wait_timeout: how long a client has to send
            ``connection_init`` (and be acknowledged) before it is closed with
            4408: seconds, or a ``datetime.timedelta``.
        max_subscriptions_per_connection: operations that may run at once on
            one connection (default 100, ``None``: no limit); one more is
            refused with an ``error`` message for its id.
        allowed_origins: origins allowed to open a socket from a browser. By
            default only same-origin handshakes (``Origin`` matching ``Host``)
            and handshakes without an ``Origin`` header (non-browser clients)
            are accepted. Entries are full origins (``"https://app.example"``),
            host names (``"app.example"``, ``".example"`` for subdomains too)
            or ``"*"``.
        max_message_size: longest text frame accepted, in characters; a longer
            one closes the connection with 1009.
        listener_buffer_size: see :class:`~strawberry_channels.ChannelsConsumer`.
        max_send_buffer: bytes the server may hold unsent for this socket
            (``None``: no limit, and no stalled socket is given up). Over it,
            sending waits for the client to read; a socket that stays over it
            for ``send_buffer_timeout`` seconds is closed with 4503. Only
            servers that buffer without limit (Daphne) are watched for bytes;
            uvicorn's ``send`` waits by itself while the socket's write
            buffer is full, and a socket on which no send completes for
            ``send_buffer_timeout`` seconds is closed with 4503 likewise.
        send_buffer_timeout: seconds a socket may stay over ``max_send_buffer``
            (or, on uvicorn, have its sends wait).

    Override :meth:`get_context`, :meth:`get_root_value`, :meth:`on_ws_connect`,
    :meth:`decode_json` and :meth:`encode_json` to customise it.
    """

    #: The subprotocols served, most preferred first.
    default_subscription_protocols: ClassVar[tuple[str, ...]] = (GRAPHQL_TRANSPORT_WS, GRAPHQL_WS)

    def __init__(
        self,
        schema: Schema,
        *,
        debug: bool = False,
        keep_alive: bool = False,
        keep_alive_interval: float = 1,
        subscription_protocols: Sequence[str] | None = None,
        connection_init_wait_timeout: float | datetime.timedelta = 60,
        max_subscriptions_per_connection: int | None = DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION,
        allowed_origins: Sequence[str] | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        listener_buffer_size: int | None = None,
        max_send_buffer: int | None = DEFAULT_MAX_SEND_BUFFER,
        send_buffer_timeout: float = DEFAULT_SEND_BUFFER_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        super().__init__(listener_buffer_size=listener_buffer_size, **kwargs)
        self.max_send_buffer = max_send_buffer
        self.send_buffer_timeout = send_buffer_timeout
        # The limit watched after each send: only where the server buffers
        # without limit (Daphne); decided at the handshake.
        self._send_buffer_limit: int | None = None
        # Elsewhere (uvicorn: send waits by itself), what notices a stalled socket.
        self._send_watchdog: SendWatchdog | None = None
        protocols = tuple(subscription_protocols or self.default_subscription_protocols)
        unknown = set(protocols) - {GRAPHQL_TRANSPORT_WS, GRAPHQL_WS}
        if unknown:
            raise ValueError(f"Unknown subscription protocols: {sorted(unknown)}")
        self.schema = schema
        self.document_cache = execution.prepare_schema(schema, debug=debug)
        self.debug = debug
        self.keep_alive = keep_alive
        self.keep_alive_interval = keep_alive_interval
        self.subscription_protocols = protocols
        if isinstance(connection_init_wait_timeout, datetime.timedelta):
            connection_init_wait_timeout = connection_init_wait_timeout.total_seconds()
        #: Seconds a client has to be acknowledged (a ``timedelta`` is converted).
        self.connection_init_wait_timeout: float = connection_init_wait_timeout
        self.max_subscriptions_per_connection = max_subscriptions_per_connection
        self.allowed_origins = tuple(allowed_origins) if allowed_origins is not None else None
        self.max_message_size = max_message_size
        #: The protocol state machine, once the handshake chose a subprotocol.
        self.protocol: GraphQLTransportWSProtocol | GraphQLWSProtocol | None = None
        self.connection_params: dict[str, Any] | None = None
        self.context: Any = None
        self.root_value: Any = None
        self._operations: dict[Operation, asyncio.Task[None]] = {}
        self._helpers: set[asyncio.Task[None]] = set()
        self._init_timer: asyncio.TimerHandle | None = None
        # Frames of shared results are spliced around their encoded payload,
        # unless encode_json was overridden (then every message goes through it).
        self._splice_frames = type(self).encode_json is GraphQLWSConsumer.encode_json

    # -- overridable hooks ---------------------------------------------------
    async def get_context(self, request: GraphQLWSConsumer, connection_params: Any) -> Any:
        """The context of every operation on this connection.

        Called once, when ``connection_init`` arrives. The default is a dict
        with ``request`` and ``ws`` (both this consumer) and
        ``connection_params`` (the ``connection_init`` payload).
        """
        return {"request": request, "ws": request, "connection_params": connection_params}

    async def get_root_value(self, request: GraphQLWSConsumer) -> Any:
        """The root value of every operation on this connection (default ``None``)."""
        return None

    async def on_ws_connect(self, context: Any) -> UnsetType | dict[str, object] | None:
        """Decide on ``connection_init``.

        Return ``UNSET`` or ``None`` to acknowledge without a payload (on
        graphql-transport-ws ``None`` is sent as ``"payload": null``), or a dict
        sent as the ``connection_ack`` payload. Raise
        :class:`strawberry.exceptions.ConnectionRejectionError` to reject: the
        socket is closed with 4403 (graphql-ws sends the error's payload in a
        ``connection_error`` message first).
        """
        unset: UnsetType = UNSET
        return unset

    def decode_json(self, data: str | bytes) -> object:
        """Decode one text frame."""
        return json.loads(data)

    def encode_json(self, data: object) -> str | bytes:
        """Encode one message."""
        return encode_json_bytes(data)

    # -- handshake -------------------------------------------------------------
    @property
    def headers(self) -> dict[str, str]:
        """The handshake's headers, lower-case names (repeated ones joined by ``", "``)."""
        return Headers.from_scope(self.scope)

    def origin_allowed(self) -> bool:
        """Whether the handshake's ``Origin`` may open a socket."""
        headers = self.headers
        origin = headers.get("origin")
        if origin is None:
            return True
        if self.allowed_origins is not None:
            return any(_origin_matches(origin, allowed) for allowed in self.allowed_origins)
        host = headers.get("host")
        if host is None or origin == "null":
            return False
        return (urlsplit(origin).netloc or "").lower() == host.lower()

    def choose_subprotocol(self, offered: Sequence[str]) -> str | None:
        """The server's most preferred subprotocol among those offered."""
        for protocol in self.subscription_protocols:
            if protocol in offered:
                return protocol
        return None

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        if not self.origin_allowed() or not host_allowed(self.headers.get("host")):
            logger.info(
                "Refused a WebSocket handshake from origin %r to host %r",
                self.headers.get("origin"),
                self.headers.get("host"),
            )
            await self._send_event({"type": "websocket.close", "code": CloseCode.FORBIDDEN})
            return
        offered = [str(p) for p in self.scope.get("subprotocols") or ()]
        subprotocol = self.choose_subprotocol(offered)
        if subprotocol is None:
            await self._send_event({"type": "websocket.accept"})
            await self._close(CloseCode.SUBPROTOCOL_NOT_ACCEPTABLE, "Subprotocol not acceptable")
            return
        protocol_class = (
            GraphQLTransportWSProtocol if subprotocol == GRAPHQL_TRANSPORT_WS else GraphQLWSProtocol
        )
        self.protocol = protocol_class(
            keep_alive=self.keep_alive,
            max_operations=self.max_subscriptions_per_connection,
            debug=self.debug,
        )
        if self.max_send_buffer is not None:
            if served_by_daphne(self.base_send):
                self._send_buffer_limit = self.max_send_buffer
            else:
                self._send_watchdog = SendWatchdog(self.send_buffer_timeout, self._on_sends_stalled)
        await self._send_event({"type": "websocket.accept", "subprotocol": subprotocol})
        self._init_timer = asyncio.get_running_loop().call_later(
            self.connection_init_wait_timeout, self._on_init_timeout
        )

    def _on_sends_stalled(self) -> None:
        # The close frame waits behind what the client has not read: the
        # connection is dropped if it is still there after another timeout.
        asyncio.get_running_loop().call_later(
            self.send_buffer_timeout, drop_connection, self.base_send
        )
        self._spawn_helper(self._close(SLOW_READER_CLOSE_CODE, "Client reads too slowly"))

    def _on_init_timeout(self) -> None:
        self._init_timer = None
        protocol = self.protocol
        if protocol is None:
            return
        actions = protocol.init_timeout()
        if actions:
            self._spawn_helper(self._apply(actions))

    # -- frames ----------------------------------------------------------------
    async def websocket_receive(self, message: dict[str, Any]) -> None:
        protocol = self.protocol
        if protocol is None or protocol.state not in OPEN:
            return
        text = message.get("text")
        if text is None:
            actions = protocol.receive_binary()
        elif len(text) > self.max_message_size:
            actions = protocol.receive_too_large(self.max_message_size)
        else:
            try:
                decoded = self.decode_json(text)
            except Exception:  # ValueError, RecursionError on absurd nesting, hooks' own
                actions = protocol.receive_invalid("Invalid message: not JSON")
            else:
                actions = protocol.receive(decoded)
        if actions:
            with contextlib.suppress(_ConnectionGone):
                await self._apply(actions)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        if self.protocol is not None:
            # Every task is cancelled by the shutdown that follows.
            self.protocol.connection_lost()
        await self._shutdown()
        raise StopConsumer

    async def on_consumer_exit(self) -> None:
        try:
            await self._shutdown()
        finally:
            await super().on_consumer_exit()

    async def _shutdown(self) -> None:
        if self._send_watchdog is not None:
            self._send_watchdog.cancel()
        timer, self._init_timer = self._init_timer, None
        if timer is not None:
            timer.cancel()
        current = asyncio.current_task()
        tasks = [t for t in (*self._operations.values(), *self._helpers) if t is not current]
        for task in tasks:
            task.cancel()
        cancelled = False
        for task in tasks:
            while not task.done():
                try:
                    await asyncio.wait((task,))
                except asyncio.CancelledError:
                    cancelled = True
        self._operations.clear()
        self._helpers.clear()
        if cancelled:
            raise asyncio.CancelledError

    # -- actions ---------------------------------------------------------------
    async def _apply(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Send):
                await self._send_message(action.message)
            elif isinstance(action, StartOperation):
                self._start(action.operation)
            elif isinstance(action, CancelOperation):
                task = self._operations.pop(action.operation, None)
                if task is not None and task is not asyncio.current_task():
                    task.cancel()
            elif isinstance(action, Close):
                await self._close(action.code, action.reason)
            elif isinstance(action, Authenticate):
                await self._authenticate(action.connection_params)
            elif isinstance(action, StartKeepAlive):
                self._spawn_helper(self._keep_alive())

    async def _send_message(self, message: WireMessage) -> None:
        protocol = self.protocol
        if protocol is None or protocol.state is State.CLOSED:
            raise _ConnectionGone
        data = self.encode_json(message)
        await self._send_text(data.decode() if isinstance(data, bytes) else data)

    async def _send_text(self, text: str) -> None:
        protocol = self.protocol
        if protocol is None or protocol.state is State.CLOSED:
            raise _ConnectionGone
        watchdog = self._send_watchdog
        if watchdog is not None:
            watchdog.started()
        try:
            await self._send_event({"type": "websocket.send", "text": text})
        except (OSError, RuntimeError) as error:
            # The client is gone (the server refuses to send); the disconnect
            # message that follows cleans up.
            protocol.connection_lost()
            logger.debug("Sending to a closed WebSocket failed: %r", error)
            raise _ConnectionGone from None
        finally:
            if watchdog is not None:
                watchdog.finished()
        # Daphne buffers without limit: wait for a slow client, give up a stalled one.
        limit = self._send_buffer_limit
        if limit is not None and not await send_buffer_drained(
            self.base_send, limit, self.send_buffer_timeout
        ):
            await self._close(SLOW_READER_CLOSE_CODE, "Client reads too slowly")
            raise _ConnectionGone

    async def _close(self, code: int, reason: str = "") -> None:
        protocol = self.protocol
        if protocol is not None:
            if protocol.state is State.CLOSED:
                return
            # The socket closes now; the tasks are cancelled right here.
            protocol.connection_lost()
        timer, self._init_timer = self._init_timer, None
        if timer is not None:
            timer.cancel()
        current = asyncio.current_task()
        for task in (*self._operations.values(), *self._helpers):
            if task is not current:
                task.cancel()
        with contextlib.suppress(OSError, RuntimeError):
            code = close_code_for(code, self.base_send)  # Daphne cannot send 1003/1009
            await self._send_event({"type": "websocket.close", "code": code, "reason": reason})

    async def _send_event(self, event: dict[str, Any]) -> None:
        send: Any = self.base_send
        await send(event)

    def _spawn_helper(self, coroutine: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(self._quietly(coroutine))
        self._helpers.add(task)
        task.add_done_callback(self._helpers.discard)

    @staticmethod
    async def _quietly(coroutine: Any) -> None:
        with contextlib.suppress(_ConnectionGone):
            await coroutine

    async def _keep_alive(self) -> None:
        protocol = self.protocol
        assert protocol is not None
        while True:
            await asyncio.sleep(self.keep_alive_interval)
            actions = protocol.keep_alive_tick()
            if not actions:
                return
            await self._apply(actions)

    async def _authenticate(self, connection_params: dict[str, Any] | None) -> None:
        protocol = self.protocol
        assert protocol is not None
        self.connection_params = connection_params
        try:
            self.context = await self.get_context(self, connection_params)
            self.root_value = await self.get_root_value(self)
            payload = await self.on_ws_connect(self.context)
        except ConnectionRejectionError as rejection:
            actions = protocol.reject(rejection.payload)
        except Exception as error:
            logger.exception("on_ws_connect or get_context failed")
            actions = protocol.internal_error(error)
        else:
            actions = protocol.accept(payload)
            timer, self._init_timer = self._init_timer, None
            if timer is not None:
                timer.cancel()
        with contextlib.suppress(_ConnectionGone):
            await self._apply(actions)

    # -- operations --------------------------------------------------------------
    def _start(self, operation: Operation) -> None:
        task = asyncio.ensure_future(self._run(operation))
        self._operations[operation] = task

    async def _run(self, operation: Operation) -> None:
        protocol = self.protocol
        assert protocol is not None
        try:
            operation_type = self.document_cache.operation_type(
                operation.query, operation.operation_name
            )
            async with operation_results(
                self,
                self.schema,
                self.document_cache,
                operation,
                operation_type,
                context=self.context,
                root_value=self.root_value,
            ) as results:
                await self._deliver(protocol, operation, results)
        except _ConnectionGone:
            pass
        except asyncio.CancelledError:
            raise
        except ChannelLayerUnavailableError as error:
            # The operation could not get a channel: it fails alone, with an
            # error the client can act on (subscribe again later).
            logger.warning("Operation %r: the channel layer failed: %r", operation.id, error.cause)
            with contextlib.suppress(_ConnectionGone):
                await self._apply(protocol.errors(operation, [dict(error.formatted)]))
        except Exception as error:
            logger.exception("Operation %r failed", operation.id)
            with contextlib.suppress(_ConnectionGone):
                await self._apply(protocol.internal_error(error))
        finally:
            if self._operations.get(operation) is asyncio.current_task():
                del self._operations[operation]

    async def _deliver(
        self,
        protocol: GraphQLTransportWSProtocol | GraphQLWSProtocol,
        operation: Operation,
        results: AsyncIterator[ExecutionResult],
    ) -> None:
        first = True
        splice = self._splice_frames
        async for result in results:
            if first:
                first = False
                if execution.rejected_before_execution(result):
                    errors = execution.formatted_errors(result)
                    await self._apply(protocol.errors(operation, errors))
                    return
            if splice and isinstance(result, execution.SharedResult):
                # One encoding of the payload for every subscriber.
                frame = protocol.result_frame(operation, result.encoded(keep_data=True))
                if frame is None:
                    return
                await self._send_text(frame.decode())
                del result, frame
                continue
            payload = execution.result_payload(result, keep_data=True)
            actions = protocol.send_result(operation, payload)
            if not actions:
                return
            await self._apply(actions)
            # Keep nothing of a sent event while waiting for the next one: what a
            # subscription holds between events the garbage collector walks at
            # every collection until then (three objects here, 30,000 on 10,000
            # subscriptions).
            del result, payload, actions
        await self._apply(protocol.finished(operation))
