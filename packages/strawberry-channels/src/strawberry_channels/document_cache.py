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

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from .limits import QueryLimitError, refused_document
from .lru import WeightedLRU

if TYPE_CHECKING:
    from strawberry import Schema

    from .limits import QueryLimits

__all__ = [
    "DEFAULT_DOCUMENT_CACHE_BYTES",
    "DEFAULT_DOCUMENT_CACHE_SIZE",
    "DocumentCache",
    "install_document_cache",
]

#: How many distinct query texts the cache remembers before evicting the least
#: recently used one.
DEFAULT_DOCUMENT_CACHE_SIZE = 1024
#: Total length of the query texts the cache keeps (each parsed document holds
#: about 50-100 bytes of AST per byte of text).
DEFAULT_DOCUMENT_CACHE_BYTES = 1024 * 1024

_ValidationKey = tuple[str, tuple[Any, ...]]


class DocumentCache:
    """Parsed documents and validation results, keyed by the query text.

    Documents that fail to parse are not cached (the error is raised again on
    the next attempt), so a client cannot fill the cache with garbage faster
    than it could with valid queries. Documents refused by the
    :class:`~strawberry_channels.QueryLimits` in :attr:`limits` are not cached
    either, nor are documents longer than its ``max_cached_document_size``;
    the cache is bounded by ``max_bytes`` of query text.
    """

    def __init__(
        self,
        maxsize: int = DEFAULT_DOCUMENT_CACHE_SIZE,
        max_bytes: int = DEFAULT_DOCUMENT_CACHE_BYTES,
    ) -> None:
        self._documents = WeightedLRU(maxsize, max_bytes)
        self._validation = WeightedLRU(maxsize, max_bytes)
        #: The query cost limits checked on every parse
        #: (see :func:`~strawberry_channels.install_query_limits`).
        self.limits: QueryLimits | None = None
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
            limits = self.limits
            document = parse(query) if limits is None else limits.parse(query)
            if limits is None or limits.cacheable(query):
                self._documents.put(query, document, len(query))
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

    def prepared(self, key: _ValidationKey) -> tuple[DocumentNode, list[GraphQLError]] | None:
        """The document and validation errors (``[]``: valid) remembered for
        ``(query, validation rules)``, if that pair was validated before."""
        entry: tuple[DocumentNode, list[GraphQLError]] | None = self._validation.get(key)
        if entry is None:
            return None
        self.hits += 1
        return entry[0], list(entry[1])

    def remember_validation(
        self, key: _ValidationKey, document: DocumentNode, errors: list[GraphQLError]
    ) -> None:
        """Remember how ``document`` (parsed from ``key``'s query) validated."""
        if self.limits is None or self.limits.cacheable(key[0]):
            self._validation.put(key, (document, list(errors)), len(key[0]))

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

    The work happens in a single ``on_operation`` hook, because Strawberry
    wraps every hook of every extension in a fresh context manager per
    operation: when the document and its validation outcome are cached, they
    are put on the execution context before Strawberry would parse or
    validate, and both steps are skipped. That needs the extension to be the
    schema's last one, so that the validation rules other extensions add in
    their own ``on_operation`` are known; otherwise only parsing is cached.
    On a validation miss the instance
    switches to a subclass that also has an ``on_validate`` hook, lets
    Strawberry validate as usual, and remembers the outcome under the
    validation rules that were actually used. A cached outcome is therefore
    only ever reused for the exact query text and rules it was computed with.
    """

    cache: ClassVar[DocumentCache]
    _remembering: ClassVar[type[DocumentCacheExtension]]

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if context.graphql_document is None and query and not context.parse_options:
            # Validation rules are final only once every other extension's
            # on_operation has run, i.e. when this extension is the last one.
            rules_final = context.schema.extensions[-1] is type(self)
            prepared = None
            if rules_final and context.pre_execution_errors is None:
                prepared = self.cache.prepared((query, tuple(context.validation_rules)))
            if prepared is not None:
                context.graphql_document, context.pre_execution_errors = prepared
            else:
                try:
                    context.graphql_document = self.cache.parse(query)
                except QueryLimitError as error:
                    # Refused: Strawberry must neither parse nor validate it.
                    context.graphql_document = refused_document(context.operation_name)
                    context.pre_execution_errors = [error]
                except GraphQLError:
                    pass  # Strawberry's own parser runs and reports the syntax error.
                else:
                    if rules_final and context.pre_execution_errors is None:
                        self.__class__ = self._remembering
        yield None


class _RememberValidation(DocumentCacheExtension):
    """Adds the ``on_validate`` hook used once per query text and rule set."""

    def on_validate(self) -> Iterator[None]:
        yield None
        context = self.execution_context
        errors = context.pre_execution_errors
        document = context.graphql_document
        if errors is not None and document is not None and context.query:
            key: _ValidationKey = (context.query, tuple(context.validation_rules))
            self.cache.remember_validation(key, document, errors)


def install_document_cache(
    schema: Schema, maxsize: int = DEFAULT_DOCUMENT_CACHE_SIZE
) -> DocumentCache:
    """Make ``schema`` serve parsing and validation from a shared cache.

    Idempotent: a schema that already has a cache keeps it, so every consumer
    built on the same schema shares one cache. The schema's ``extensions``
    tuple is replaced by a new one with the cache extension appended.
    Validation outcomes are cached only while the cache extension stays the
    last one (extensions added later may add validation rules); parsed
    documents are cached either way.
    """
    for extension in schema.extensions:
        if isinstance(extension, type) and issubclass(extension, DocumentCacheExtension):
            return extension.cache
    cache = DocumentCache(maxsize)
    bound: type[DocumentCacheExtension] = type(
        "BoundDocumentCacheExtension", (DocumentCacheExtension,), {"cache": cache}
    )
    bound._remembering = type("BoundDocumentCacheValidation", (_RememberValidation, bound), {})
    schema.extensions = (*schema.extensions, bound)
    return cache
