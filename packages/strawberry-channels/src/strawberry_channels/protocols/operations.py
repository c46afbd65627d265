"""What the two WebSocket protocols share: actions, operations, close codes.

The consumer hands each decoded frame to a protocol object
(:class:`~strawberry_channels.protocols.graphql_transport_ws.GraphQLTransportWSProtocol`
or :class:`~strawberry_channels.protocols.graphql_ws.GraphQLWSProtocol`); it
answers with a list of actions (:class:`Send`, :class:`Close`,
:class:`Authenticate`, :class:`StartOperation`, :class:`CancelOperation`,
:class:`StartKeepAlive`) that the consumer carries out. The state machine
both protocols build on is :class:`~strawberry_channels.protocols.ws_core.WebSocketProtocol`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .messages import WireMessage

__all__ = [
    "Action",
    "Authenticate",
    "CancelOperation",
    "Close",
    "CloseCode",
    "Operation",
    "Send",
    "StartKeepAlive",
    "StartOperation",
    "close_reason",
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

    message: WireMessage


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


def close_reason(text: str) -> str:
    """A close reason cut to fit in 123 bytes of UTF-8.

    Args:
        text: the reason.
    """
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


_reason = close_reason


def __getattr__(name: str) -> Any:
    # The state machine moved to ws_core; the old name stays importable.
    if name == "OperationBookkeeping":
        from .ws_core import WebSocketProtocol

        return WebSocketProtocol
    raise AttributeError(name)
