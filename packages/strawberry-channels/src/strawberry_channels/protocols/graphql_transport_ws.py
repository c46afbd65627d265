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

from collections.abc import Mapping
from typing import Any, ClassVar, Final

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

    Keep-alive messages are ``ping``; an operation over the limit gets an
    ``error`` message with a list of errors. The options are those of
    :class:`~strawberry_channels.protocols.ws_core.WebSocketProtocol`.
    """

    subprotocol = GRAPHQL_TRANSPORT_WS
    result_type = "next"

    handlers: ClassVar[Mapping[str, str]] = {
        "subscribe": "_subscribe",
        "complete": "_complete",
        "ping": "_ping",
        "pong": "_pong",
        "connection_init": "_connection_init",
    }

    def _unknown_type(self, type_: str, message: dict[str, Any]) -> list[Action]:
        return self._invalid(f"Invalid message type {type_!r}")

    def _pong(self, message: dict[str, Any]) -> list[Action]:
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            return self._close(CloseCode.BAD_REQUEST, "Invalid pong payload")
        return []

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
