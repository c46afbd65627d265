"""Sans-IO state machine of the ``graphql-transport-ws`` protocol.

The consumer decodes each WebSocket frame and hands the result to
:class:`GraphQLTransportWSProtocol`; the protocol answers with a list of
actions (:class:`Send`, :class:`Close`, :class:`Authenticate`,
:class:`StartOperation`, :class:`CancelOperation`, :class:`StartKeepAlive`)
that the consumer carries out. The protocol never does I/O, so it is tested
without Channels.

The states, their guards and the entry points both protocols share are in
:mod:`strawberry_channels.protocols.ws_core`; the action classes in
:mod:`strawberry_channels.protocols.operations`. Anything the protocol does
not understand closes the connection with 4400.
"""

from __future__ import annotations

from typing import Any, Final

from .messages import ErrorMessage, PingMessage, PongMessage, ServerMessage
from .operations import (
    Action,
    Authenticate,
    CancelOperation,
    Close,
    CloseCode,
    Operation,
    Send,
    StartKeepAlive,
    StartOperation,
    close_reason,
    parse_operation_payload,
)
from .ws_core import State, WebSocketProtocol

__all__ = [
    "GRAPHQL_TRANSPORT_WS",
    "Action",
    "Authenticate",
    "CancelOperation",
    "Close",
    "CloseCode",
    "GraphQLTransportWSProtocol",
    "Operation",
    "Send",
    "StartKeepAlive",
    "StartOperation",
    "parse_operation_payload",
]

#: The subprotocol name.
GRAPHQL_TRANSPORT_WS: Final = "graphql-transport-ws"


class GraphQLTransportWSProtocol(WebSocketProtocol):
    """The server side of ``graphql-transport-ws``.

    Args:
        keep_alive: send ``ping`` messages periodically once the connection is
            acknowledged (the consumer times them).
        max_operations: how many operations may run at once; a ``subscribe``
            beyond that gets an ``error`` message.
        debug: put exception texts into close reasons.
    """

    subprotocol = GRAPHQL_TRANSPORT_WS
    result_type = "next"
    binary_close_code = CloseCode.BAD_REQUEST
    ack_sends_null = True
    keep_alive_at_ack = False

    def _handle(self, type_: str, message: dict[str, Any]) -> list[Action]:
        if type_ == "subscribe":
            return self._subscribe(message)
        if type_ == "complete":
            return self._complete(message)
        if type_ == "ping":
            return self._ping(message)
        if type_ == "pong":
            payload = message.get("payload")
            if payload is not None and not isinstance(payload, dict):
                return self._close(CloseCode.BAD_REQUEST, "Invalid pong payload")
            return []
        if type_ == "connection_init":
            return self._connection_init(message)
        return self._invalid(f"Invalid message type {type_!r}")

    def _invalid(self, reason: str) -> list[Action]:
        return self._close(CloseCode.BAD_REQUEST, close_reason(reason))

    def _error_message(self, id: str, errors: list[dict[str, Any]]) -> ServerMessage:
        error: ErrorMessage = {"type": "error", "id": id, "payload": errors}
        return error

    def _keep_alive_message(self) -> ServerMessage:
        ping: PingMessage = {"type": "ping"}
        return ping

    def _connection_init(self, message: dict[str, Any]) -> list[Action]:
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            return self._close(CloseCode.BAD_REQUEST, "Invalid connection_init payload")
        if self.state is not State.AWAITING_INIT:
            return self._close(
                CloseCode.TOO_MANY_INITIALISATION_REQUESTS, "Too many initialisation requests"
            )
        self.state = State.AUTHENTICATING
        return [Authenticate(payload)]

    def _ping(self, message: dict[str, Any]) -> list[Action]:
        payload = message.get("payload")
        pong: PongMessage = {"type": "pong"}
        if payload is not None:
            if not isinstance(payload, dict):
                return self._close(CloseCode.BAD_REQUEST, "Invalid ping payload")
            pong["payload"] = payload
        return [Send(pong)]

    def _subscribe(self, message: dict[str, Any]) -> list[Action]:
        id_ = message.get("id")
        if not isinstance(id_, str) or not id_:
            return self._close(CloseCode.BAD_REQUEST, "Invalid subscribe message: missing id")
        operation, problem = parse_operation_payload(id_, message.get("payload"))
        if operation is None:
            return self._close(CloseCode.BAD_REQUEST, f"Invalid subscribe message: {problem}")
        if self.state is not State.READY:
            return self._close(CloseCode.UNAUTHORIZED, "Unauthorized")
        if id_ in self.operations:
            return self._close(
                CloseCode.SUBSCRIBER_ALREADY_EXISTS,
                close_reason(f"Subscriber for {id_} already exists"),
            )
        too_many = self._over_limit()
        if too_many is not None:
            return [Send(self._error_message(id_, too_many))]
        self.operations[id_] = operation
        return [StartOperation(operation)]

    def _complete(self, message: dict[str, Any]) -> list[Action]:
        id_ = message.get("id")
        if not isinstance(id_, str) or not id_:
            return self._close(CloseCode.BAD_REQUEST, "Invalid complete message: missing id")
        operation = self.operations.pop(id_, None)
        if operation is None:
            return []
        operation.active = False
        return [CancelOperation(operation)]
