"""A shared cache of parsed and validated GraphQL documents.

Every transport (HTTP, WebSockets, HTTP streaming) runs operations through
Strawberry's public ``Schema.execute`` / ``Schema.subscribe``. Those parse and
validate the document on every call, which for a small query is most of the
time spent. :func:`install_document_cache` adds a schema extension that keeps
the parsed ``DocumentNode`` and the validation outcome per query text, so a
repeated operation skips both steps.

The same :class:`DocumentCache` is handed to the transports, which use
:meth:`DocumentCache.operation_type` to route an operation (a mutation sent
over GET, a query sent over a legacy ``start`` message) without parsing the
document a second time.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

if TYPE_CHECKING:
    from strawberry import Schema

__all__ = ["DEFAULT_DOCUMENT_CACHE_SIZE", "DocumentCache", "install_document_cache"]

#: How many distinct query texts the cache remembers before evicting the least
#: recently used one.
DEFAULT_DOCUMENT_CACHE_SIZE = 1024

_ValidationKey = tuple[str, tuple[Any, ...]]


class _LRU:
    """A small thread-safe least-recently-used mapping."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            try:
                self._data.move_to_end(key)
            except KeyError:
                return None
            return self._data[key]

    def put(self, key: Any, value: Any) -> None:
        if self.maxsize <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


class DocumentCache:
    """Parsed documents and validation results, keyed by the query text.

    Documents that fail to parse are not cached (the error is raised again on
    the next attempt), so a client cannot fill the cache with garbage faster
    than it could with valid queries.
    """

    def __init__(self, maxsize: int = DEFAULT_DOCUMENT_CACHE_SIZE) -> None:
        self._documents = _LRU(maxsize)
        self._validation = _LRU(maxsize)
        self.hits = 0
        self.misses = 0

    def parse(self, query: str) -> DocumentNode:
        """Return the parsed document for ``query``.

        Raises:
            graphql.GraphQLError: the query is not a valid GraphQL document.
        """
        document: DocumentNode | None = self._documents.get(query)
        if document is None:
            self.misses += 1
            document = parse(query)
            self._documents.put(query, document)
        else:
            self.hits += 1
        return document

    def operation_type(self, query: str, operation_name: str | None = None) -> OperationType | None:
        """The type of the operation that ``query`` would run.

        Returns ``None`` when the document does not parse or names no such
        operation; execution then reports the precise error.
        """
        try:
            document = self.parse(query)
        except GraphQLError:
            return None
        operation = _find_operation(document, operation_name)
        if operation is None:
            return None
        return OperationType(operation.operation.value)

    def validation_errors(self, key: _ValidationKey) -> list[GraphQLError] | None:
        """The remembered validation outcome (``[]`` means valid), if any."""
        errors: list[GraphQLError] | None = self._validation.get(key)
        return None if errors is None else list(errors)

    def remember_validation(self, key: _ValidationKey, errors: list[GraphQLError]) -> None:
        self._validation.put(key, list(errors))

    def __len__(self) -> int:
        return len(self._documents)


def _find_operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    operations: Iterator[OperationDefinitionNode] = (
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    )
    if operation_name is None:
        first = next(operations, None)
        # An anonymous pick is only well defined for single-operation documents.
        if first is not None and next(operations, None) is not None:
            return None
        return first
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation
    return None


class DocumentCacheExtension(SchemaExtension):
    """Schema extension that serves parsing and validation from a cache.

    Use :func:`install_document_cache` rather than adding it by hand: it
    creates a subclass bound to one :class:`DocumentCache`.
    """

    cache: ClassVar[DocumentCache]

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query and not context.parse_options:
            # On a syntax error, Strawberry's own parser runs and reports it.
            with contextlib.suppress(GraphQLError):
                context.graphql_document = self.cache.parse(context.query)
        yield None

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if query is None or context.parse_options:
            yield None
            return
        key: _ValidationKey = (query, tuple(context.validation_rules))
        cached = self.cache.validation_errors(key)
        if cached is not None and context.pre_execution_errors is None:
            context.pre_execution_errors = cached
            yield None
            return
        yield None
        if context.pre_execution_errors is not None:
            self.cache.remember_validation(key, context.pre_execution_errors)


def install_document_cache(
    schema: Schema, maxsize: int = DEFAULT_DOCUMENT_CACHE_SIZE
) -> DocumentCache:
    """Make ``schema`` serve parsing and validation from a shared cache.

    Idempotent: a schema that already has a cache keeps it, so every consumer
    built on the same schema shares one cache. The schema's ``extensions``
    tuple is replaced by a new one with the cache extension appended.
    """
    for extension in schema.extensions:
        if isinstance(extension, type) and issubclass(extension, DocumentCacheExtension):
            return extension.cache
    cache = DocumentCache(maxsize)
    bound = type("BoundDocumentCacheExtension", (DocumentCacheExtension,), {"cache": cache})
    schema.extensions = (*schema.extensions, bound)
    return cache
