"""Which subscriptions may share one execution: the rules, sans-IO.

A subscription field opts in with the :class:`SharedSubscription` field
extension. An operation on such a field shares its execution with the other
operations of the same process that have the same document, operation name,
variables and sharing key, unless something below the field could answer
differently per connection. This module decides that, once per document and
operation name, from the document and the schema alone:

* the subscription field has permission classes or field extensions other
  than the marker;
* a field the selection reaches (through fragments, and on every possible
  type of an interface) has permission classes, field extensions, or a
  resolver that takes ``info`` (and so can read the per-connection context).

What depends on the request (client ``extensions``, a root value, the
consumer's :meth:`~strawberry_channels.ChannelsConsumer.shared_key`) is
checked by :mod:`strawberry_channels.shared_subscriptions`, which runs the
shared executions. Each refusal is logged at debug level with its reason and
counted in :class:`SharedSubscriptionStats`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)
from strawberry.extensions import FieldExtension

from .lru import WeightedLRU

if TYPE_CHECKING:
    from strawberry import Info, Schema
    from strawberry.types.field import StrawberryField

__all__ = [
    "NOT_MARKED",
    "SharedSubscription",
    "SharedSubscriptionStats",
    "SharingRules",
    "disable_shared_subscriptions",
    "install_shared_subscriptions",
    "shared_subscription_stats",
    "variables_key",
]

_DEFINITION = "strawberry-definition"

#: The verdict on an operation whose field did not opt in (it runs unshared, silently).
NOT_MARKED = "the subscription field is not marked with SharedSubscription()"

#: How many verdicts (one per document and operation name) are remembered.
VERDICT_CACHE_SIZE = 1024
#: The total document size (characters) the remembered verdicts may stand for.
VERDICT_CACHE_BYTES = 1024 * 1024


class SharedSubscription(FieldExtension):
    """Marks a subscription field whose identical operations share one execution.

    Use it as ``@strawberry.subscription(extensions=[SharedSubscription()])``.
    Within one server process, the operations on the field with the same
    document, operation name, variables and sharing key
    (:meth:`~strawberry_channels.ChannelsConsumer.shared_key`) run one
    execution between them: one channel on the channel layer, one execution
    and one JSON encoding per event, and one frame per subscriber built
    around it.

    The resolver runs once per shared execution, so it must not depend on
    who subscribed: ``info.context["ws"]`` is the shared execution's own
    channel (``channel_layer``, ``channel_name`` and ``listen_to_channel`` work
    as usual), and any other context entry raises
    :class:`~strawberry_channels.SharedContextError`. A subscriber that joins
    a running execution receives its next event, so a resolver that yields a
    snapshot first, then updates, must not opt in.

    On anything else, the marker changes nothing: the resolver runs as it
    would without it (so a schema that uses it still works on other servers).
    """

    def apply(self, field: StrawberryField) -> None:
        if not field.is_subscription:
            raise TypeError(
                f"SharedSubscription() marks subscription fields; {field.python_name!r} is not one"
            )

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        # A subscription resolver returns its async generator: hand it on as is.
        return next_(source, info, **kwargs)


@dataclass
class SharedSubscriptionStats:
    """What the shared executions of one schema did in this process.

    Attributes:
        executions: shared executions running now.
        subscribers: operations subscribed to them now.
        started: shared executions started so far.
        events: events executed by them so far (once each, whatever the
            number of subscribers).
        dropped: events dropped for subscribers that read too slowly.
        refused: operations on a marked field that ran unshared, by reason.
    """

    executions: int = 0
    subscribers: int = 0
    started: int = 0
    events: int = 0
    dropped: int = 0
    refused: dict[str, int] = field(default_factory=dict)


class SharingRules:
    """The shared-subscription state of one schema: its switch, verdicts and stats."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self._schema = schema
        #: Whether operations on marked fields share executions (the switch).
        self.enabled = True
        #: Counters (see :class:`SharedSubscriptionStats`).
        self.stats = SharedSubscriptionStats()
        self._verdicts = WeightedLRU(VERDICT_CACHE_SIZE, VERDICT_CACHE_BYTES)
        root = schema.subscription_type
        #: Whether any subscription field of the schema is marked.
        self.any_marked = root is not None and any(
            _marked(definition) for definition in _definitions(root)
        )

    def verdict(self, document: DocumentNode, query: str, operation_name: str | None) -> str | None:
        """Why the operation may not share an execution (``None``: it may).

        :data:`NOT_MARKED` when its field did not opt in. Remembered per
        ``(query, operation_name)``.
        """
        key = (query, operation_name)
        verdict: str | None = self._verdicts.get(key)
        if verdict is None:
            verdict = _judge(self._schema, document, operation_name) or ""
            self._verdicts.put(key, verdict, len(query))
        return verdict or None

    def refused(self, reason: str) -> None:
        """Count an operation that runs unshared for ``reason``."""
        refused = self.stats.refused
        refused[reason] = refused.get(reason, 0) + 1


def install_shared_subscriptions(schema: Schema) -> SharingRules:
    """Ready ``schema`` for shared subscriptions (idempotent); returns its state.

    The consumers call it (through :func:`~strawberry_channels.execution.prepare_schema`).
    """
    rules: SharingRules | None = getattr(schema, "_strawberry_channels_sharing", None)
    if rules is None:
        rules = SharingRules(schema._schema)
        if getattr(schema, "_strawberry_channels_sharing_off", False):
            rules.enabled = False
        schema._strawberry_channels_sharing = rules  # type: ignore[attr-defined]
    return rules


def disable_shared_subscriptions(schema: Schema) -> None:
    """Run every subscription of ``schema`` unshared, marked or not (the switch).

    Takes effect for operations that start after the call; running shared
    executions go on until their subscribers leave.

    Args:
        schema: the Strawberry schema.
    """
    schema._strawberry_channels_sharing_off = True  # type: ignore[attr-defined]
    rules: SharingRules | None = getattr(schema, "_strawberry_channels_sharing", None)
    if rules is not None:
        rules.enabled = False


def shared_subscription_stats(schema: Schema) -> SharedSubscriptionStats:
    """The counters of ``schema``'s shared executions in this process.

    Args:
        schema: the Strawberry schema served by the consumers.
    """
    return install_shared_subscriptions(schema).stats


def variables_key(variables: dict[str, Any] | None) -> str | None:
    """The variables as a canonical string (key order does not matter);
    ``None`` when they are not plain JSON values."""
    if not variables:
        return ""
    try:
        return json.dumps(variables, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return None


# -- judging a document ----------------------------------------------------------


def _definitions(type_: GraphQLObjectType) -> Iterator[Any]:
    for field_def in type_.fields.values():
        definition = field_def.extensions.get(_DEFINITION)
        if definition is not None:
            yield definition


def _marked(definition: Any) -> bool:
    return any(isinstance(extension, SharedSubscription) for extension in definition.extensions)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


class _Judge:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        # (fragment, type) pairs already judged: each is judged once, however
        # often it is spread, so doubling fragments cost nothing extra.
        self.seen: set[tuple[str, str]] = set()

    def fields(
        self, selection_set: SelectionSetNode, type_name: str
    ) -> Iterator[tuple[FieldNode, str]]:
        """The field nodes of a selection set, with the type each applies to."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, type_name
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = condition.name.value if condition is not None else type_name
                yield from self.fields(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    continue
                inner = fragment.type_condition.name.value
                if (fragment.name.value, inner) in self.seen:
                    continue
                self.seen.add((fragment.name.value, inner))
                yield from self.fields(fragment.selection_set, inner)

    def selection(self, selection_set: SelectionSetNode, type_name: str) -> str | None:
        for node, applies_to in self.fields(selection_set, type_name):
            name = node.name.value
            if name.startswith("__"):
                continue
            type_ = self.schema.get_type(applies_to)
            if isinstance(type_, (GraphQLInterfaceType, GraphQLUnionType)):
                owners: list[GraphQLObjectType] = list(self.schema.get_possible_types(type_))
            elif isinstance(type_, GraphQLObjectType):
                owners = [type_]
            else:
                continue  # validation reports it
            for owner in owners:
                field_def = owner.fields.get(name)
                if field_def is None:
                    continue
                definition = field_def.extensions.get(_DEFINITION)
                reason = _field_reason(f"{owner.name}.{name}", definition)
                if reason is None and node.selection_set is not None:
                    reason = self.selection(node.selection_set, get_named_type(field_def.type).name)
                if reason is not None:
                    return reason
        return None


def _field_reason(where: str, definition: Any) -> str | None:
    if definition is None:
        return f"{where} is not a Strawberry field"
    if definition.permission_classes:
        return f"{where} has permission classes"
    if definition.extensions:
        return f"{where} has the field extension {type(definition.extensions[0]).__name__}"
    resolver = definition.base_resolver
    if resolver is not None and resolver.info_parameter is not None:
        return f"the resolver of {where} takes info"
    return None


def _judge(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> str | None:
    root = schema.subscription_type
    operation = _operation(document, operation_name)
    if root is None or operation is None or operation.operation.value != "subscription":
        return NOT_MARKED
    judge = _Judge(schema, document)
    root_fields = list(judge.fields(operation.selection_set, root.name))
    if len({node.name.value for node, _ in root_fields}) != 1:
        return NOT_MARKED  # not one root field: validation reports it
    node, _ = root_fields[0]
    name = node.name.value
    field_def = root.fields.get(name)
    definition = field_def.extensions.get(_DEFINITION) if field_def is not None else None
    if field_def is None or definition is None or not _marked(definition):
        return NOT_MARKED
    where = f"{root.name}.{name}"
    if definition.permission_classes:
        return f"{where} has permission classes"
    for extension in definition.extensions:
        if not isinstance(extension, SharedSubscription):
            return f"{where} has the field extension {type(extension).__name__}"
    named = get_named_type(field_def.type).name
    for root_node, _ in root_fields:
        if root_node.selection_set is not None:
            reason = judge.selection(root_node.selection_set, named)
            if reason is not None:
                return reason
    return None
