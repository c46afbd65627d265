"""Running GraphQL operations: the one execution path of every transport.

Every transport (graphql-transport-ws, graphql-ws, HTTP single results, GraphQL
over SSE, multipart subscriptions) runs its operations through this module, and
formats their results with it:

* :func:`prepare_schema` readies a schema for serving (today: installs the
  :class:`~strawberry_channels.DocumentCache`); a consumer calls it once, in its
  constructor, so every optimisation of the schema plugs in here;
* :func:`execute` / :func:`execute_sync` run a query or mutation to its single
  result; :func:`subscribe` runs a subscription as an event stream;
  :func:`results` runs any operation as a stream of results (one for a query
  or mutation);
* :func:`is_request_error` is the one test of "failed before execution" vs
  "execution error", and :func:`format_result` builds the response map.

All of it goes through Strawberry's public ``Schema.execute`` /
``Schema.execute_sync`` / ``Schema.stream``, so whatever a schema installs
(extensions, an execution context class) applies to every transport. The
module does no I/O and imports neither Channels nor Django.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType

from .compiled_execution import install_compiled_execution
from .document_cache import DEFAULT_DOCUMENT_CACHE_SIZE, DocumentCache, install_document_cache
from .errors import install_error_masking, mask_errors
from .json_codec import encode_json_bytes
from .limits import install_query_limits
from .sharing_rules import install_shared_subscriptions

if TYPE_CHECKING:
    from strawberry import Schema

__all__ = [
    "DEFAULT_DOCUMENT_CACHE_SIZE",
    "SINGLE_RESULT_TYPES",
    "DocumentCache",
    "OperationSource",
    "SharedResult",
    "execute",
    "execute_sync",
    "format_result",
    "formatted_errors",
    "install_document_cache",
    "is_request_error",
    "prepare_schema",
    "rejected_before_execution",
    "result_payload",
    "results",
    "subscribe",
]

#: The operation types that answer exactly one result.
SINGLE_RESULT_TYPES = (OperationType.QUERY, OperationType.MUTATION)


class OperationSource(Protocol):
    """What a transport decoded from the client: the operation to run.

    Both :class:`~strawberry_channels.protocols.graphql_http.GraphQLRequestParams`
    and :class:`~strawberry_channels.protocols.operations.Operation` are one.
    """

    @property
    def query(self) -> str: ...

    @property
    def variables(self) -> dict[str, Any] | None: ...

    @property
    def operation_name(self) -> str | None: ...

    @property
    def extensions(self) -> dict[str, Any] | None: ...


def prepare_schema(schema: Schema, *, debug: bool = False) -> DocumentCache:
    """Ready ``schema`` for serving; returns its document cache.

    Idempotent: every consumer calls it in its constructor, and the schema is
    prepared once. This is the one place where serving-time optimisations and
    safeguards of a schema are installed, each with its own switch: the
    document cache, the default query cost limits
    (:func:`~strawberry_channels.install_query_limits`), the masking of
    infrastructure errors, compiled execution
    (:func:`~strawberry_channels.disable_compiled_execution`) and shared
    subscriptions (:func:`~strawberry_channels.disable_shared_subscriptions`).

    Args:
        schema: the Strawberry schema a consumer serves.
        debug: let infrastructure errors reach clients in full.

    Returns:
        The schema's :class:`~strawberry_channels.DocumentCache`, which
        transports use to route an operation by its type.
    """
    prepared: DocumentCache | None = getattr(schema, "_strawberry_channels_prepared", None)
    if prepared is not None:
        if debug:
            install_error_masking(schema, debug=True)
        return prepared  # (an HTTP consumer is built per request)
    cache = install_document_cache(schema)
    install_query_limits(schema)  # default cost limits unless the schema has its own
    install_error_masking(schema, debug=debug)
    install_compiled_execution(schema)
    install_shared_subscriptions(schema)
    schema._strawberry_channels_prepared = cache  # type: ignore[attr-defined]
    return cache


# -- results ---------------------------------------------------------------------


def is_request_error(errors: Sequence[GraphQLError] | None, data: object) -> bool:
    """Whether a result failed before execution started.

    Parse, validation and variable coercion errors leave no ``data`` and carry
    no ``path``; an error raised by a resolver always has a path.

    Args:
        errors: the result's errors.
        data: the result's data.
    """
    return bool(errors) and data is None and all(error.path is None for error in errors or ())


def rejected_before_execution(result: ExecutionResult) -> bool:
    """Whether Strawberry refused ``result``'s operation before running it.

    A request error (see :func:`is_request_error`) that Strawberry marks as a
    :class:`~strawberry.types.execution.PreExecutionError`: a document that
    does not parse or validate, an unknown operation. The WebSocket protocols
    answer these with an ``error`` message instead of a result. (A
    subscription resolver that fails before its first result is reported as a
    ``PreExecutionError`` too, but its errors carry a ``path``: an execution
    error.)

    Args:
        result: the first (or only) result of an operation.
    """
    return isinstance(result, PreExecutionError) and is_request_error(result.errors, result.data)


def format_result(
    data: dict[str, Any] | None,
    errors: Sequence[GraphQLError] | None,
    extensions: Mapping[str, Any] | None = None,
    *,
    keep_data: bool = False,
) -> dict[str, Any]:
    """The GraphQL response map of a result.

    A request error has no ``data`` entry at all, as the GraphQL-over-HTTP
    draft requires, unless ``keep_data`` is set.

    Args:
        data: the result's data.
        errors: the result's errors.
        extensions: the result's extensions (left out when empty).
        keep_data: always write a ``data`` entry (``null`` for a request error).
    """
    body: dict[str, Any] = {}
    if keep_data or not is_request_error(errors, data):
        body["data"] = data
    if errors:
        body["errors"] = [error.formatted for error in errors]
    if extensions:
        body["extensions"] = extensions
    return body


class SharedResult(ExecutionResult):
    """One event of a shared execution, delivered to every subscriber of it.

    Its response map (:func:`result_payload`) and that map's JSON
    (:meth:`encoded`) are computed once, by the first subscriber that asks,
    whatever the number of subscribers. Treat both as read-only.
    """

    def __init__(self, result: ExecutionResult) -> None:
        super().__init__(result.data, result.errors, result.extensions)
        self._payloads: dict[bool, dict[str, Any]] = {}
        self._encoded: dict[bool, bytes] = {}

    def payload(self, *, keep_data: bool = False) -> dict[str, Any]:
        """The response map (see :func:`format_result`), computed once."""
        payload = self._payloads.get(keep_data)
        if payload is None:
            payload = self._payloads[keep_data] = format_result(
                self.data, self.errors, self.extensions, keep_data=keep_data
            )
        return payload

    def encoded(self, *, keep_data: bool = False) -> bytes:
        """The response map as compact JSON (the package's encoder), computed once."""
        encoded = self._encoded.get(keep_data)
        if encoded is None:
            encoded = self._encoded[keep_data] = encode_json_bytes(
                self.payload(keep_data=keep_data)
            )
        return encoded


def result_payload(result: ExecutionResult, *, keep_data: bool = False) -> dict[str, Any]:
    """:func:`format_result` of an execution result.

    Args:
        result: the execution result.
        keep_data: always write a ``data`` entry.
    """
    if isinstance(result, SharedResult):
        return result.payload(keep_data=keep_data)
    return format_result(result.data, result.errors, result.extensions, keep_data=keep_data)


def formatted_errors(result: ExecutionResult) -> list[dict[str, Any]]:
    """The result's errors, formatted (an empty list when it has none).

    Args:
        result: the execution result.
    """
    return [dict(error.formatted) for error in result.errors or ()]


# -- running ---------------------------------------------------------------------


def _arguments(
    operation: OperationSource,
    context: Any,
    root_value: Any,
    allowed_operation_types: Iterable[OperationType] | None,
) -> dict[str, Any]:
    return {
        "variable_values": operation.variables,
        "context_value": context,
        "root_value": root_value,
        "operation_name": operation.operation_name,
        "allowed_operation_types": allowed_operation_types,
        "operation_extensions": operation.extensions,
    }


async def execute(
    schema: Schema,
    operation: OperationSource,
    *,
    context: Any = None,
    root_value: Any = None,
    allowed_operation_types: Iterable[OperationType] | None = None,
) -> ExecutionResult:
    """Run a query or mutation to its single result.

    Args:
        schema: the schema (prepared with :func:`prepare_schema`).
        operation: the decoded operation.
        context: the context value resolvers see.
        root_value: the root value.
        allowed_operation_types: operation types allowed (Strawberry's
            default when ``None``); another type raises Strawberry's
            ``InvalidOperationTypeError`` before anything runs.
    """
    arguments = _arguments(operation, context, root_value, allowed_operation_types)
    try:
        result = await schema.execute(operation.query, **arguments)
    except (CannotGetOperationTypeError, MissingQueryError) as error:
        return _no_such_operation(error)
    mask_errors(schema, result)
    return result


def execute_sync(
    schema: Schema,
    operation: OperationSource,
    *,
    context: Any = None,
    root_value: Any = None,
    allowed_operation_types: Iterable[OperationType] | None = None,
) -> ExecutionResult:
    """Like :func:`execute`, for a synchronous schema (runs in the calling thread).

    The arguments are those of :func:`execute`.
    """
    arguments = _arguments(operation, context, root_value, allowed_operation_types)
    try:
        result = schema.execute_sync(operation.query, **arguments)
    except (CannotGetOperationTypeError, MissingQueryError) as error:
        return _no_such_operation(error)
    mask_errors(schema, result)
    return result


def _no_such_operation(error: CannotGetOperationTypeError | MissingQueryError) -> ExecutionResult:
    # Strawberry raises (rather than reports) an empty document and an
    # operation name the document does not define: request errors like any other.
    message = (
        error.as_http_error_reason()
        if isinstance(error, CannotGetOperationTypeError)
        else str(error)
    )
    return ExecutionResult(data=None, errors=[GraphQLError(message)])


async def subscribe(
    schema: Schema,
    operation: OperationSource,
    *,
    context: Any = None,
    root_value: Any = None,
) -> AsyncGenerator[ExecutionResult, None]:
    """Run a subscription: an async iterator of its results (its event stream).

    A subscription refused before it starts yields one result (check it with
    :func:`rejected_before_execution`). Incremental delivery frames
    (``@defer``/``@stream``) are not served and are skipped. Closing the
    iterator (or cancelling its consumer) closes the subscription.

    Args:
        schema: the schema (prepared with :func:`prepare_schema`).
        operation: the decoded operation.
        context: the context value resolvers see.
        root_value: the root value.
    """
    arguments = _arguments(operation, context, root_value, None)
    stream = await schema.stream(operation.query, **arguments)
    try:
        async for frame in stream:
            if isinstance(frame, ExecutionResult):
                if frame.errors:
                    mask_errors(schema, frame)
                yield frame
            del frame  # not held while the next event is awaited
    finally:
        await stream.aclose()


def results(
    schema: Schema,
    operation: OperationSource,
    operation_type: OperationType | None,
    *,
    context: Any = None,
    root_value: Any = None,
) -> AsyncGenerator[ExecutionResult, None]:
    """Run any operation as a stream of results (an async generator; close it when done).

    A query or mutation yields its single result from :func:`execute`;
    anything else (a subscription, or a document whose operation cannot be
    found because it does not parse or names no operation it has) is
    :func:`subscribe`'s event stream itself, which yields the events or the
    one error.

    Args:
        schema: the schema (prepared with :func:`prepare_schema`).
        operation: the decoded operation.
        operation_type: the operation's type, from
            :meth:`DocumentCache.operation_type`.
        context: the context value resolvers see.
        root_value: the root value.
    """
    if operation_type in SINGLE_RESULT_TYPES:
        return _single_result(schema, operation, context, root_value)
    return subscribe(schema, operation, context=context, root_value=root_value)


async def _single_result(
    schema: Schema, operation: OperationSource, context: Any, root_value: Any
) -> AsyncGenerator[ExecutionResult, None]:
    yield await execute(
        schema,
        operation,
        context=context,
        root_value=root_value,
        allowed_operation_types=SINGLE_RESULT_TYPES,
    )
