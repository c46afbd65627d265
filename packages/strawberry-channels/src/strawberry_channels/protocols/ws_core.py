"""The core both WebSocket protocols share: one state enum, its guards, the common entry points.

A protocol object is a sans-IO state machine in the manner of h11 and wsproto:
the consumer hands it what happened (a decoded frame, a frame that could not
be decoded, the outcome of ``on_ws_connect``, a result of an operation, the
socket going away) and carries out the list of actions it answers with. It
keeps one :class:`State`:

.. code-block:: text

    AWAITING_INIT --connection_init--> AUTHENTICATING --accept--> READY
          |                                  |                      |
          +-------------- anything that ends the connection --------+--> CLOSING
                                                                           |
                                     the consumer closed the socket  ----> CLOSED

Every entry point declares the states it acts in with :func:`when`; in any
other state it answers ``[]``. Once the protocol decided to close
(``CLOSING``), it answers nothing more, and the results of its operations are
dropped; the consumer reports that the socket is gone with
:meth:`WebSocketProtocol.connection_lost` (``CLOSED``).

What differs between the protocols is a handful of class attributes and
hooks (a table of message handlers, ``_invalid``, ``_unknown_type``,
``_error_message``, ``_rejection``, ``_keep_alive_message``); the wire messages are described in
:mod:`~strawberry_channels.protocols.messages`.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Concatenate, ParamSpec, TypeVar

from strawberry.types.unset import UnsetType

from ..json_codec import encode_json_bytes
from .messages import CompleteMessage, ConnectionAckMessage, ServerMessage, WireMessage
from .operations import (
    Action,
    CancelOperation,
    Close,
    CloseCode,
    Operation,
    Send,
    StartKeepAlive,
    close_reason,
)

__all__ = ["OPEN", "State", "WebSocketProtocol", "when"]


class State(enum.Enum):
    """Where a WebSocket connection is in its life."""

    #: Accepted; waiting for ``connection_init``.
    AWAITING_INIT = "awaiting_init"
    #: ``connection_init`` arrived; ``on_ws_connect`` is deciding.
    AUTHENTICATING = "authenticating"
    #: Acknowledged: operations may run.
    READY = "ready"
    #: The protocol decided to close; the consumer is closing the socket.
    CLOSING = "closing"
    #: The socket is closed (by either side).
    CLOSED = "closed"


#: The states in which a connection takes input.
OPEN = frozenset({State.AWAITING_INIT, State.AUTHENTICATING, State.READY})

_Protocol = TypeVar("_Protocol", bound="WebSocketProtocol")
_Params = ParamSpec("_Params")
_EntryPoint = Callable[Concatenate[_Protocol, _Params], list[Action]]


def when(
    *states: State | frozenset[State],
) -> Callable[[_EntryPoint[_Protocol, _Params]], _EntryPoint[_Protocol, _Params]]:
    """Declare the states an entry point acts in; in any other it answers ``[]``.

    Args:
        states: states, or sets of states such as :data:`OPEN`.
    """
    allowed: set[State] = set()
    for state in states:
        allowed.update(state if isinstance(state, frozenset) else (state,))
    frozen = frozenset(allowed)

    def decorate(method: _EntryPoint[_Protocol, _Params]) -> _EntryPoint[_Protocol, _Params]:
        @functools.wraps(method)
        def guarded(
            self: _Protocol, /, *args: _Params.args, **kwargs: _Params.kwargs
        ) -> list[Action]:
            if self.state not in frozen:
                return []
            return method(self, *args, **kwargs)

        return guarded

    return decorate


class WebSocketProtocol:
    """The server side of one WebSocket connection, whatever the protocol.

    Args:
        keep_alive: send keep-alive messages once the connection is
            acknowledged (the consumer times them).
        max_operations: how many operations may run at once; one more gets
            an ``error`` message.
        debug: put exception texts into close reasons.
    """

    #: The subprotocol name.
    subprotocol: ClassVar[str]
    #: Client message ``type`` -> name of the method that handles it.
    handlers: ClassVar[Mapping[str, str]]
    #: The ``type`` of the message that carries an execution result.
    result_type: ClassVar[str]
    # The defaults below are graphql-transport-ws's; the legacy protocol overrides them.
    #: The close code of a binary frame.
    binary_close_code: ClassVar[int] = CloseCode.BAD_REQUEST
    #: Whether ``accept(None)`` sends ``"payload": null`` (else no payload).
    ack_sends_null: ClassVar[bool] = True
    #: Whether a keep-alive message follows ``connection_ack`` at once.
    keep_alive_at_ack: ClassVar[bool] = False

    def __init__(
        self,
        *,
        keep_alive: bool = False,
        max_operations: int | None = None,
        debug: bool = False,
    ) -> None:
        self.keep_alive = keep_alive
        self.max_operations = max_operations
        self.debug = debug
        #: Where the connection is in its life.
        self.state = State.AWAITING_INIT
        #: Running operations by id.
        self.operations: dict[str, Operation] = {}

    # -- the state, read ---------------------------------------------------------
    @property
    def closed(self) -> bool:
        """Whether the connection ended or is ending (``CLOSING`` or ``CLOSED``)."""
        return self.state not in OPEN

    @property
    def acknowledged(self) -> bool:
        """Whether the connection was acknowledged and is still open."""
        return self.state is State.READY

    @property
    def init_received(self) -> bool:
        """Whether ``connection_init`` arrived on a connection still open."""
        return self.state is State.AUTHENTICATING or self.state is State.READY

    # -- input from the client ---------------------------------------------------
    @when(OPEN)
    def receive(self, message: object) -> list[Action]:
        """Handle one decoded client message.

        Args:
            message: the decoded JSON of a text frame.
        """
        if not isinstance(message, dict):
            return self._invalid("Invalid message: not an object")
        type_ = message.get("type")
        if not isinstance(type_, str):
            return self._invalid("Invalid message: missing type")
        handler = self.handlers.get(type_)
        if handler is None:
            return self._unknown_type(type_, message)
        method: Callable[[dict[str, Any]], list[Action]] = getattr(self, handler)
        return method(message)

    @when(OPEN)
    def receive_invalid(self, reason: str = "Invalid message") -> list[Action]:
        """A text frame that is not JSON.

        Args:
            reason: what was wrong with it.
        """
        return self._invalid(reason)

    @when(OPEN)
    def receive_binary(self) -> list[Action]:
        """A binary frame: both protocols are text only."""
        return self._close(self.binary_close_code, "Binary frames are not supported")

    @when(OPEN)
    def receive_too_large(self, limit: int) -> list[Action]:
        """A text frame longer than the consumer accepts.

        Args:
            limit: the longest frame accepted, in characters.
        """
        return self._close(CloseCode.MESSAGE_TOO_BIG, f"Message too big (limit {limit})")

    # -- outcomes reported by the consumer ---------------------------------------
    @when(State.AWAITING_INIT, State.AUTHENTICATING)
    def accept(self, payload: UnsetType | dict[str, Any] | None) -> list[Action]:
        """``on_ws_connect`` accepted the connection with this ack payload.

        Args:
            payload: ``UNSET`` (no payload), ``None`` or a dict to send.
        """
        self.state = State.READY
        ack: ConnectionAckMessage = {"type": "connection_ack"}
        if not isinstance(payload, UnsetType) and (payload is not None or self.ack_sends_null):
            ack["payload"] = payload
        actions: list[Action] = [Send(ack)]
        if self.keep_alive:
            if self.keep_alive_at_ack:
                actions.append(Send(self._keep_alive_message()))
            actions.append(StartKeepAlive())
        return actions

    @when(OPEN)
    def reject(self, payload: dict[str, Any] | None = None) -> list[Action]:
        """``on_ws_connect`` rejected the connection: close with 4403.

        Args:
            payload: the rejection's payload (sent by graphql-ws only).
        """
        return [*self._rejection(payload), *self._close(CloseCode.FORBIDDEN, "Forbidden")]

    @when(State.AWAITING_INIT, State.AUTHENTICATING)
    def init_timeout(self) -> list[Action]:
        """The connection-init wait timeout expired."""
        return self._close(
            CloseCode.CONNECTION_INITIALISATION_TIMEOUT, "Connection initialisation timeout"
        )

    @when(OPEN)
    def internal_error(self, error: BaseException | None = None) -> list[Action]:
        """The server failed; close with 4500.

        Args:
            error: the exception (its text goes into the reason with ``debug``).
        """
        reason = "Internal server error"
        if self.debug and error is not None:
            reason = close_reason(f"{reason}: {error}")
        return self._close(CloseCode.INTERNAL_SERVER_ERROR, reason)

    @when(OPEN)
    def keep_alive_tick(self) -> list[Action]:
        """Time for the periodic keep-alive message."""
        return [Send(self._keep_alive_message())]

    def send_result(self, operation: Operation, payload: dict[str, Any]) -> list[Action]:
        """One execution result of ``operation`` (nothing once it is inactive).

        Closing deactivates every operation, so this needs no state guard.

        Args:
            operation: the running operation.
            payload: the GraphQL response map of the result.
        """
        message = self.result(operation, payload)
        return [] if message is None else [Send(message)]

    def finished(self, operation: Operation) -> list[Action]:
        """The operation produced its last result.

        Args:
            operation: the operation.
        """
        if not self._end(operation):
            return []
        complete: CompleteMessage = {"type": "complete", "id": operation.id}
        return [Send(complete)]

    def errors(self, operation: Operation, errors: list[dict[str, Any]]) -> list[Action]:
        """The operation failed before execution (parse, validation errors).

        Args:
            operation: the operation.
            errors: the formatted errors.
        """
        if not self._end(operation):
            return []
        return [Send(self._error_message(operation.id, errors))]

    def connection_lost(self) -> list[Action]:
        """The socket is closed (the client left, or the consumer closed it)."""
        self.state = State.CLOSED
        return self._cancel_all()

    # -- messages, built without changing state ----------------------------------
    def result(self, operation: Operation, payload: dict[str, Any]) -> WireMessage | None:
        """The message carrying one execution result (``None`` once inactive).

        Not an entry point: it changes nothing (see :meth:`send_result`).

        Args:
            operation: the operation.
            payload: the GraphQL response map of the result.
        """
        if not operation.active:
            return None
        return {"type": self.result_type, "id": operation.id, "payload": payload}

    def result_frame(self, operation: Operation, encoded_payload: bytes) -> bytes | None:
        """:meth:`result`'s message, encoded, around an already encoded payload.

        The same bytes :func:`~strawberry_channels.json_codec.encode_json_bytes`
        gives for :meth:`result`'s message, built without decoding or encoding
        the payload again (a shared execution encodes it once for all its
        subscribers). ``None`` once the operation is inactive. Changes nothing.

        Args:
            operation: the operation.
            encoded_payload: the GraphQL response map as compact JSON.
        """
        if not operation.active:
            return None
        return b"".join(
            (
                b'{"type":"',
                self.result_type.encode(),
                b'","id":',
                encode_json_bytes(operation.id),
                b',"payload":',
                encoded_payload,
                b"}",
            )
        )

    def keep_alive_message(self) -> WireMessage | None:
        """The periodic keep-alive message (``None`` once closed).

        Not an entry point: it changes nothing (see :meth:`keep_alive_tick`).
        """
        if self.closed:
            return None
        return self._keep_alive_message()

    # -- what each protocol defines ----------------------------------------------
    def _unknown_type(self, type_: str, message: dict[str, Any]) -> list[Action]:
        """A message of a type the protocol does not define."""
        raise NotImplementedError

    def _invalid(self, reason: str) -> list[Action]:
        """A frame that cannot be understood."""
        raise NotImplementedError

    def _error_message(self, id: str, errors: list[dict[str, Any]]) -> ServerMessage:
        """The ``error`` message ending operation ``id``."""
        raise NotImplementedError

    def _rejection(self, payload: dict[str, Any] | None) -> list[Action]:
        """What is sent before the 4403 close of a rejected connection."""
        return []

    def _keep_alive_message(self) -> ServerMessage:
        """The periodic keep-alive message."""
        raise NotImplementedError

    # -- shared steps ------------------------------------------------------------
    def _over_limit(self) -> list[dict[str, Any]] | None:
        """The errors of one operation too many (``None`` when within the limit)."""
        limit = self.max_operations
        if limit is None or len(self.operations) < limit:
            return None
        return [{"message": f"Too many operations on this connection (limit {limit})"}]

    def _end(self, operation: Operation) -> bool:
        if not operation.active or self.closed:
            operation.active = False
            return False
        operation.active = False
        if self.operations.get(operation.id) is operation:
            del self.operations[operation.id]
        return True

    def _cancel_all(self) -> list[Action]:
        actions: list[Action] = []
        for operation in self.operations.values():
            operation.active = False
            actions.append(CancelOperation(operation))
        self.operations.clear()
        return actions

    def _close(self, code: int, reason: str) -> list[Action]:
        self.state = State.CLOSING
        return [*self._cancel_all(), Close(code, reason)]
