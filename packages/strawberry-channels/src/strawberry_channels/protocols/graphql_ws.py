"""Sans-IO state machine of the legacy ``graphql-ws`` protocol.

The protocol of ``subscriptions-transport-ws``. It has no close codes of its
own; problems with a single message are answered with messages
(``connection_error`` for a frame that cannot be understood, ``error`` for a
bad operation) and the connection stays open. Where the connection must end,
the codes of ``graphql-transport-ws`` are reused so that logs read the same:

* ``start`` before the connection was acknowledged: close 4401 (running it
  would bypass ``on_ws_connect``);
* connection rejected by ``on_ws_connect``: ``connection_error`` with the
  rejection payload, then close 4403;
* no ``connection_init`` within the wait timeout: close 4408;
* a binary frame: close 1003 (unsupported data); an oversized frame: close 1009;
* ``connection_terminate``: close 1000.

Queries and mutations are allowed over ``start``: they answer one ``data``
message and then ``complete``. ``stop`` is answered with ``complete``.

The states, their guards and the entry points both protocols share are in
:mod:`strawberry_channels.protocols.ws_core`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from .messages import (
    CompleteMessage,
    ConnectionErrorMessage,
    KeepAliveMessage,
    LegacyErrorMessage,
    ServerMessage,
)
from .operations import (
    Action,
    Authenticate,
    CancelOperation,
    CloseCode,
    Send,
    StartOperation,
    parse_operation_payload,
)
from .ws_core import State, WebSocketProtocol

__all__ = ["GRAPHQL_WS", "GraphQLWSProtocol"]

#: The subprotocol name.
GRAPHQL_WS: Final = "graphql-ws"


def _connection_error(message: str) -> Send:
    error: ConnectionErrorMessage = {"type": "connection_error", "payload": {"message": message}}
    return Send(error)


class GraphQLWSProtocol(WebSocketProtocol):
    """The server side of the legacy ``graphql-ws`` protocol.

    Keep-alive messages are ``ka``, sent right after ``connection_ack`` too;
    an operation over the limit gets an ``error`` message with one error. The
    options are those of
    :class:`~strawberry_channels.protocols.ws_core.WebSocketProtocol`.
    """

    subprotocol = GRAPHQL_WS
    result_type = "data"
    binary_close_code = CloseCode.UNSUPPORTED_DATA
    ack_sends_null = False
    keep_alive_at_ack = True

    handlers: ClassVar[Mapping[str, str]] = {
        "start": "_start",
        "stop": "_stop",
        "connection_init": "_connection_init",
        "connection_terminate": "_terminate",
    }

    def _unknown_type(self, type_: str, message: dict[str, Any]) -> list[Action]:
        error: LegacyErrorMessage = {
            "type": "error",
            "payload": {"message": f"Invalid message type {type_!r}"},
        }
        id_ = message.get("id")
        if isinstance(id_, str):
            error["id"] = id_
        return [Send(error)]

    def _terminate(self, message: dict[str, Any]) -> list[Action]:
        return self._close(CloseCode.NORMAL, "")

    def _invalid(self, reason: str) -> list[Action]:
        return [_connection_error(reason)]

    def _error_message(self, id: str, errors: list[dict[str, Any]]) -> ServerMessage:
        first = errors[0] if errors else {"message": "Unknown error"}
        error: LegacyErrorMessage = {"type": "error", "id": id, "payload": first}
        return error

    def _rejection(self, payload: dict[str, Any] | None) -> list[Action]:
        rejection: ConnectionErrorMessage = {"type": "connection_error", "payload": payload or {}}
        return [Send(rejection)]

    def _keep_alive_message(self) -> ServerMessage:
        keep_alive: KeepAliveMessage = {"type": "ka"}
        return keep_alive

    def _connection_init(self, message: dict[str, Any]) -> list[Action]:
        if self.state is not State.AWAITING_INIT:
            return []
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            return [
                _connection_error("The connection_init payload must be an object"),
                *self._close(CloseCode.BAD_REQUEST, "Invalid connection_init payload"),
            ]
        self.state = State.AUTHENTICATING
        return [Authenticate(payload)]

    def _start(self, message: dict[str, Any]) -> list[Action]:
        id_ = message.get("id")
        if not isinstance(id_, str) or not id_:
            return [_connection_error("Invalid start message: missing id")]
        if self.state is not State.READY:
            return self._close(CloseCode.UNAUTHORIZED, "Unauthorized")
        operation, problem = parse_operation_payload(id_, message.get("payload"))
        if operation is None:
            return [Send(self._error_message(id_, [{"message": problem}]))]
        actions: list[Action] = []
        previous = self.operations.pop(id_, None)
        if previous is not None:
            previous.active = False
            actions.append(CancelOperation(previous))
        too_many = self._over_limit()
        if too_many is not None:
            actions.append(Send(self._error_message(id_, too_many)))
            return actions
        self.operations[id_] = operation
        actions.append(StartOperation(operation))
        return actions

    def _stop(self, message: dict[str, Any]) -> list[Action]:
        id_ = message.get("id")
        if not isinstance(id_, str) or not id_:
            return [_connection_error("Invalid stop message: missing id")]
        operation = self.operations.pop(id_, None)
        if operation is None:
            return []
        operation.active = False
        complete: CompleteMessage = {"type": "complete", "id": id_}
        return [CancelOperation(operation), Send(complete)]
