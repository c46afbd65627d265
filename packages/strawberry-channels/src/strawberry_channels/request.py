"""The request and response objects the HTTP consumer hands to user code."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from .base import ChannelsConsumer

__all__ = ["ChannelsRequest", "ChannelsResponse", "TemporalResponse"]


@dataclasses.dataclass
class ChannelsRequest:
    """One HTTP request as seen by resolvers (``info.context["request"]``).

    Attributes:
        consumer: the consumer handling the request; its ``scope`` holds what
            ASGI middleware added (``user`` and ``session`` with
            ``AuthMiddlewareStack``), and it offers ``listen_to_channel``.
        body: the raw request body.
        headers: the request headers, names lower-cased; repeated headers are
            joined with ``", "``.
        method: the HTTP method, upper-case.
        content_type: the ``Content-Type`` header, or ``None``.
    """

    consumer: ChannelsConsumer
    body: bytes
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    method: str = "GET"
    content_type: str | None = None

    @property
    def query_params(self) -> dict[str, str]:
        """The decoded URL query parameters (the last value wins)."""
        raw: bytes = self.consumer.scope.get("query_string", b"")
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))

    @property
    def path(self) -> str:
        """The request path."""
        path: str = self.consumer.scope.get("path", "")
        return path


@dataclasses.dataclass
class ChannelsResponse:
    """A complete HTTP response, e.g. from ``render_graphql_ide``."""

    content: bytes | str
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class TemporalResponse:
    """What resolvers may change about the response (``info.context["response"]``).

    ``status_code`` replaces ``200`` on a response without request errors;
    ``headers`` are added to the response (streamed responses included).
    """

    status_code: int = 200
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
