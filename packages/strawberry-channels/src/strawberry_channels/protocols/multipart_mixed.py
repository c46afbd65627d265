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

from typing import Any

from .stream_encoder import EncodeJSON, StreamEncoder

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


class MultipartMixedEncoder(StreamEncoder):
    """Frames JSON-encoded parts of one multipart subscription response."""

    content_type = CONTENT_TYPE.decode()
    headers = MULTIPART_HEADERS

    def __init__(self) -> None:
        super().__init__()
        self.started = False

    def _frame(self, body: bytes) -> bytes:
        self._check_open()
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
        self._close()
        if not self.started:
            self.started = True
            return _DELIMITER + b"--\r\n"
        return b"--\r\n"

    def result(self, payload: dict[str, Any], encode: EncodeJSON) -> bytes:
        """A part whose body is ``{"payload": <result>}``."""
        return self._frame(encode({"payload": payload}))

    def encoded_result(self, encoded_payload: bytes) -> bytes:
        """A part whose body is ``{"payload": <encoded result>}``."""
        return self._frame(b'{"payload":' + encoded_payload + b"}")

    def failure(self, errors: list[dict[str, Any]], encode: EncodeJSON) -> bytes:
        """A part whose body is ``{"payload": null, "errors": [...]}``."""
        return self._frame(encode({"payload": None, "errors": errors}))

    def finish(self) -> bytes:
        """The closing delimiter (see :meth:`end`)."""
        return self.end()
