"""What the two WebSocket protocols share: actions, operations, bookkeeping.

The consumer hands each decoded frame to a protocol object
(:class:`~strawberry_channels.protocols.graphql_transport_ws.GraphQLTransportWSProtocol`
or :class:`~strawberry_channels.protocols.graphql_ws.GraphQLWSProtocol`); it
answers with a list of actions (:class:`Send`, :class:`Close`,
:class:`Authenticate`, :class:`StartOperation`, :class:`CancelOperation`,
:class:`StartKeepAlive`) that the consumer carries out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "Action",
    "Authenticate",
    "CancelOperation",
    "Close",
    "CloseCode",
    "Operation",
    "OperationBookkeeping",
    "Send",
    "StartKeepAlive",
    "StartOperation",
    "parse_operation_payload",
]


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


class OperationBookkeeping:
    """Connection state both protocols keep: the running operations, and how they end.

    Args:
        keep_alive: send keep-alive messages once the connection is
            acknowledged (the consumer times them).
        max_operations: how many operations may run at once.
        debug: put exception texts into close reasons.
    """

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

    #: The ``type`` of the message that carries an execution result.
    result_type: str

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
        """The message carrying one execution result (``None`` once inactive)."""
        if not operation.active:
            return None
        return {"type": self.result_type, "id": operation.id, "payload": payload}

    def finished(self, operation: Operation) -> list[Action]:
        """The operation produced its last result."""
        if not self._end(operation):
            return []
        return [Send({"type": "complete", "id": operation.id})]

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
