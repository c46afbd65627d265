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
"""

from __future__ import annotations

from typing import Any, Final

from strawberry.types.unset import UnsetType

from .operations import (
    Action,
    Authenticate,
    CancelOperation,
    CloseCode,
    Operation,
    OperationBookkeeping,
    Send,
    StartKeepAlive,
    StartOperation,
    parse_operation_payload,
)

__all__ = ["GRAPHQL_WS", "GraphQLWSProtocol"]

#: The subprotocol name.
GRAPHQL_WS: Final = "graphql-ws"


def _connection_error(message: str) -> Send:
    return Send({"type": "connection_error", "payload": {"message": message}})


class GraphQLWSProtocol(OperationBookkeeping):
    """The server side of the legacy ``graphql-ws`` protocol.

    Args:
        keep_alive: send ``ka`` right after ``connection_ack`` and then
            periodically (the consumer times them).
        max_operations: how many operations may run at once; a ``start``
            beyond that gets an ``error`` message.
        debug: put exception texts into close reasons.
    """

    subprotocol: Final = GRAPHQL_WS
    result_type = "data"

    # -- input -------------------------------------------------------------
    def receive(self, message: object) -> list[Action]:
        """Handle one decoded client message."""
        if self.closed:
            return []
        if not isinstance(message, dict):
            return [_connection_error("Invalid message: not an object")]
        type_ = message.get("type")
        if type_ == "start":
            return self._start(message)
        if type_ == "stop":
            return self._stop(message)
        if type_ == "connection_init":
            return self._connection_init(message)
        if type_ == "connection_terminate":
            return self._close(CloseCode.NORMAL, "")
        if not isinstance(type_, str):
            return [_connection_error("Invalid message: missing type")]
        error: dict[str, Any] = {
            "type": "error",
            "payload": {"message": f"Invalid message type {type_!r}"},
        }
        id_ = message.get("id")
        if isinstance(id_, str):
            error["id"] = id_
        return [Send(error)]

    def receive_invalid(self, reason: str = "Invalid message") -> list[Action]:
        """A text frame that is not JSON."""
        if self.closed:
            return []
        return [_connection_error(reason)]

    def receive_binary(self) -> list[Action]:
        """A binary frame: the protocol is text only."""
        if self.closed:
            return []
        return self._close(CloseCode.UNSUPPORTED_DATA, "Binary frames are not supported")

    def receive_too_large(self, limit: int) -> list[Action]:
        """A text frame longer than the consumer accepts."""
        if self.closed:
            return []
        return self._close(CloseCode.MESSAGE_TOO_BIG, f"Message too big (limit {limit})")

    def _connection_init(self, message: dict[str, Any]) -> list[Action]:
        if self.init_received:
            return []
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            return [
                _connection_error("The connection_init payload must be an object"),
                *self._close(CloseCode.BAD_REQUEST, "Invalid connection_init payload"),
            ]
        self.init_received = True
        return [Authenticate(payload)]

    def _start(self, message: dict[str, Any]) -> list[Action]:
        id_ = message.get("id")
        if not isinstance(id_, str) or not id_:
            return [_connection_error("Invalid start message: missing id")]
        if not self.acknowledged:
            return self._close(CloseCode.UNAUTHORIZED, "Unauthorized")
        operation, problem = parse_operation_payload(id_, message.get("payload"))
        if operation is None:
            return [Send({"type": "error", "id": id_, "payload": {"message": problem}})]
        actions: list[Action] = []
        previous = self.operations.pop(id_, None)
        if previous is not None:
            previous.active = False
            actions.append(CancelOperation(previous))
        if self.max_operations is not None and len(self.operations) >= self.max_operations:
            limit = self.max_operations
            actions.append(
                Send(
                    {
                        "type": "error",
                        "id": id_,
                        "payload": {
                            "message": f"Too many operations on this connection (limit {limit})"
                        },
                    }
                )
            )
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
        return [CancelOperation(operation), Send({"type": "complete", "id": id_})]

    # -- outcomes reported by the consumer -------------------------------------
    def accept(self, payload: UnsetType | dict[str, Any] | None) -> list[Action]:
        """``on_ws_connect`` accepted; ``None`` is sent like ``UNSET`` (no payload)."""
        if self.closed or self.acknowledged:
            return []
        self.acknowledged = True
        ack: dict[str, Any] = {"type": "connection_ack"}
        if payload is not None and not isinstance(payload, UnsetType):
            ack["payload"] = payload
        actions: list[Action] = [Send(ack)]
        if self.keep_alive:
            actions.extend((Send({"type": "ka"}), StartKeepAlive()))
        return actions

    def reject(self, payload: dict[str, Any] | None = None) -> list[Action]:
        """``on_ws_connect`` rejected: ``connection_error`` with the payload, then close."""
        if self.closed:
            return []
        return [
            Send({"type": "connection_error", "payload": payload or {}}),
            *self._close(CloseCode.FORBIDDEN, "Forbidden"),
        ]

    def errors(self, operation: Operation, errors: list[dict[str, Any]]) -> list[Action]:
        """The operation failed before execution: ``error`` with the first error."""
        if not self._end(operation):
            return []
        first = errors[0] if errors else {"message": "Unknown error"}
        return [Send({"type": "error", "id": operation.id, "payload": first})]

    def keep_alive_message(self) -> dict[str, Any] | None:
        """The periodic keep-alive message (``None`` once closed)."""
        if self.closed:
            return None
        return {"type": "ka"}
