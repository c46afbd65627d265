"""GraphQL over Server-Sent Events, "distinct connections" mode, sans-IO.

One HTTP request carries one operation. The response is ``text/event-stream``;
every result is an ``event: next`` whose ``data`` is the execution result as
JSON, and the stream ends with an ``event: complete``. Errors found before
execution (a document that does not validate) are sent as a ``next`` event on
an accepted stream, because an ``EventSource`` cannot read an error body.
Heartbeats are SSE comments, which clients ignore.
"""

from __future__ import annotations

from typing import Any

from .stream_encoder import EncodeJSON, StreamEncoder

__all__ = ["SSE_HEADERS", "SSEEncoder"]

#: Response headers of a GraphQL SSE stream (proxies must not buffer it).
SSE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
)


class SSEEncoder(StreamEncoder):
    """Frames a stream of already JSON-encoded results as SSE events."""

    content_type = "text/event-stream; charset=utf-8"
    headers = SSE_HEADERS

    def next(self, payload: bytes) -> bytes:
        """An ``event: next`` carrying ``payload`` (one JSON document, no newlines)."""
        self._check_open()
        if b"\n" in payload or b"\r" in payload:
            # JSON never needs a raw newline; split it into SSE data lines anyway.
            lines = payload.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
            data = b"".join(b"data: " + line + b"\n" for line in lines)
            return b"event: next\n" + data + b"\n"
        return b"event: next\ndata: " + payload + b"\n\n"

    def complete(self) -> bytes:
        """The final ``event: complete``."""
        self._close()
        return b"event: complete\ndata:\n\n"

    def result(self, payload: dict[str, Any], encode: EncodeJSON) -> bytes:
        """An ``event: next`` with the result as its data."""
        return self.next(encode(payload))

    def encoded_result(self, encoded_payload: bytes) -> bytes:
        """An ``event: next`` with the encoded result as its data."""
        return self.next(encoded_payload)

    def failure(self, errors: list[dict[str, Any]], encode: EncodeJSON) -> bytes:
        """An ``event: next`` whose data is ``{"errors": [...]}``."""
        return self.next(encode({"errors": errors}))

    def heartbeat(self) -> bytes:
        """A comment line that keeps intermediaries from timing the stream out."""
        return b":\n\n"

    def finish(self) -> bytes:
        """The final ``event: complete`` (see :meth:`complete`)."""
        return self.complete()
