"""Apollo's multipart subscription protocol over HTTP, sans-IO.

The client asks with ``Accept: multipart/mixed;subscriptionSpec="1.0"``. The
response is ``multipart/mixed;boundary=graphql;subscriptionSpec=1.0`` (the
parameters are unquoted: some clients match them as plain substrings). Every
part is ``Content-Type: application/json`` with a body of
``{"payload": <execution result>}``; a heartbeat part is ``{}``; a transport
failure is ``{"payload": null, "errors": [...]}``; the body ends with
``--graphql--``.

Each part carries a ``Content-Length`` header and is written together with
the delimiter that closes it, so a client hands the part on as soon as it
arrives: readers that scan for the boundary (aiohttp's, which ``gql`` uses)
otherwise hold a part back until bytes of the next one arrive.
"""

from __future__ import annotations

__all__ = ["BOUNDARY", "MULTIPART_HEADERS", "MultipartMixedEncoder"]

BOUNDARY = b"graphql"
CONTENT_TYPE = b"multipart/mixed;boundary=graphql;subscriptionSpec=1.0"

#: Response headers of a multipart subscription stream.
MULTIPART_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-type", CONTENT_TYPE),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
)

_DELIMITER = b"\r\n--" + BOUNDARY
_PART_HEADERS = b"\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: %d\r\n\r\n"


class MultipartMixedEncoder:
    """Frames JSON-encoded parts of one multipart subscription response."""

    content_type = CONTENT_TYPE.decode()

    def __init__(self) -> None:
        self.started = False
        self.completed = False

    def _frame(self, body: bytes) -> bytes:
        if self.completed:
            raise RuntimeError("the stream is already complete")
        prefix = b"" if self.started else _DELIMITER
        self.started = True
        return prefix + _PART_HEADERS % len(body) + body + _DELIMITER

    def part(self, body: bytes) -> bytes:
        """A part whose body is ``body``, e.g. ``{"payload": {...}}`` as JSON."""
        return self._frame(body)

    def heartbeat(self) -> bytes:
        """An empty ``{}`` part that clients skip."""
        return self._frame(b"{}")

    def end(self) -> bytes:
        """The closing delimiter; nothing may follow it."""
        if self.completed:
            raise RuntimeError("the stream is already complete")
        self.completed = True
        if not self.started:
            self.started = True
            return _DELIMITER + b"--\r\n"
        return b"--\r\n"
