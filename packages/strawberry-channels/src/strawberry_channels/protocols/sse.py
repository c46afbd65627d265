"""GraphQL over Server-Sent Events, "distinct connections" mode, sans-IO.

One HTTP request carries one operation. The response is ``text/event-stream``;
every result is an ``event: next`` whose ``data`` is the execution result as
JSON, and the stream ends with an ``event: complete``. Errors found before
execution (a document that does not validate) are sent as a ``next`` event on
an accepted stream, because an ``EventSource`` cannot read an error body.
Heartbeats are SSE comments, which clients ignore.
"""

from __future__ import annotations

__all__ = ["SSE_HEADERS", "SSEEncoder"]

#: Response headers of a GraphQL SSE stream (proxies must not buffer it).
SSE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
)


class SSEEncoder:
    """Frames a stream of already JSON-encoded results as SSE events.

    The encoder remembers whether the stream was completed and refuses to
    frame anything after that, so a transport cannot send past the end.
    """

    content_type = "text/event-stream; charset=utf-8"

    def __init__(self) -> None:
        self.completed = False

    def next(self, payload: bytes) -> bytes:
        """An ``event: next`` carrying ``payload`` (one JSON document, no newlines)."""
        if self.completed:
            raise RuntimeError("the stream is already complete")
        if b"\n" in payload or b"\r" in payload:
            # JSON never needs a raw newline; split it into SSE data lines anyway.
            lines = payload.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
            data = b"".join(b"data: " + line + b"\n" for line in lines)
            return b"event: next\n" + data + b"\n"
        return b"event: next\ndata: " + payload + b"\n\n"

    def complete(self) -> bytes:
        """The final ``event: complete``."""
        if self.completed:
            raise RuntimeError("the stream is already complete")
        self.completed = True
        return b"event: complete\ndata:\n\n"

    def heartbeat(self) -> bytes:
        """A comment line that keeps intermediaries from timing the stream out."""
        return b":\n\n"
