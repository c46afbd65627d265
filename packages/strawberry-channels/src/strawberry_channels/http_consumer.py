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

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from . import execution
from .base import ChannelsConsumer
from .disconnect import cancel_on_disconnect
from .headers import Headers
from .hosts import host_allowed
from .http_stream import write_stream
from .ide import GRAPHQL_IDES, GraphQL_IDE, ide_asset, render_ide_page
from .json_codec import encode_json_bytes
from .operation_runner import operation_results
from .protocols.graphql_http import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    GraphQLRequestParams,
    HTTPError,
    format_result,
    negotiate,
    result_status,
)
from .protocols.http_planner import (
    JSON_OFFERS,
    HTTPOptions,
    ServeAsset,
    ServeIDE,
    Stream,
    StreamProtocol,
    plan_head,
    plan_request,
)
from .request import ChannelsRequest, ChannelsResponse, TemporalResponse

if TYPE_CHECKING:
    from strawberry import Schema

__all__ = ["GraphQLHTTPConsumer", "SubscriptionProtocol", "SyncGraphQLHTTPConsumer"]

logger = logging.getLogger("strawberry_channels.http")

#: The HTTP streaming protocols a consumer can enable for subscriptions.
SubscriptionProtocol = StreamProtocol

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_CONTENT_TYPES = {
    APPLICATION_JSON: b"application/json",
    GRAPHQL_RESPONSE_JSON: b"application/graphql-response+json",
}


class _Disconnected(Exception):
    """The client went away before the request body was complete."""


class _BaseHTTPConsumer(ChannelsConsumer):
    """Request decoding, negotiation and response writing shared by both consumers."""

    _streaming_supported: ClassVar[bool] = False
    _channel_on_demand = True

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
        self.document_cache = execution.prepare_schema(schema)
        self._http_options: HTTPOptions | None = None

    # -- overridable JSON hooks -------------------------------------------------

    def decode_json(self, data: str | bytes) -> object:
        """Decode a JSON request body or parameter; raise ``ValueError`` when invalid."""
        return json.loads(data)

    def encode_json(self, data: object) -> str | bytes:
        """Encode a response body."""
        return encode_json_bytes(data)

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
        finally:
            self._drop_lazy_channel()

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

    def _options(self) -> HTTPOptions:
        options = self._http_options
        if options is None:
            streams = self.subscription_protocols if self._streaming_supported else ()
            options = self._http_options = HTTPOptions(
                allow_queries_via_get=self.allow_queries_via_get,
                multipart_uploads_enabled=self.multipart_uploads_enabled,
                ide_available=self.graphql_ide is not None or type(self)._overrides_ide(),
                stream_protocols=streams,
                max_upload_size=self.max_upload_size,
                max_body_size=self.max_body_size,
                decode_json=self.decode_json,
                make_file=_django_file,
            )
        return options

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        headers = Headers.from_scope(scope)
        self._accept = headers.get("accept")
        if not host_allowed(headers.get("host")):
            raise HTTPError(400, "The Host header is not in ALLOWED_HOSTS")
        options = self._options()
        head = plan_head(method, headers, options)
        if isinstance(head, HTTPError):
            raise head
        body = await self._read_body(receive, head.limit)
        request = ChannelsRequest(
            consumer=self,
            body=body,
            headers=headers,
            method=method,
            content_type=headers.get("content-type"),
        )
        plan = plan_request(
            method,
            headers,
            scope.get("query_string", b""),
            body,
            options,
            self.document_cache.operation_type,
        )
        if isinstance(plan, HTTPError):
            raise plan
        if isinstance(plan, ServeAsset):
            await self._send_response(self._ide_asset(plan.name, headers), send)
        elif isinstance(plan, ServeIDE):
            await self._send_response(await self._render_ide(request), send)
        elif isinstance(plan, Stream):
            await self._stream(request, plan, receive, send)
        else:
            try:
                payload, status, extra_headers = await self._execute(
                    request, plan.params, plan.allowed, plan.media_type
                )
            except InvalidOperationTypeError as error:
                raise plan.refusal(error.operation_type) from None
            await self._send(
                send,
                status,
                _CONTENT_TYPES[plan.media_type],
                _as_bytes(self.encode_json(payload)),
                extra_headers,
            )

    # -- responses -------------------------------------------------------------------

    def _ide_asset(self, name: str, headers: Mapping[str, str]) -> ChannelsResponse:
        """One of the default IDE's files (``?asset=``), only those in the manifest."""
        asset = ide_asset(name) if self.graphql_ide is not None else None
        if asset is None:
            raise HTTPError(404, "No such IDE asset")
        etag = f'"{asset.sha256}"'
        cache = {
            # The name carries the version: the content behind a URL never changes.
            "cache-control": "public, max-age=31536000, immutable",
            "etag": etag,
            "x-content-type-options": "nosniff",
        }
        if headers.get("if-none-match") == etag:
            return ChannelsResponse(b"", 304, asset.content_type, cache)
        return ChannelsResponse(asset.content, 200, asset.content_type, cache)

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
        media_type = negotiate(getattr(self, "_accept", None), JSON_OFFERS) or APPLICATION_JSON
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
        self, request: ChannelsRequest, plan: Stream, receive: Receive, send: Send
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


def _django_file(name: str, data: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type)


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
        result = await execution.execute(
            self.schema,
            params,
            context=context,
            root_value=root_value,
            allowed_operation_types=allowed,
        )
        payload = await self.process_result(request, result)
        return payload, _status(payload, media_type, response), response.headers

    async def _stream(
        self, request: ChannelsRequest, plan: Stream, receive: Receive, send: Send
    ) -> None:
        response = TemporalResponse()
        context = await self.get_context(request, response)
        root_value = await self.get_root_value(request)

        # Shared results go out as the JSON they were encoded to once, unless
        # process_result or encode_json is overridden.
        splice = (
            type(self).process_result is GraphQLHTTPConsumer.process_result
            and type(self).encode_json is _BaseHTTPConsumer.encode_json
        )

        async def payloads() -> AsyncIterator[dict[str, Any] | bytes]:
            async with operation_results(
                self,
                self.schema,
                self.document_cache,
                plan.params,
                plan.operation_type,
                context=context,
                root_value=root_value,
            ) as results:
                async for result in results:
                    if splice and isinstance(result, execution.SharedResult):
                        yield result.encoded()
                    else:
                        yield await self.process_result(request, result)

        await write_stream(
            send=send,
            receive=receive,
            encoder=plan.encoder,
            payloads=payloads,
            encode=lambda data: _as_bytes(self.encode_json(data)),
            extra_headers=[
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in response.headers.items()
            ],
            heartbeat_interval=self.heartbeat_interval,
        )


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
        result = execution.execute_sync(
            self.schema,
            params,
            context=context,
            root_value=root_value,
            allowed_operation_types=allowed,
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
