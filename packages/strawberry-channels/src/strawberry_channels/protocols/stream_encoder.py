"""The interface of an HTTP stream encoder (GraphQL over SSE, multipart subscriptions), sans-IO.

A streamed response is a head (:attr:`StreamEncoder.headers`), then one chunk
per execution result (:meth:`StreamEncoder.result`), heartbeats while nothing
happens (:meth:`StreamEncoder.heartbeat`), perhaps a transport failure
(:meth:`StreamEncoder.failure`), and a closing chunk
(:meth:`StreamEncoder.finish`). The stream writer drives any encoder through
this interface only; the wire formats live in
:mod:`~strawberry_channels.protocols.sse` and
:mod:`~strawberry_channels.protocols.multipart_mixed`.

An encoder refuses to frame anything after its closing chunk, so a transport
cannot send past the end.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

__all__ = ["EncodeJSON", "StreamEncoder"]

#: Encodes one JSON value (the consumer's ``encode_json``, as bytes).
EncodeJSON = Callable[[object], bytes]


class StreamEncoder(ABC):
    """Frames the results of one streamed operation."""

    #: The response's ``Content-Type``.
    content_type: str
    #: The response headers of the stream (content type, no caching, no buffering).
    headers: tuple[tuple[bytes, bytes], ...]

    def __init__(self) -> None:
        #: Whether the closing chunk was produced.
        self.completed = False

    def _check_open(self) -> None:
        if self.completed:
            raise RuntimeError("the stream is already complete")

    def _close(self) -> None:
        self._check_open()
        self.completed = True

    @abstractmethod
    def result(self, payload: dict[str, Any], encode: EncodeJSON) -> bytes:
        """The chunk carrying one execution result.

        Args:
            payload: the GraphQL response map of the result.
            encode: the JSON encoder to use.
        """

    @abstractmethod
    def encoded_result(self, encoded_payload: bytes) -> bytes:
        """The chunk :meth:`result` gives, for a response map already encoded.

        Args:
            encoded_payload: the GraphQL response map as compact JSON.
        """

    @abstractmethod
    def failure(self, errors: list[dict[str, Any]], encode: EncodeJSON) -> bytes:
        """The chunk telling the client the stream failed on the server.

        Args:
            errors: GraphQL-shaped errors (``[{"message": ...}]``).
            encode: the JSON encoder to use.
        """

    @abstractmethod
    def heartbeat(self) -> bytes:
        """A chunk clients ignore, sent to keep intermediaries from timing out."""

    @abstractmethod
    def finish(self) -> bytes:
        """The closing chunk; nothing may follow it."""
