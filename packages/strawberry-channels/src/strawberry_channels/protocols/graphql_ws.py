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

from typing import Any, Final

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

    Args:
        keep_alive: send ``ka`` right after ``connection_ack`` and then
            periodically (the consumer times them).
        max_operations: how many operations may run at once; a ``start``
            beyond that gets an ``error`` message.
        debug: put exception texts into close reasons.
    """

    subprotocol = GRAPHQL_WS
    result_type = "data"
    binary_close_code = CloseCode.UNSUPPORTED_DATA
    ack_sends_null = False
    keep_alive_at_ack = True

    def _handle(self, type_: str, message: dict[str, Any]) -> list[Action]:
        if type_ == "start":
            return self._start(message)
        if type_ == "stop":
            return self._stop(message)
        if type_ == "connection_init":
            return self._connection_init(message)
        if type_ == "connection_terminate":
            return self._close(CloseCode.NORMAL, "")
        error: LegacyErrorMessage = {
            "type": "error",
            "payload": {"message": f"Invalid message type {type_!r}"},
        }
        id_ = message.get("id")
        if isinstance(id_, str):
            error["id"] = id_
        return [Send(error)]

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
