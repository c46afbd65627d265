"""GraphQL over HTTP, sans-IO: request decoding, content negotiation, responses.

Nothing here touches a socket. The consumer hands in what it received (method,
headers, query string, body) and gets back either decoded
:class:`GraphQLRequestParams` or an :class:`HTTPError` that already carries the
status code, headers and GraphQL-shaped body the GraphQL-over-HTTP draft asks
for.

Status codes used:

* ``400``: the body is not JSON, ``query`` is missing or not a string,
  ``variables`` / ``extensions`` are not objects, ``operationName`` is not a
  string, a subscription was sent without a streaming ``Accept``, a malformed
  multipart upload, or an upload without a CSRF preflight header.
* ``405`` with ``Allow``: a method other than GET/POST, a mutation sent over GET
  (``Allow: POST``), or any GET when ``allow_queries_via_get`` is off.
* ``406``: ``Accept`` names no media type the server can produce.
* ``413``: an upload larger than the configured limit.
* ``415``: a POST whose ``Content-Type`` is missing or not supported.

With ``application/graphql-response+json`` a request error (a document that
does not parse or validate, or variables that do not coerce) answers ``400``
and the body has no ``data`` entry; with ``application/json`` it answers
``200``, as the draft recommends for legacy clients.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from ..execution import format_result, is_request_error

__all__ = [
    "APPLICATION_GRAPHQL",
    "APPLICATION_JSON",
    "EVENT_STREAM",
    "GRAPHQL_RESPONSE_JSON",
    "MULTIPART_FORM_DATA",
    "MULTIPART_MIXED",
    "TEXT_HTML",
    "AcceptRange",
    "GraphQLRequestParams",
    "HTTPError",
    "format_result",
    "is_request_error",
    "negotiate",
    "params_from_json",
    "params_from_query_string",
    "parse_accept",
    "parse_content_type",
    "result_status",
]

APPLICATION_JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_GRAPHQL = "application/graphql"
EVENT_STREAM = "text/event-stream"
MULTIPART_MIXED = "multipart/mixed"
MULTIPART_FORM_DATA = "multipart/form-data"
TEXT_HTML = "text/html"

#: Media types that a client must name explicitly: ``*/*`` never selects them.
_EXPLICIT_ONLY = frozenset({EVENT_STREAM, MULTIPART_MIXED, TEXT_HTML})


@dataclasses.dataclass(frozen=True)
class AcceptRange:
    """One media range of an ``Accept`` header."""

    type: str
    subtype: str
    params: Mapping[str, str]
    q: float

    def specificity(self, media_type: str) -> int:
        """How precisely this range matches ``media_type``: -1 when it does not."""
        main, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0 if self.subtype == "*" else -1
        if self.type != main:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


@dataclasses.dataclass
class GraphQLRequestParams:
    """The decoded parameters of one GraphQL request."""

    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    extensions: dict[str, Any] | None = None


class HTTPError(Exception):
    """A request the server answers without executing anything.

    ``message`` ends up in the body as ``{"errors": [{"message": ...}]}``.
    """

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The GraphQL response shaped body describing the error."""
        return {"errors": [{"message": self.message}]}


def _split_params(parts: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        params[key.strip().lower()] = value
    return params


def parse_content_type(header: str | None) -> tuple[str, dict[str, str]]:
    """Split a ``Content-Type`` into its lower-cased media type and parameters."""
    if not header:
        return "", {}
    media, *rest = header.split(";")
    return media.strip().lower(), _split_params(rest)


_ACCEPT_CACHE: dict[str, tuple[AcceptRange, ...]] = {}


def parse_accept(header: str | None) -> tuple[AcceptRange, ...]:
    """Parse an ``Accept`` header; malformed ranges are skipped.

    Results are memoised per header value (clients send the same few headers
    over and over), with a bounded cache.
    """
    if not header:
        return ()
    cached = _ACCEPT_CACHE.get(header)
    if cached is not None:
        return cached
    ranges: list[AcceptRange] = []
    for item in header.split(","):
        media, *rest = item.split(";")
        main, slash, sub = media.strip().lower().partition("/")
        if not slash or not main or not sub:
            continue
        params = _split_params(rest)
        q = 1.0
        if "q" in params:
            try:
                q = float(params.pop("q"))
            except ValueError:
                continue
            q = min(max(q, 0.0), 1.0)
        ranges.append(AcceptRange(main, sub, params, q))
    result = tuple(ranges)
    if len(_ACCEPT_CACHE) < 256:
        _ACCEPT_CACHE[header] = result
    return result


def _quality(ranges: Sequence[AcceptRange], offer: str) -> float:
    best_specificity = -1
    quality = 0.0
    for accept_range in ranges:
        specificity = accept_range.specificity(offer)
        if specificity < 0:
            continue
        if offer in _EXPLICIT_ONLY and specificity < 2:
            continue
        if specificity > best_specificity:
            best_specificity, quality = specificity, accept_range.q
        elif specificity == best_specificity:
            quality = max(quality, accept_range.q)
    return quality


def negotiate(accept: str | None, offers: Sequence[str]) -> str | None:
    """Pick the offer the client prefers, or ``None`` when it accepts none.

    ``offers`` is in the server's order of preference, which breaks ties. A
    missing or empty ``Accept`` header accepts the first offer. ``text/html``,
    ``text/event-stream`` and ``multipart/mixed`` are chosen only when the
    client names them: ``*/*`` means "any JSON will do" to a GraphQL server.
    """
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0] if offers else None
    best: str | None = None
    best_q = 0.0
    for offer in offers:
        q = _quality(ranges, offer)
        if q > best_q:
            best, best_q = offer, q
    return best


def _check_params(
    query: object, variables: object, operation_name: object, extensions: object
) -> GraphQLRequestParams:
    if query is None:
        raise HTTPError(400, "No GraphQL query found in the request")
    if not isinstance(query, str):
        raise HTTPError(400, "The 'query' parameter must be a string")
    if variables is not None and not isinstance(variables, dict):
        raise HTTPError(400, "The 'variables' parameter must be an object")
    if operation_name is not None and not isinstance(operation_name, str):
        raise HTTPError(400, "The 'operationName' parameter must be a string")
    if extensions is not None and not isinstance(extensions, dict):
        raise HTTPError(400, "The 'extensions' parameter must be an object")
    return GraphQLRequestParams(query, variables, operation_name, extensions)


def params_from_json(data: object) -> GraphQLRequestParams:
    """Check a decoded JSON request body and return its parameters."""
    if not isinstance(data, dict):
        raise HTTPError(400, "The request body must be a JSON object")
    return _check_params(
        data.get("query"),
        data.get("variables"),
        data.get("operationName"),
        data.get("extensions"),
    )


def _decode_json_param(
    name: str, value: str | None, decode_json: Callable[[str], object]
) -> object:
    if value is None or value == "":
        return None
    try:
        return decode_json(value)
    except (ValueError, RecursionError):
        raise HTTPError(400, f"The '{name}' parameter is not valid JSON") from None


def params_from_query_string(
    query_string: bytes | str, decode_json: Callable[[str], object] = json.loads
) -> GraphQLRequestParams:
    """Decode the parameters of a GET request (``variables`` / ``extensions`` are JSON)."""
    if isinstance(query_string, bytes):
        query_string = query_string.decode("utf-8", "replace")
    values = dict(parse_qsl(query_string, keep_blank_values=True))
    operation_name: str | None = values.get("operationName") or None
    return _check_params(
        values.get("query"),
        _decode_json_param("variables", values.get("variables"), decode_json),
        operation_name,
        _decode_json_param("extensions", values.get("extensions"), decode_json),
    )


def result_status(body: Mapping[str, Any], media_type: str, default: int = 200) -> int:
    """The status code of a single (non streamed) response body.

    With ``application/graphql-response+json`` a body without ``data`` is a
    request error: ``400``. Otherwise ``default`` (the status resolvers asked
    for, ``200`` unless changed).
    """
    if media_type == GRAPHQL_RESPONSE_JSON and "data" not in body and body.get("errors"):
        return 400
    return default
