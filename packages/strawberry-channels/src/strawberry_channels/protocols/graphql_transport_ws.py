"""Sans-IO state machine of the ``graphql-transport-ws`` protocol.

The consumer decodes each WebSocket frame and hands the result to
:class:`GraphQLTransportWSProtocol`; the protocol answers with a list of
actions (:class:`Send`, :class:`Close`, :class:`Authenticate`,
:class:`StartOperation`, :class:`CancelOperation`, :class:`StartKeepAlive`)
that the consumer carries out. The protocol never does I/O, so it is tested
without Channels.

The action classes are shared with the legacy protocol
(:mod:`strawberry_channels.protocols.graphql_ws`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from strawberry.types.unset import UnsetType

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


class CloseCode:
    """WebSocket close codes used by both protocols."""

    NORMAL = 1000
    UNSUPPORTED_DATA = 1003
    MESSAGE_TOO_BIG = 1009
    BAD_REQUEST = 4400
    UNAUTHORIZED = 4401
    FORBIDDEN = 4403
    SUBPROTOCOL_NOT_ACCEPTABLE = 4406
    CONNECTION_INITIALISATION_TIMEOUT = 4408
    SUBSCRIBER_ALREADY_EXISTS = 4409
    TOO_MANY_INITIALISATION_REQUESTS = 4429
    INTERNAL_SERVER_ERROR = 4500


class Operation:
    """One operation the client started (a ``subscribe`` or ``start`` message)."""

    __slots__ = ("active", "extensions", "id", "operation_name", "query", "variables")

    def __init__(
        self,
        id: str,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        self.id = id
        self.query = query
        self.variables = variables
        self.operation_name = operation_name
        self.extensions = extensions
        #: False once the operation ended or the client stopped it; results
        #: of an inactive operation are never sent.
        self.active = True

    def __repr__(self) -> str:
        return f"<Operation {self.id!r} active={self.active}>"


@dataclass(frozen=True, slots=True)
class Send:
    """Send this message (a JSON-serialisable dict) to the client."""

    message: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Close:
    """Close the WebSocket with this code and reason."""

    code: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Authenticate:
    """Build the context and call ``on_ws_connect``; then call ``accept`` or ``reject``."""

    connection_params: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class StartOperation:
    """Run the operation; report its results back through the protocol."""

    operation: Operation


@dataclass(frozen=True, slots=True)
class CancelOperation:
    """Stop running the operation (the client no longer wants it)."""

    operation: Operation


@dataclass(frozen=True, slots=True)
class StartKeepAlive:
    """Start sending :meth:`keep_alive_message` periodically."""


Action = Send | Close | Authenticate | StartOperation | CancelOperation | StartKeepAlive


def _reason(text: str) -> str:
    """A close reason fits in 123 bytes of UTF-8."""
    encoded = text.encode()
    if len(encoded) <= 123:
        return text
    return encoded[:120].decode(errors="ignore") + "..."


def parse_operation_payload(id: str, payload: object) -> tuple[Operation | None, str | None]:
    """Check a subscribe/start payload; return the operation or an error text."""
    if not isinstance(payload, dict):
        return None, "The payload must be an object"
    query = payload.get("query")
    if not isinstance(query, str):
        return None, "The payload's query must be a string"
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return None, "The payload's variables must be an object"
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        return None, "The payload's operationName must be a string"
    extensions = payload.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        return None, "The payload's extensions must be an object"
    return Operation(id, query, variables, operation_name, extensions), None


class GraphQLTransportWSProtocol:
    """The server side of ``graphql-transport-ws``.

    Args:
        keep_alive: send ``ping`` messages periodically once the connection is
            acknowledged (the consumer times them).
        max_operations: how many operations may run at once; a ``subscribe``
            beyond that gets an ``error`` message.
        debug: put exception texts into close reasons.
    """

    subprotocol: Final = GRAPHQL_TRANSPORT_WS

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
        self.init_received = False
        self.acknowledged = False
        self.closed = False
        #: Running operations by id.
        self.operations: dict[str, Operation] = {}

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

    def init_timeout(self) -> list[Action]:
        """The connection-init wait timeout expired."""
        if self.closed or self.acknowledged:
            return []
        return self._close(
            CloseCode.CONNECTION_INITIALISATION_TIMEOUT, "Connection initialisation timeout"
        )

    def internal_error(self, error: BaseException | None = None) -> list[Action]:
        """The server failed; close with 4500."""
        if self.closed:
            return []
        reason = "Internal server error"
        if self.debug and error is not None:
            reason = _reason(f"{reason}: {error}")
        return self._close(CloseCode.INTERNAL_SERVER_ERROR, reason)

    def result(self, operation: Operation, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The ``next`` message for one execution result (None once inactive)."""
        if not operation.active:
            return None
        return {"type": "next", "id": operation.id, "payload": payload}

    def errors(self, operation: Operation, errors: list[dict[str, Any]]) -> list[Action]:
        """The operation failed before execution (parse/validation errors)."""
        if not self._end(operation):
            return []
        return [Send({"type": "error", "id": operation.id, "payload": errors})]

    def finished(self, operation: Operation) -> list[Action]:
        """The operation produced its last result."""
        if not self._end(operation):
            return []
        return [Send({"type": "complete", "id": operation.id})]

    def keep_alive_message(self) -> dict[str, Any] | None:
        """The periodic keep-alive message (``None`` once closed)."""
        if self.closed:
            return None
        return {"type": "ping"}

    # -- helpers -----------------------------------------------------------
    def _end(self, operation: Operation) -> bool:
        if not operation.active or self.closed:
            operation.active = False
            return False
        operation.active = False
        if self.operations.get(operation.id) is operation:
            del self.operations[operation.id]
        return True

    def _close(self, code: int, reason: str) -> list[Action]:
        self.closed = True
        actions: list[Action] = []
        for operation in self.operations.values():
            operation.active = False
            actions.append(CancelOperation(operation))
        self.operations.clear()
        actions.append(Close(code, reason))
        return actions
