"""GraphQL over HTTP consumers: queries, mutations, uploads, IDE, streamed subscriptions.

The consumers speak ASGI HTTP directly (no per-request dispatch loop and no
channel-layer channel for plain queries): the body is read, decoded by the
sans-IO :mod:`strawberry_channels.protocols.graphql_http`, executed, and
answered. Streamed operations (GraphQL over SSE and Apollo multipart
subscriptions) run inside :meth:`ChannelsConsumer.operation_scope`, so
``listen_to_channel`` receives channel-layer messages while the response
streams, and a client that disconnects cancels the operation, which leaves its
groups.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from .base import ChannelsConsumer
from .disconnect import cancel_on_disconnect
from .errors import install_error_masking
from .execution import install_document_cache
from .hosts import host_allowed
from .ide import GRAPHQL_IDES, GraphQL_IDE, render_ide_page
from .limits import install_query_limits
from .protocols.graphql_http import (
    APPLICATION_GRAPHQL,
    APPLICATION_JSON,
    EVENT_STREAM,
    GRAPHQL_RESPONSE_JSON,
    MULTIPART_FORM_DATA,
    MULTIPART_MIXED,
    TEXT_HTML,
    GraphQLRequestParams,
    HTTPError,
    format_result,
    negotiate,
    params_from_json,
    params_from_query_string,
    parse_content_type,
    result_status,
)
from .protocols.multipart_mixed import MULTIPART_HEADERS, MultipartMixedEncoder
from .protocols.multipart_upload import check_csrf_preflight, parse_upload_request
from .protocols.sse import SSE_HEADERS, SSEEncoder
from .request import ChannelsRequest, ChannelsResponse, TemporalResponse

if TYPE_CHECKING:
    from strawberry import Schema

__all__ = ["GraphQLHTTPConsumer", "SubscriptionProtocol", "SyncGraphQLHTTPConsumer"]

logger = logging.getLogger("strawberry_channels.http")

#: The HTTP streaming protocols a consumer can enable for subscriptions.
SubscriptionProtocol = Literal["sse", "multipart"]

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_JSON_OFFERS = (APPLICATION_JSON, GRAPHQL_RESPONSE_JSON)
_IDE_OFFERS = (APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, TEXT_HTML)
_CONTENT_TYPES = {
    APPLICATION_JSON: b"application/json",
    GRAPHQL_RESPONSE_JSON: b"application/graphql-response+json",
}
_ENCODER = json.JSONEncoder(separators=(",", ":"))
_GET_TYPES = (OperationType.QUERY,)
_POST_TYPES = (OperationType.QUERY, OperationType.MUTATION)


def _may_stream(accept: str) -> bool:
    lowered = accept.lower()
    return "text/event-stream" in lowered or "multipart/mixed" in lowered


class _Disconnected(Exception):
    """The client went away before the request body was complete."""


class _BaseHTTPConsumer(ChannelsConsumer):
    """Request decoding, negotiation and response writing shared by both consumers."""

    _streaming_supported: ClassVar[bool] = False

    def __init__(
        self,
        schema: Schema,
        graphql_ide: GraphQL_IDE | None = "graphiql",
        allow_queries_via_get: bool = True,
        multipart_uploads_enabled: bool = False,
        subscription_protocols: Sequence[SubscriptionProtocol] = (),
        max_upload_size: int | None = 10 * 1024 * 1024,
        max_body_size: int | None = 1024 * 1024,
        heartbeat_interval: float | None = 12.0,
        subscriptions_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if graphql_ide is not None and graphql_ide not in GRAPHQL_IDES:
            raise ValueError(
                f"unknown graphql_ide {graphql_ide!r}: use one of {', '.join(GRAPHQL_IDES)} or None"
            )
        self.schema = schema
        self.graphql_ide = graphql_ide
        self.allow_queries_via_get = allow_queries_via_get
        self.multipart_uploads_enabled = multipart_uploads_enabled
        unknown = set(subscription_protocols) - {"sse", "multipart"}
        if unknown:
            raise ValueError(f"unknown subscription protocols: {sorted(unknown)}")
        self.subscription_protocols = tuple(subscription_protocols)
        self.max_upload_size = max_upload_size
        self.max_body_size = max_body_size
        self.heartbeat_interval = heartbeat_interval
        self.subscriptions_path = subscriptions_path
        self.document_cache = install_document_cache(schema)
        install_query_limits(schema)  # default cost limits unless the schema has its own
        install_error_masking(schema)

    # -- overridable JSON hooks -------------------------------------------------

    def decode_json(self, data: str | bytes) -> object:
        """Decode a JSON request body or parameter; raise ``ValueError`` when invalid."""
        return json.loads(data)

    def encode_json(self, data: object) -> str | bytes:
        """Encode a response body."""
        return _ENCODER.encode(data)

    # -- ASGI ----------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        """Handle one HTTP request (the consumer lives for exactly one)."""
        if scope["type"] != "http":
            raise ValueError(f"{type(self).__name__} only handles HTTP, not {scope['type']!r}")
        self.scope = scope
        self.base_send = send  # type: ignore[assignment]
        try:
            async with cancel_on_disconnect(receive) as watched:  # a vanished client cancels
                await self._handle(scope, watched, send)
        except _Disconnected:
            return
        except HTTPError as error:
            await self._send_error(error, send)
        except Exception:
            logger.exception("Unhandled error while answering a GraphQL HTTP request")
            await self._send_error(HTTPError(500, "Internal server error"), send)

    async def _read_body(self, receive: Receive, limit: int | None) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if limit is not None and size > limit:
                    raise HTTPError(413, f"The request body is larger than {limit} bytes")
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        if len(chunks) == 1:
            return chunks[0]
        return b"".join(chunks)

    def _headers(self, scope: Scope) -> dict[str, str]:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            if name in headers:
                headers[name] = f"{headers[name]}, {value}"
            else:
                headers[name] = value
        return headers

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        headers = self._headers(scope)
        self._accept = accept = headers.get("accept")
        content_type = headers.get("content-type")
        media, media_params = parse_content_type(content_type)
        if not host_allowed(headers.get("host")):
            raise HTTPError(400, "The Host header is not in ALLOWED_HOSTS")

        if method not in ("GET", "POST"):
            raise HTTPError(405, f"Method {method} is not allowed", {"allow": "GET, POST"})
        limit = self.max_upload_size if media == MULTIPART_FORM_DATA else self.max_body_size
        body = await self._read_body(receive, limit)
        request = ChannelsRequest(
            consumer=self, body=body, headers=headers, method=method, content_type=content_type
        )

        if method == "GET":
            if negotiate(accept, _IDE_OFFERS) == TEXT_HTML:
                if self.graphql_ide is None and not type(self)._overrides_ide():
                    raise HTTPError(404, "The GraphQL IDE is disabled")
                await self._send_response(await self._render_ide(request), send)
                return
            if not self.allow_queries_via_get:
                raise HTTPError(405, "Queries over GET are disabled", {"allow": "POST"})
            params = params_from_query_string(scope.get("query_string", b""), self.decode_json)
        else:
            params = self._post_params(request, media, media_params, body, headers)

        streaming = self._streaming_supported and bool(self.subscription_protocols)
        if streaming and accept and _may_stream(accept):
            # The operation type decides between a stream and a single response.
            operation_type = self.document_cache.operation_type(params.query, params.operation_name)
            if method == "GET" and operation_type is OperationType.MUTATION:
                raise HTTPError(405, "Mutations cannot be sent over GET", {"allow": "POST"})
            streams = tuple(
                EVENT_STREAM if protocol == "sse" else MULTIPART_MIXED
                for protocol in self.subscription_protocols
            )
            if operation_type is OperationType.SUBSCRIPTION:
                offers: tuple[str, ...] = (*streams, *_JSON_OFFERS)
            else:
                offers = (*_JSON_OFFERS, *streams)
            media_type = negotiate(accept, offers)
            if media_type in (EVENT_STREAM, MULTIPART_MIXED):
                await self._stream(request, params, operation_type, media_type, receive, send)
                return
        else:
            # The fast path: one JSON response. Strawberry refuses operation types
            # that are not allowed (mutations over GET, subscriptions) before running
            # anything, which spares a lookup here.
            media_type = negotiate(accept, _JSON_OFFERS)
        if media_type is None:
            raise HTTPError(
                406, "None of the media types in Accept can be produced: use application/json"
            )
        allowed = _GET_TYPES if method == "GET" else _POST_TYPES
        try:
            payload, status, extra_headers = await self._execute(
                request, params, allowed, media_type
            )
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.MUTATION:
                raise HTTPError(
                    405, "Mutations cannot be sent over GET", {"allow": "POST"}
                ) from None
            if streaming:
                raise HTTPError(
                    400,
                    "Subscriptions over HTTP need Accept: text/event-stream or "
                    'multipart/mixed;subscriptionSpec="1.0"',
                ) from None
            raise HTTPError(
                400, "Subscriptions over HTTP are not enabled on this endpoint"
            ) from None
        await self._send(
            send,
            status,
            _CONTENT_TYPES[media_type],
            _as_bytes(self.encode_json(payload)),
            extra_headers,
        )

    def _post_params(
        self,
        request: ChannelsRequest,
        media: str,
        media_params: Mapping[str, str],
        body: bytes,
        headers: Mapping[str, str],
    ) -> GraphQLRequestParams:
        charset = media_params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise HTTPError(415, f"Unsupported charset {charset!r}: use utf-8")
        if media == APPLICATION_JSON or (
            media.startswith("application/") and media.endswith("+json")
        ):
            if not body:
                raise HTTPError(400, "The request body is empty")
            try:
                data = self.decode_json(body)
            except (ValueError, RecursionError):
                raise HTTPError(400, "The request body is not valid JSON") from None
            return params_from_json(data)
        if media == APPLICATION_GRAPHQL:
            try:
                return GraphQLRequestParams(body.decode("utf-8"))
            except UnicodeDecodeError:
                raise HTTPError(400, "The request body is not valid UTF-8") from None
        if media == MULTIPART_FORM_DATA:
            if not self.multipart_uploads_enabled:
                raise HTTPError(415, "Multipart uploads are not enabled on this endpoint")
            check_csrf_preflight(headers)
            return parse_upload_request(
                body, media_params.get("boundary", ""), self.decode_json, self.max_upload_size
            )
        if not media:
            raise HTTPError(415, "The request has no Content-Type: use application/json")
        raise HTTPError(415, f"Unsupported Content-Type {media!r}: use application/json")

    # -- responses -------------------------------------------------------------------

    async def _send(
        self,
        send: Send,
        status: int,
        content_type: bytes,
        body: bytes,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
        ]
        if extra_headers:
            headers.extend(
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in extra_headers.items()
            )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _send_error(self, error: HTTPError, send: Send) -> None:
        media_type = negotiate(getattr(self, "_accept", None), _JSON_OFFERS) or APPLICATION_JSON
        body = _as_bytes(self.encode_json(error.body()))
        with contextlib.suppress(OSError, RuntimeError):
            await self._send(send, error.status, _CONTENT_TYPES[media_type], body, error.headers)

    async def _send_response(self, response: ChannelsResponse, send: Send) -> None:
        content = response.content
        body = content.encode() if isinstance(content, str) else content
        await self._send(
            send, response.status, response.content_type.encode("latin-1"), body, response.headers
        )

    # -- what the two consumers implement --------------------------------------------

    @classmethod
    def _overrides_ide(cls) -> bool:
        return False

    async def _render_ide(self, request: ChannelsRequest) -> ChannelsResponse:
        raise NotImplementedError

    async def _execute(
        self,
        request: ChannelsRequest,
        params: GraphQLRequestParams,
        allowed: Sequence[OperationType],
        media_type: str,
    ) -> tuple[dict[str, Any], int, dict[str, str]]:
        raise NotImplementedError

    async def _stream(
        self,
        request: ChannelsRequest,
        params: GraphQLRequestParams,
        operation_type: OperationType | None,
        media_type: str,
        receive: Receive,
        send: Send,
    ) -> None:
        raise HTTPError(400, "Streaming is not supported by this consumer")

    def _default_ide(self, request: ChannelsRequest) -> ChannelsResponse:
        if self.graphql_ide is None:
            raise HTTPError(404, "The GraphQL IDE is disabled")
        root_path: str = self.scope.get("root_path", "")
        path = root_path + self.scope.get("path", "/graphql")
        html = render_ide_page(
            self.graphql_ide,
            endpoint=path,
            subscriptions_endpoint=self.subscriptions_path or path,
            encode_json=lambda data: _as_bytes(self.encode_json(data)).decode(),
        )
        return ChannelsResponse(content=html, content_type="text/html; charset=utf-8")


def _as_bytes(data: str | bytes) -> bytes:
    return data.encode() if isinstance(data, str) else data


def _status(payload: Mapping[str, Any], media_type: str, response: TemporalResponse) -> int:
    return result_status(payload, media_type, response.status_code)


class GraphQLHTTPConsumer(_BaseHTTPConsumer):
    """Serve a Strawberry schema over HTTP from Django Channels.

    Use it with ``GraphQLHTTPConsumer.as_asgi(schema=schema, ...)``. Options:

    * ``schema``: the ``strawberry.Schema`` to serve.
    * ``graphql_ide``: ``"graphiql"`` (default), ``"apollo-sandbox"``,
      ``"pathfinder"`` or ``None`` (a browser GET answers ``404``).
    * ``allow_queries_via_get``: run queries sent with GET (default ``True``).
      Mutations over GET are always refused with ``405``.
    * ``multipart_uploads_enabled``: accept GraphQL multipart requests (file
      uploads, default ``False``). Such a request must carry one of the CSRF
      preflight headers listed in
      :data:`strawberry_channels.protocols.multipart_upload.PREFLIGHT_HEADERS`.
    * ``max_upload_size``: largest multipart body in bytes (``413`` beyond).
    * ``max_body_size``: largest body of any other request in bytes (``413``
      beyond; default 1 MiB, ``None``: no limit).
    * ``subscription_protocols``: which HTTP streaming protocols serve
      subscriptions, any of ``"sse"`` (GraphQL over SSE) and ``"multipart"``
      (Apollo multipart subscriptions); none by default.
    * ``heartbeat_interval``: seconds between heartbeats on a stream
      (``None``: no heartbeats).
    * ``subscriptions_path``: the WebSocket path the IDE subscribes on
      (default: this request's path).

    Hooks (override in a subclass): :meth:`get_context`,
    :meth:`get_root_value`, :meth:`process_result`, :meth:`decode_json`,
    :meth:`encode_json`, :meth:`render_graphql_ide`.

    Channel layer: a plain query or mutation runs without a channel of its
    own, so it costs no channel-layer round trip; its resolvers may still use
    ``consumer.channel_layer`` (``group_send``, for example). A streamed
    operation runs inside ``consumer.operation_scope()``, where
    ``listen_to_channel`` and ``channel_name`` refer to that operation's own
    channel; a query resolver that needs a channel opens
    ``async with consumer.operation_scope():`` itself.

    Status codes follow the GraphQL-over-HTTP draft; see
    :mod:`strawberry_channels.protocols.graphql_http` for the full list.
    """

    _streaming_supported = True

    async def get_context(self, request: ChannelsRequest, response: TemporalResponse) -> Any:
        """The context of every operation: ``{"request": ..., "response": ...}``."""
        return {"request": request, "response": response}

    async def get_root_value(self, request: ChannelsRequest) -> Any:
        """The root value of every operation (``None`` by default)."""
        return None

    async def process_result(
        self, request: ChannelsRequest, result: ExecutionResult
    ) -> dict[str, Any]:
        """Turn an execution result into the response map that gets JSON-encoded."""
        return format_result(result.data, result.errors, result.extensions)

    async def render_graphql_ide(self, request: ChannelsRequest) -> ChannelsResponse:
        """The HTML page of the configured IDE."""
        return self._default_ide(request)

    @classmethod
    def _overrides_ide(cls) -> bool:
        return cls.render_graphql_ide is not GraphQLHTTPConsumer.render_graphql_ide

    async def _render_ide(self, request: ChannelsRequest) -> ChannelsResponse:
        return await self.render_graphql_ide(request)

    async def _execute(
        self,
        request: ChannelsRequest,
        params: GraphQLRequestParams,
        allowed: Sequence[OperationType],
        media_type: str,
    ) -> tuple[dict[str, Any], int, dict[str, str]]:
        response = TemporalResponse()
        context = await self.get_context(request, response)
        root_value = await self.get_root_value(request)
        result = await self.schema.execute(
            params.query,
            variable_values=params.variables,
            context_value=context,
            root_value=root_value,
            operation_name=params.operation_name,
            allowed_operation_types=allowed,
            operation_extensions=params.extensions,
        )
        payload = await self.process_result(request, result)
        return payload, _status(payload, media_type, response), response.headers

    async def _stream(
        self,
        request: ChannelsRequest,
        params: GraphQLRequestParams,
        operation_type: OperationType | None,
        media_type: str,
        receive: Receive,
        send: Send,
    ) -> None:
        response = TemporalResponse()
        context = await self.get_context(request, response)
        root_value = await self.get_root_value(request)
        sse = media_type == EVENT_STREAM
        encoder: SSEEncoder | MultipartMixedEncoder = (
            SSEEncoder() if sse else MultipartMixedEncoder()
        )
        headers = list(SSE_HEADERS if sse else MULTIPART_HEADERS)
        headers.extend(
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in response.headers.items()
        )
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        lock = asyncio.Lock()

        async def emit(chunk: bytes) -> None:
            async with lock:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})

        def frame(payload: dict[str, Any]) -> bytes:
            if isinstance(encoder, SSEEncoder):
                return encoder.next(_as_bytes(self.encode_json(payload)))
            return encoder.part(_as_bytes(self.encode_json({"payload": payload})))

        async def produce() -> None:
            async with self.operation_scope():
                async for result in self._results(params, operation_type, context, root_value):
                    await emit(frame(await self.process_result(request, result)))
                    sent.set()

        sent = asyncio.Event()

        async def keepalive(interval: float) -> None:
            # A heartbeat after every ``interval`` seconds without an event.
            # (asyncio.wait, unlike wait_for on 3.10/3.11, never swallows a cancellation.)
            while True:
                waiter = asyncio.ensure_future(sent.wait())
                try:
                    done, _ = await asyncio.wait((waiter,), timeout=interval)
                finally:
                    waiter.cancel()
                if done:
                    sent.clear()
                else:
                    await emit(encoder.heartbeat())

        producer = asyncio.create_task(produce())
        watcher = asyncio.create_task(_wait_for_disconnect(receive))
        beats = (
            asyncio.create_task(keepalive(self.heartbeat_interval))
            if self.heartbeat_interval
            else None
        )
        try:
            await asyncio.wait({producer, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if beats is not None:
                beats.cancel()
                await asyncio.gather(beats, return_exceptions=True)
                beats = None
            if not producer.done():
                # The client went away: stop the operation (it leaves its groups).
                return
            error = producer.exception()
            closing = b""
            if error is not None:
                logger.error("A streamed GraphQL operation failed", exc_info=error)
                errors = [{"message": "Internal server error"}]
                if isinstance(encoder, SSEEncoder):
                    closing = encoder.next(_as_bytes(self.encode_json({"errors": errors})))
                else:
                    closing = encoder.part(
                        _as_bytes(self.encode_json({"payload": None, "errors": errors}))
                    )
            closing += encoder.complete() if isinstance(encoder, SSEEncoder) else encoder.end()
            async with lock:
                await send({"type": "http.response.body", "body": closing, "more_body": False})
        finally:
            for task in (producer, watcher, beats):
                if task is not None and not task.done():
                    task.cancel()
            await asyncio.gather(
                *(task for task in (producer, watcher, beats) if task is not None),
                return_exceptions=True,
            )

    async def _results(
        self,
        params: GraphQLRequestParams,
        operation_type: OperationType | None,
        context: Any,
        root_value: Any,
    ) -> AsyncIterator[ExecutionResult]:
        if operation_type is not OperationType.SUBSCRIPTION:
            yield await self.schema.execute(
                params.query,
                variable_values=params.variables,
                context_value=context,
                root_value=root_value,
                operation_name=params.operation_name,
                allowed_operation_types=(OperationType.QUERY, OperationType.MUTATION),
                operation_extensions=params.extensions,
            )
            return
        results = await self.schema.subscribe(
            params.query,
            variable_values=params.variables,
            context_value=context,
            root_value=root_value,
            operation_name=params.operation_name,
            operation_extensions=params.extensions,
        )
        if isinstance(results, ExecutionResult):
            yield results
            return
        try:
            async for result in results:
                yield result
        finally:
            aclose = getattr(results, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


class SyncGraphQLHTTPConsumer(_BaseHTTPConsumer):
    """Like :class:`GraphQLHTTPConsumer`, but runs the schema synchronously.

    Execution and the hooks run in a worker thread (Channels'
    ``database_sync_to_async``), so resolvers may use the Django ORM directly.
    The hooks are plain methods: :meth:`get_context`, :meth:`get_root_value`,
    :meth:`process_result`, :meth:`render_graphql_ide`. Subscriptions need an
    asynchronous schema and are not served by this consumer.
    """

    def get_context(self, request: ChannelsRequest, response: TemporalResponse) -> Any:
        """The context of every operation: ``{"request": ..., "response": ...}``."""
        return {"request": request, "response": response}

    def get_root_value(self, request: ChannelsRequest) -> Any:
        """The root value of every operation (``None`` by default)."""
        return None

    def process_result(self, request: ChannelsRequest, result: ExecutionResult) -> dict[str, Any]:
        """Turn an execution result into the response map that gets JSON-encoded."""
        return format_result(result.data, result.errors, result.extensions)

    def render_graphql_ide(self, request: ChannelsRequest) -> ChannelsResponse:
        """The HTML page of the configured IDE."""
        return self._default_ide(request)

    @classmethod
    def _overrides_ide(cls) -> bool:
        return cls.render_graphql_ide is not SyncGraphQLHTTPConsumer.render_graphql_ide

    async def _render_ide(self, request: ChannelsRequest) -> ChannelsResponse:
        render = sync_to_async(self.render_graphql_ide)
        return await render(request)

    def _execute_sync(
        self,
        request: ChannelsRequest,
        params: GraphQLRequestParams,
        allowed: Sequence[OperationType],
        media_type: str,
    ) -> tuple[dict[str, Any], int, dict[str, str]]:
        response = TemporalResponse()
        context = self.get_context(request, response)
        root_value = self.get_root_value(request)
        result = self.schema.execute_sync(
            params.query,
            variable_values=params.variables,
            context_value=context,
            root_value=root_value,
            operation_name=params.operation_name,
            allowed_operation_types=allowed,
            operation_extensions=params.extensions,
        )
        payload = self.process_result(request, result)
        return payload, _status(payload, media_type, response), response.headers

    async def _execute(
        self,
        request: ChannelsRequest,
        params: GraphQLRequestParams,
        allowed: Sequence[OperationType],
        media_type: str,
    ) -> tuple[dict[str, Any], int, dict[str, str]]:
        run: Callable[..., Awaitable[tuple[dict[str, Any], int, dict[str, str]]]]
        run = database_sync_to_async(self._execute_sync)
        return await run(request, params, allowed, media_type)
