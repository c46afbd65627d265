"""Sans-IO state machine of the ``graphql-transport-ws`` protocol.

The consumer decodes each WebSocket frame and hands the result to
:class:`GraphQLTransportWSProtocol`; the protocol answers with a list of
actions (:class:`Send`, :class:`Close`, :class:`Authenticate`,
:class:`StartOperation`, :class:`CancelOperation`, :class:`StartKeepAlive`)
that the consumer carries out. The protocol never does I/O, so it is tested
without Channels.

The action classes live in :mod:`strawberry_channels.protocols.operations`
and are shared with the legacy protocol.
"""

from __future__ import annotations

from typing import Any, Final

from strawberry.types.unset import UnsetType

from .operations import (
    Action,
    Authenticate,
    CancelOperation,
    Close,
    CloseCode,
    Operation,
    OperationBookkeeping,
    Send,
    StartKeepAlive,
    StartOperation,
    _reason,
    parse_operation_payload,
)

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


class GraphQLTransportWSProtocol(OperationBookkeeping):
    """The server side of ``graphql-transport-ws``.

    Args:
        keep_alive: send ``ping`` messages periodically once the connection is
            acknowledged (the consumer times them).
        max_operations: how many operations may run at once; a ``subscribe``
            beyond that gets an ``error`` message.
        debug: put exception texts into close reasons.
    """

    subprotocol: Final = GRAPHQL_TRANSPORT_WS
    result_type = "next"

    # -- input -------------------------------------------------------------
    def receive(self, message: object) -> list[Action]:
        """Handle one decoded client message."""
        if self.closed:
            return []
        if not isinstance(message, dict):
            return self._close(CloseCode.BAD_REQUEST, "Invalid message: not an object")
        type_ = message.get("type")
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
        if not isinstance(type_, str):
            return self._close(CloseCode.BAD_REQUEST, "Invalid message: missing type")
        return self._close(CloseCode.BAD_REQUEST, _reason(f"Invalid message type {type_!r}"))

    def receive_invalid(self, reason: str = "Invalid message") -> list[Action]:
        """A frame that is not a JSON text message (binary, unparsable)."""
        if self.closed:
            return []
        return self._close(CloseCode.BAD_REQUEST, _reason(reason))

    def receive_binary(self) -> list[Action]:
        """A binary frame: not a message format the protocol defines, so 4400."""
        if self.closed:
            return []
        return self._close(CloseCode.BAD_REQUEST, "Binary frames are not supported")

    def receive_too_large(self, limit: int) -> list[Action]:
        """A text frame longer than the consumer accepts."""
        if self.closed:
            return []
        return self._close(CloseCode.MESSAGE_TOO_BIG, f"Message too big (limit {limit})")

    def _connection_init(self, message: dict[str, Any]) -> list[Action]:
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            return self._close(CloseCode.BAD_REQUEST, "Invalid connection_init payload")
        if self.init_received:
            return self._close(
                CloseCode.TOO_MANY_INITIALISATION_REQUESTS, "Too many initialisation requests"
            )
        self.init_received = True
        return [Authenticate(payload)]

    def _ping(self, message: dict[str, Any]) -> list[Action]:
        payload = message.get("payload")
        if payload is None:
            return [Send({"type": "pong"})]
        if not isinstance(payload, dict):
            return self._close(CloseCode.BAD_REQUEST, "Invalid ping payload")
        return [Send({"type": "pong", "payload": payload})]

    def _subscribe(self, message: dict[str, Any]) -> list[Action]:
        id_ = message.get("id")
        if not isinstance(id_, str) or not id_:
            return self._close(CloseCode.BAD_REQUEST, "Invalid subscribe message: missing id")
        operation, problem = parse_operation_payload(id_, message.get("payload"))
        if operation is None:
            return self._close(CloseCode.BAD_REQUEST, f"Invalid subscribe message: {problem}")
        if not self.acknowledged:
            return self._close(CloseCode.UNAUTHORIZED, "Unauthorized")
        if id_ in self.operations:
            return self._close(
                CloseCode.SUBSCRIBER_ALREADY_EXISTS,
                _reason(f"Subscriber for {id_} already exists"),
            )
        if self.max_operations is not None and len(self.operations) >= self.max_operations:
            return [
                Send(
                    {
                        "type": "error",
                        "id": id_,
                        "payload": [
                            {
                                "message": "Too many operations on this connection "
                                f"(limit {self.max_operations})"
                            }
                        ],
                    }
                )
            ]
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

    # -- outcomes reported by the consumer -------------------------------------
    def accept(self, payload: UnsetType | dict[str, Any] | None) -> list[Action]:
        """``on_ws_connect`` accepted the connection with this ack payload."""
        if self.closed or self.acknowledged:
            return []
        self.acknowledged = True
        ack: dict[str, Any] = {"type": "connection_ack"}
        if not isinstance(payload, UnsetType):
            ack["payload"] = payload
        actions: list[Action] = [Send(ack)]
        if self.keep_alive:
            actions.append(StartKeepAlive())
        return actions

    def reject(self, payload: dict[str, Any] | None = None) -> list[Action]:
        """``on_ws_connect`` rejected the connection (the payload is not sent)."""
        if self.closed:
            return []
        return self._close(CloseCode.FORBIDDEN, "Forbidden")

    def errors(self, operation: Operation, errors: list[dict[str, Any]]) -> list[Action]:
        """The operation failed before execution (parse/validation errors)."""
        if not self._end(operation):
            return []
        return [Send({"type": "error", "id": operation.id, "payload": errors})]

    def keep_alive_message(self) -> dict[str, Any] | None:
        """The periodic keep-alive message (``None`` once closed)."""
        if self.closed:
            return None
        return {"type": "ping"}
