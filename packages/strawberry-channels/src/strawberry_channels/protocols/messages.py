"""The messages the server sends on either WebSocket protocol, as TypedDicts.

``graphql-transport-ws`` (the ``graphql-ws`` project's protocol) and the legacy
``graphql-ws`` (``subscriptions-transport-ws``) share ``connection_ack`` and
``complete``; the rest is named per protocol. Client messages are checked
field by field by the protocols (they may be anything), so they have no type
here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypedDict

__all__ = [
    "CompleteMessage",
    "ConnectionAckMessage",
    "ConnectionErrorMessage",
    "DataMessage",
    "ErrorMessage",
    "KeepAliveMessage",
    "LegacyErrorMessage",
    "NextMessage",
    "PingMessage",
    "PongMessage",
    "ServerMessage",
    "WireMessage",
]


class _ConnectionAck(TypedDict):
    type: Literal["connection_ack"]


class ConnectionAckMessage(_ConnectionAck, total=False):
    """Both protocols: the connection is acknowledged (``payload`` from ``on_ws_connect``)."""

    payload: dict[str, Any] | None


class CompleteMessage(TypedDict):
    """Both protocols: the operation ``id`` produced its last result."""

    type: Literal["complete"]
    id: str


class NextMessage(TypedDict):
    """graphql-transport-ws: one execution result of operation ``id``."""

    type: Literal["next"]
    id: str
    payload: dict[str, Any]


class ErrorMessage(TypedDict):
    """graphql-transport-ws: operation ``id`` failed before execution; a list of errors."""

    type: Literal["error"]
    id: str
    payload: list[dict[str, Any]]


class _Ping(TypedDict):
    type: Literal["ping"]


class PingMessage(_Ping, total=False):
    """graphql-transport-ws: a keep-alive ``ping``."""

    payload: dict[str, Any]


class _Pong(TypedDict):
    type: Literal["pong"]


class PongMessage(_Pong, total=False):
    """graphql-transport-ws: the answer to a ``ping`` (echoing its payload)."""

    payload: dict[str, Any]


class DataMessage(TypedDict):
    """graphql-ws: one execution result of operation ``id``."""

    type: Literal["data"]
    id: str
    payload: dict[str, Any]


class _LegacyError(TypedDict):
    type: Literal["error"]
    payload: dict[str, Any]


class LegacyErrorMessage(_LegacyError, total=False):
    """graphql-ws: operation ``id`` (when known) failed; one error object."""

    id: str


class ConnectionErrorMessage(TypedDict):
    """graphql-ws: a frame could not be understood, or the connection was rejected."""

    type: Literal["connection_error"]
    payload: dict[str, Any]


class KeepAliveMessage(TypedDict):
    """graphql-ws: a keep-alive ``ka``."""

    type: Literal["ka"]


#: Any message the server sends.
ServerMessage = (
    ConnectionAckMessage
    | CompleteMessage
    | NextMessage
    | ErrorMessage
    | PingMessage
    | PongMessage
    | DataMessage
    | LegacyErrorMessage
    | ConnectionErrorMessage
    | KeepAliveMessage
)

#: A message as actions carry it and readers see it: every :data:`ServerMessage`
#: is one (the protocols build them as the TypedDicts above).
WireMessage = Mapping[str, Any]
