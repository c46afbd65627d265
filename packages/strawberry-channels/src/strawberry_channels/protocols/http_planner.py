"""What to do with one GraphQL HTTP request, decided without I/O.

The HTTP consumer asks twice:

1. :func:`plan_head` with the method and headers, before it reads the body:
   the answer is :class:`ReadBody` (with the size limit that applies) or an
   :class:`~strawberry_channels.protocols.graphql_http.HTTPError`;
2. :func:`plan_request` with the method, headers, query string, body and
   :class:`HTTPOptions`: the answer is :class:`ServeIDE`, :class:`ServeAsset`
   (one of the default IDE's files, ``?asset=<name>``), :class:`Execute`
   (one JSON response), :class:`Stream` (a streamed response with its
   :class:`~strawberry_channels.protocols.stream_encoder.StreamEncoder`) or an
   ``HTTPError``.

The status codes are listed in :mod:`strawberry_channels.protocols.graphql_http`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Literal
from urllib.parse import parse_qs

from strawberry.types.graphql import OperationType

from .graphql_http import (
    APPLICATION_GRAPHQL,
    APPLICATION_JSON,
    EVENT_STREAM,
    GRAPHQL_RESPONSE_JSON,
    MULTIPART_FORM_DATA,
    MULTIPART_MIXED,
    TEXT_HTML,
    GraphQLRequestParams,
    HTTPError,
    negotiate,
    params_from_json,
    params_from_query_string,
    parse_content_type,
)
from .multipart_mixed import MultipartMixedEncoder
from .multipart_upload import FileFactory, UploadFile, check_csrf_preflight, parse_upload_request
from .sse import SSEEncoder
from .stream_encoder import StreamEncoder

__all__ = [
    "ASSET_PARAMETER",
    "JSON_OFFERS",
    "Execute",
    "HTTPOptions",
    "Plan",
    "ReadBody",
    "ServeAsset",
    "ServeIDE",
    "Stream",
    "StreamProtocol",
    "plan_head",
    "plan_request",
]

#: The query-string parameter that names one of the default IDE's files.
ASSET_PARAMETER = "asset"

#: The HTTP streaming protocols that can serve subscriptions.
StreamProtocol = Literal["sse", "multipart"]

#: The media types of a single JSON response, in the server's order of preference.
JSON_OFFERS = (APPLICATION_JSON, GRAPHQL_RESPONSE_JSON)
_IDE_OFFERS = (APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, TEXT_HTML)
_STREAM_MEDIA: dict[str, str] = {"sse": EVENT_STREAM, "multipart": MULTIPART_MIXED}
_ENCODERS: dict[str, Callable[[], StreamEncoder]] = {
    EVENT_STREAM: SSEEncoder,
    MULTIPART_MIXED: MultipartMixedEncoder,
}
_GET_TYPES = (OperationType.QUERY,)
_POST_TYPES = (OperationType.QUERY, OperationType.MUTATION)
_NO_MUTATION_OVER_GET = ("Mutations cannot be sent over GET", {"allow": "POST"})


def _json_loads(data: str | bytes) -> object:
    return json.loads(data)


@dataclasses.dataclass(frozen=True)
class HTTPOptions:
    """The endpoint's configuration, as far as deciding on a request goes.

    Args:
        allow_queries_via_get: run queries sent with GET.
        multipart_uploads_enabled: accept GraphQL multipart requests.
        ide_available: a browser GET asking for HTML gets an IDE page
            (otherwise ``404``).
        stream_protocols: the HTTP streaming protocols served, in order of
            preference (empty: subscriptions over HTTP are not served).
        max_upload_size: largest multipart body in bytes.
        max_body_size: largest body of any other request in bytes.
        decode_json: decodes JSON bodies and parameters.
        make_file: makes the object a resolver receives for an uploaded file.
    """

    allow_queries_via_get: bool = True
    multipart_uploads_enabled: bool = False
    ide_available: bool = True
    stream_protocols: tuple[StreamProtocol, ...] = ()
    max_upload_size: int | None = 10 * 1024 * 1024
    max_body_size: int | None = 1024 * 1024
    decode_json: Callable[[str | bytes], object] = _json_loads
    make_file: FileFactory = UploadFile


@dataclasses.dataclass(frozen=True)
class ReadBody:
    """Read the request body, refusing it (``413``) beyond ``limit`` bytes."""

    limit: int | None


@dataclasses.dataclass(frozen=True)
class ServeIDE:
    """Answer with the IDE's HTML page."""


@dataclasses.dataclass(frozen=True)
class ServeAsset:
    """Answer with the default IDE's file ``name`` (``404`` unless it is a known one)."""

    name: str


@dataclasses.dataclass(frozen=True)
class Execute:
    """Run the operation and answer one JSON response of ``media_type``.

    ``allowed`` are the operation types that may run; Strawberry refuses
    another one before running anything, and :meth:`refusal` tells the
    response to that.
    """

    params: GraphQLRequestParams
    media_type: str
    allowed: tuple[OperationType, ...]
    streaming: bool

    def refusal(self, operation_type: OperationType) -> HTTPError:
        """The answer to an operation of a type not in :attr:`allowed`.

        Args:
            operation_type: the refused operation's type.
        """
        if operation_type is OperationType.MUTATION:
            return HTTPError(405, *_NO_MUTATION_OVER_GET)
        if self.streaming:
            return HTTPError(
                400,
                "Subscriptions over HTTP need Accept: text/event-stream or "
                'multipart/mixed;subscriptionSpec="1.0"',
            )
        return HTTPError(400, "Subscriptions over HTTP are not enabled on this endpoint")


@dataclasses.dataclass(frozen=True)
class Stream:
    """Run the operation and stream its results with ``encoder``."""

    params: GraphQLRequestParams
    operation_type: OperationType | None
    encoder: StreamEncoder


Plan = ServeIDE | ServeAsset | Execute | Stream | HTTPError


def plan_head(
    method: str, headers: Mapping[str, str], options: HTTPOptions
) -> ReadBody | HTTPError:
    """Decide on a request from its method and headers, before its body is read.

    Args:
        method: the HTTP method, upper-case.
        headers: the request headers, names lower-cased.
        options: the endpoint's configuration.
    """
    if method not in ("GET", "POST"):
        return HTTPError(405, f"Method {method} is not allowed", {"allow": "GET, POST"})
    media, _ = parse_content_type(headers.get("content-type"))
    if media == MULTIPART_FORM_DATA:
        return ReadBody(options.max_upload_size)
    return ReadBody(options.max_body_size)


def plan_request(
    method: str,
    headers: Mapping[str, str],
    query_string: bytes | str,
    body: bytes,
    options: HTTPOptions,
    operation_type: Callable[[str, str | None], OperationType | None],
) -> Plan:
    """Decide what to do with a complete request.

    Args:
        method: the HTTP method, upper-case (GET or POST: see :func:`plan_head`).
        headers: the request headers, names lower-cased.
        query_string: the URL's query string.
        body: the request body.
        options: the endpoint's configuration.
        operation_type: the type of the operation a document names (the
            document cache's ``operation_type``), asked only when the client
            accepts a stream.
    """
    accept = headers.get("accept")
    if method == "GET":
        asset = _asset_name(query_string)
        if asset is not None:
            return ServeAsset(asset)
        if negotiate(accept, _IDE_OFFERS) == TEXT_HTML:
            if not options.ide_available:
                return HTTPError(404, "The GraphQL IDE is disabled")
            return ServeIDE()
        if not options.allow_queries_via_get:
            return HTTPError(405, "Queries over GET are disabled", {"allow": "POST"})
    try:
        if method == "GET":
            params = params_from_query_string(query_string, options.decode_json)
        else:
            params = _post_params(headers, body, options)
    except HTTPError as error:
        return error

    streaming = bool(options.stream_protocols)
    if streaming and accept and _may_stream(accept):
        # The operation type decides between a stream and a single response.
        kind = operation_type(params.query, params.operation_name)
        if method == "GET" and kind is OperationType.MUTATION:
            return HTTPError(405, *_NO_MUTATION_OVER_GET)
        streams = tuple(_STREAM_MEDIA[protocol] for protocol in options.stream_protocols)
        if kind is OperationType.SUBSCRIPTION:
            offers: tuple[str, ...] = (*streams, *JSON_OFFERS)
        else:
            offers = (*JSON_OFFERS, *streams)
        media_type = negotiate(accept, offers)
        if media_type in _ENCODERS:
            return Stream(params, kind, _ENCODERS[media_type]())
    else:
        # The fast path: one JSON response. Strawberry refuses operation types
        # that are not allowed (mutations over GET, subscriptions) before running
        # anything, which spares a lookup here.
        media_type = negotiate(accept, JSON_OFFERS)
    if media_type is None:
        return HTTPError(
            406, "None of the media types in Accept can be produced: use application/json"
        )
    allowed = _GET_TYPES if method == "GET" else _POST_TYPES
    return Execute(params, media_type, allowed, streaming)


def _may_stream(accept: str) -> bool:
    lowered = accept.lower()
    return "text/event-stream" in lowered or "multipart/mixed" in lowered


def _post_params(
    headers: Mapping[str, str], body: bytes, options: HTTPOptions
) -> GraphQLRequestParams:
    media, media_params = parse_content_type(headers.get("content-type"))
    charset = media_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise HTTPError(415, f"Unsupported charset {charset!r}: use utf-8")
    if media == APPLICATION_JSON or (media.startswith("application/") and media.endswith("+json")):
        if not body:
            raise HTTPError(400, "The request body is empty")
        try:
            data = options.decode_json(body)
        except (ValueError, RecursionError):
            raise HTTPError(400, "The request body is not valid JSON") from None
        return params_from_json(data)
    if media == APPLICATION_GRAPHQL:
        try:
            return GraphQLRequestParams(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise HTTPError(400, "The request body is not valid UTF-8") from None
    if media == MULTIPART_FORM_DATA:
        if not options.multipart_uploads_enabled:
            raise HTTPError(415, "Multipart uploads are not enabled on this endpoint")
        check_csrf_preflight(headers)
        return parse_upload_request(
            body,
            media_params.get("boundary", ""),
            options.decode_json,
            options.max_upload_size,
            options.make_file,
        )
    if not media:
        raise HTTPError(415, "The request has no Content-Type: use application/json")
    raise HTTPError(415, f"Unsupported Content-Type {media!r}: use application/json")


def _asset_name(query_string: bytes | str) -> str | None:
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    if not query_string.startswith(ASSET_PARAMETER + "="):
        return None  # the common case, decided without parsing
    values = parse_qs(query_string).get(ASSET_PARAMETER)
    return values[0] if values else None
