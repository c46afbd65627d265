"""Query cost limits: refuse an expensive document before it is validated or run.

A GraphQL document can cost far more than its size suggests: fragments that
spread each other twice at every level expand to millions of fields from a
kilobyte of text, and graphql-core's validation and execution then spend
minutes of CPU on it. :class:`QueryLimits` bounds what a document may cost,
measured on the parsed document before validation:

* ``max_document_size``: length of the query text in bytes (UTF-8), checked
  before anything is parsed;
* ``max_tokens``: lexical tokens, enforced by graphql-core's parser
  (``parse(..., max_tokens=...)``, the mechanism Strawberry's
  ``MaxTokensLimiter`` uses), so a long document stops being parsed early;
* ``max_aliases``, ``max_depth`` and ``max_fields``: counted with every
  fragment spread expanded where it is spread, so a fragment spread a
  thousand times counts a thousand times, and a fragment cycle is refused
  instead of being followed.

Strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` are validation
rules: they run in the same validation pass as graphql-core's own rules, whose
cost on a fragment bomb is what must be avoided, so the checks here run first,
on the parsed document, in time linear in its size. Those extensions still
work on top (they add their own rules).

Every transport (HTTP, multipart uploads, both WebSocket protocols, SSE)
parses through the schema's :class:`~strawberry_channels.DocumentCache`, so
one :func:`install_query_limits` covers them all. The consumers install the
default limits; call :func:`install_query_limits` with your own
:class:`QueryLimits` to change them (before or after the consumers are built).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)

if TYPE_CHECKING:
    from strawberry import Schema

__all__ = [
    "DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION",
    "QueryLimitError",
    "QueryLimits",
    "install_query_limits",
]

#: Operations one WebSocket may run at once unless the consumer says otherwise
#: (the ``max_subscriptions_per_connection`` option of the WebSocket consumer).
DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION = 100


class QueryLimitError(GraphQLError):
    """A document exceeds one of the :class:`QueryLimits`.

    It is reported to the client like a syntax error (a request error: HTTP
    ``400`` on ``application/graphql-response+json``, an ``error`` message on
    graphql-transport-ws). Refused documents are never cached.
    """


@dataclasses.dataclass(frozen=True)
class QueryLimits:
    """The most a single GraphQL document may cost. ``None`` turns a check off.

    Attributes:
        max_document_size: longest query text, in UTF-8 bytes.
        max_tokens: most lexical tokens (names, punctuation, values).
        max_aliases: most aliased fields, counted after fragment expansion.
        max_depth: deepest field nesting, after fragment expansion
            (``{ a { b } }`` has depth 2).
        max_fields: most field selections after fragment expansion.
        max_cached_document_size: longest query text (UTF-8 bytes) the document
            cache keeps; longer accepted documents are parsed for each request.
    """

    max_document_size: int | None = 100 * 1024
    max_tokens: int | None = 15_000
    max_aliases: int | None = 200
    max_depth: int | None = 20
    max_fields: int | None = 5_000
    max_cached_document_size: int | None = 32 * 1024

    @classmethod
    def unlimited(cls) -> QueryLimits:
        """Limits that check nothing (the behaviour before limits existed)."""
        return cls(None, None, None, None, None, None)

    def parse(self, query: str) -> DocumentNode:
        """Parse ``query`` and check it against the limits.

        Raises:
            QueryLimitError: a limit is exceeded.
            graphql.GraphQLError: the query is not a valid GraphQL document.
        """
        if self.max_document_size is not None and (
            len(query) > self.max_document_size
            or len(query.encode("utf-8", "surrogatepass")) > self.max_document_size
        ):
            raise QueryLimitError(f"Document too large: more than {self.max_document_size} bytes.")
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except RecursionError:
            raise QueryLimitError("Document too deeply nested.") from None
        except GraphQLError as error:
            if self.max_tokens is not None and error.message.endswith("tokens. Parsing aborted."):
                raise QueryLimitError(
                    f"Document too long: more than {self.max_tokens} tokens."
                ) from None
            raise
        if (
            self.max_aliases is not None
            or self.max_depth is not None
            or self.max_fields is not None
        ):
            _Measure(self, document).check()
        return document

    def cacheable(self, query: str) -> bool:
        """Whether the document cache may keep ``query``'s document."""
        limit = self.max_cached_document_size
        return limit is None or len(query.encode("utf-8", "surrogatepass")) <= limit


def refused_document(operation_name: str | None) -> DocumentNode:
    """A stand-in for a refused document: one query named ``operation_name``.

    Strawberry still looks up the operation's type in the document it is
    given; with this one and the limit error as the pre-execution errors, every
    path (execute, subscribe, stream) answers with the error and runs nothing.
    """
    operation = OperationDefinitionNode(
        operation=OperationType.QUERY,
        name=NameNode(value=operation_name) if operation_name else None,
        variable_definitions=(),
        directives=(),
        selection_set=SelectionSetNode(selections=(FieldNode(name=NameNode(value="__typename")),)),
    )
    return DocumentNode(definitions=(operation,))


@dataclasses.dataclass
class _Cost:
    fields: int = 0
    aliases: int = 0
    depth: int = 0


class _Measure:
    """Fields, aliases and depth of each operation and fragment, with spreads expanded.

    Each fragment is measured once and its cost reused wherever it is spread,
    so the walk is linear in the size of the document whatever it expands to.
    """

    def __init__(self, limits: QueryLimits, document: DocumentNode) -> None:
        self.limits = limits
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.document = document
        self.costs: dict[str, _Cost] = {}
        self.in_progress: set[str] = set()

    def check(self) -> None:
        try:
            for definition in self.document.definitions:
                if isinstance(definition, (OperationDefinitionNode, FragmentDefinitionNode)):
                    self.enforce(self.selection_set(definition.selection_set, 0))
        except RecursionError:
            raise QueryLimitError("Document too deeply nested.") from None

    def enforce(self, cost: _Cost) -> None:
        limits = self.limits
        if limits.max_fields is not None and cost.fields > limits.max_fields:
            raise QueryLimitError(
                f"Query too large: more than {limits.max_fields} fields"
                " once fragments are expanded."
            )
        if limits.max_aliases is not None and cost.aliases > limits.max_aliases:
            raise QueryLimitError(f"Query has more than {limits.max_aliases} aliases.")
        if limits.max_depth is not None and cost.depth > limits.max_depth:
            raise QueryLimitError(f"Query is nested deeper than {limits.max_depth} levels.")

    def fragment(self, name: str, level: int) -> _Cost:
        cost = self.costs.get(name)
        if cost is not None:
            return cost
        definition = self.fragments.get(name)
        if definition is None:
            return _Cost()  # validation reports the unknown fragment
        if name in self.in_progress:
            raise QueryLimitError(f"Cannot spread fragment '{name}' within itself.")
        self.in_progress.add(name)
        cost = self.selection_set(definition.selection_set, level)
        self.in_progress.discard(name)
        self.costs[name] = cost
        return cost

    def selection_set(self, selection_set: SelectionSetNode | None, level: int) -> _Cost:
        total = _Cost()
        if selection_set is None:
            return total
        max_depth = self.limits.max_depth
        if max_depth is not None and level >= max_depth:
            # Fields here would be deeper than allowed: stop descending.
            raise QueryLimitError(f"Query is nested deeper than {max_depth} levels.")
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = self.selection_set(selection.selection_set, level + 1)
                total.fields += 1 + inner.fields
                total.aliases += inner.aliases + (selection.alias is not None)
                total.depth = max(total.depth, 1 + inner.depth)
            else:
                if isinstance(selection, FragmentSpreadNode):
                    inner = self.fragment(selection.name.value, level)
                else:
                    assert isinstance(selection, InlineFragmentNode)
                    inner = self.selection_set(selection.selection_set, level)
                total.fields += inner.fields
                total.aliases += inner.aliases
                total.depth = max(total.depth, inner.depth)
            self.enforce(total)
        return total


def install_query_limits(schema: Schema, limits: QueryLimits | None = None) -> QueryLimits:
    """Make every operation on ``schema`` respect ``limits``.

    With ``limits=None`` (what the consumers call) the schema keeps the limits
    it has, or gets the default :class:`QueryLimits` when it has none. Pass
    your own to change them; pass :meth:`QueryLimits.unlimited` to turn every
    check off. Installs the document cache too, through which every transport
    parses. Returns the limits in force.
    """
    from .execution import install_document_cache

    cache = install_document_cache(schema)
    if limits is not None or cache.limits is None:
        cache.limits = limits or QueryLimits()
    return cache.limits
