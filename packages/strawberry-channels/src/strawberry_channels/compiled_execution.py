"""Compiled execution: selection sets over plain object types as plain Python.

graphql-core completes every value of every field through a general
executor: per field it builds a resolve-info object and a path, calls the
resolver, and walks the type to complete the result. For a selection set over
plain object types whose fields use Strawberry's default resolver (an
attribute read), all of that is known once the document is validated. This
module compiles such a subtree, once per document and per outcome of the
``@skip``/``@include`` variables it uses, into one generated Python function
that reads the attributes and builds the same ``dict`` graphql-core would.

It is installed through Strawberry's public executor hook
(``Schema.execution_context_class``, which Strawberry passes to graphql-core
as its ``executor_class``) by :func:`install_compiled_execution`. graphql-core
keeps driving execution: root fields, custom resolvers, and everything the
compiler does not handle run exactly as before; whenever graphql-core is about
to complete a value whose subtree was compiled, the compiled function runs
instead.

Compiled code never reports an error itself. On anything unexpected (an
exception, a ``None`` in a non-null position, a value of an unexpected type,
an awaitable or an ``Exception`` value) it abandons the subtree and
graphql-core completes the same resolved value from the start, producing the
exact errors, paths and null propagation it always would. A compiled subtree
contains only attribute reads, so abandoning it never calls a custom resolver
twice.

Subscriptions: each event of a subscription whose root field is a plain
Strawberry subscription field runs one compiled function. Every per-event
executor also gets its own ``collect_subfields`` memo, which graphql-core 3.3
otherwise shares between all the events of a subscription and grows by one
entry per event.
"""

from __future__ import annotations

import keyword
import logging
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLString,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    VariableNode,
)
from graphql.execution.collect_fields import FieldDetails, collect_fields, collect_subfields
from graphql.execution.executor import CollectedErrors
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

if TYPE_CHECKING:
    from graphql.execution.executor import Executor
    from strawberry import Schema

__all__ = [
    "CompiledExecution",
    "CompiledExecutionStats",
    "disable_compiled_execution",
    "install_compiled_execution",
]

logger = logging.getLogger("strawberry_channels.compiled")

#: How many compiled plans (one per subtree, document and skip/include outcome)
#: are kept before the plan cache starts over.
DEFAULT_PLAN_CACHE_SIZE = 4096

_DEFINITION = "strawberry-definition"
_BUILTIN_CHECKS: dict[int, str] = {
    id(GraphQLInt): "type({v}) is int and -2147483648 <= {v} <= 2147483647",
    # x - x is 0.0 only for finite floats (inf - inf and nan - nan are nan).
    id(GraphQLFloat): "type({v}) is float and {v} - {v} == 0.0",
    id(GraphQLString): "type({v}) is str",
    id(GraphQLID): "type({v}) is str",
    id(GraphQLBoolean): "type({v}) is bool",
}
_SKIP_INCLUDE = frozenset({"skip", "include"})
_MAX_SAFE_TYPES = 1024
_NOTHING: Any = object()


class _Bail(Exception):
    """Raised by compiled code to hand a value back to graphql-core."""


class _Refused(Exception):
    """Raised while compiling: this subtree stays with graphql-core."""


@dataclass
class CompiledExecutionStats:
    """Counters that say what ran compiled and what did not.

    Attributes:
        compiled_runs: values completed by a compiled function.
        handed_back: compiled runs abandoned at run time (an error, a null in
            a non-null position, an unexpected value), completed by graphql-core.
        plans_compiled: subtrees compiled (once per document and skip/include
            outcome).
        plans_refused: subtrees left to graphql-core, by reason.
        operations_skipped: operations that ran wholly on graphql-core, by
            reason (middleware, custom directives, ...).
    """

    compiled_runs: int = 0
    handed_back: int = 0
    plans_compiled: int = 0
    plans_refused: dict[str, int] = field(default_factory=dict)
    operations_skipped: dict[str, int] = field(default_factory=dict)


class CompiledExecution:
    """The compiled-execution state of one schema: its plan cache and stats.

    Returned by :func:`install_compiled_execution`; ``stats`` tells what ran
    compiled, and :meth:`clear` drops every compiled plan.
    """

    def __init__(self, maxsize: int = DEFAULT_PLAN_CACHE_SIZE) -> None:
        self.maxsize = maxsize
        self.stats = CompiledExecutionStats()
        self._plans: dict[tuple[Any, ...], tuple[Callable[[Any], Any] | None, Any]] = {}
        self._variables: dict[int, tuple[OperationDefinitionNode, tuple[str, ...]]] = {}
        self._lock = threading.Lock()
        self.safe_types: set[type] = set()

    def clear(self) -> None:
        """Forget every compiled plan (they are compiled again on next use)."""
        with self._lock:
            self._plans.clear()
            self._variables.clear()

    def __len__(self) -> int:
        return len(self._plans)

    def _store(self, key: tuple[Any, ...], value: tuple[Callable[[Any], Any] | None, Any]) -> None:
        with self._lock:
            if len(self._plans) >= self.maxsize:
                self._plans.clear()
            self._plans[key] = value

    def _refuse(self, reason: str, where: str) -> None:
        refused = self.stats.plans_refused
        refused[reason] = refused.get(reason, 0) + 1
        logger.debug("not compiled: %s (%s)", where, reason)

    def skip_operation(self, reason: str) -> None:
        skipped = self.stats.operations_skipped
        skipped[reason] = skipped.get(reason, 0) + 1


def _unsafe_object(state: CompiledExecution, is_awaitable: Callable[[Any], bool]) -> Any:
    safe = state.safe_types

    def unsafe(value: Any) -> bool:
        if value is Undefined or isinstance(value, Exception) or is_awaitable(value):
            return True
        kind = type(value)
        # Generators' awaitability depends on the instance (types.coroutine).
        if kind is not types.GeneratorType and len(safe) < _MAX_SAFE_TYPES:
            safe.add(kind)
        return False

    return unsafe


def _skip_include_variables(
    operation: OperationDefinitionNode, fragments: dict[str, Any]
) -> tuple[str, ...]:
    """Names of the variables that ``@skip``/``@include`` read in ``operation``."""
    names: list[str] = []
    seen_fragments: set[str] = set()
    stack: list[SelectionSetNode] = [operation.selection_set]
    while stack:
        selection_set = stack.pop()
        for selection in selection_set.selections:
            for directive in selection.directives or ():
                if directive.name.value in _SKIP_INCLUDE:
                    for argument in directive.arguments or ():
                        if isinstance(argument.value, VariableNode):
                            name = argument.value.name.value
                            if name not in names:
                                names.append(name)
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen_fragments and name in fragments:
                    seen_fragments.add(name)
                    stack.append(fragments[name].selection_set)
            elif (
                isinstance(selection, (InlineFragmentNode, FieldNode))
                and selection.selection_set is not None
            ):
                stack.append(selection.selection_set)
    return tuple(sorted(names))


class _Generator:
    """Writes the Python source of one compiled subtree."""

    def __init__(self, executor: Executor[Any], state: CompiledExecution) -> None:
        self.executor = executor
        self.state = state
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {
            "_Bail": _Bail,
            "_Undefined": Undefined,
            "_SAFE": state.safe_types,
            "_unsafe": _unsafe_object(state, executor.is_awaitable),
        }
        self.count = 0
        self.fields = 0

    def var(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def const(self, value: Any) -> str:
        self.count += 1
        name = f"c{self.count}"
        self.namespace[name] = value
        return name

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def value(
        self,
        type_: GraphQLOutputType,
        details: list[FieldDetails],
        src: str,
        out: str,
        indent: int,
        where: str,
    ) -> None:
        non_null = isinstance(type_, GraphQLNonNull)
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        self.emit(indent, f"if {src} is None:")
        self.emit(indent + 1, "raise _Bail" if non_null else f"{out} = None")
        self.emit(indent, "else:")
        indent += 1
        if isinstance(type_, GraphQLList):
            item, completed = self.var(), self.var()
            self.emit(indent, f"if type({src}) is not list and type({src}) is not tuple:")
            self.emit(indent + 1, "raise _Bail")
            self.emit(indent, f"{out} = []")
            self.emit(indent, f"for {item} in {src}:")
            self.value(type_.of_type, details, item, completed, indent + 1, where)
            self.emit(indent + 1, f"{out}.append({completed})")
        elif isinstance(type_, (GraphQLScalarType, GraphQLEnumType)):
            check = _BUILTIN_CHECKS.get(id(type_))
            if check is not None:
                self.emit(indent, f"if {check.format(v=src)}:")
                self.emit(indent + 1, f"{out} = {src}")
                self.emit(indent, "else:")
                self.emit(indent + 1, "raise _Bail")
            else:
                # Enums and custom scalars: always through their own output coercion.
                coerce = self.const(type_.coerce_output_value)
                self.emit(indent, f"if type({src}) not in _SAFE and _unsafe({src}):")
                self.emit(indent + 1, "raise _Bail")
                self.emit(indent, f"{out} = {coerce}({src})")
                self.emit(indent, f"if {out} is None or {out} is _Undefined:")
                self.emit(indent + 1, "raise _Bail")
        elif isinstance(type_, GraphQLObjectType):
            self.object(type_, details, src, out, indent)
        else:
            raise _Refused("interface or union", where)

    def object(
        self,
        type_: GraphQLObjectType,
        details: list[FieldDetails],
        src: str,
        out: str,
        indent: int,
    ) -> None:
        if type_.is_type_of is not None:
            raise _Refused("is_type_of", type_.name)
        executor = self.executor
        collected = collect_subfields(
            executor.schema,
            executor.fragments,
            executor.variable_values,
            executor.operation,
            type_,
            details,
            executor.hide_suggestions,
        )
        self.emit(indent, f"if type({src}) not in _SAFE and _unsafe({src}):")
        self.emit(indent + 1, "raise _Bail")
        entries = self.fields_of(type_, collected.grouped_field_set, src, indent, collected)
        body = ", ".join(f"{key!r}: {value}" for key, value in entries)
        self.emit(indent, f"{out} = {{{body}}}")

    def fields_of(
        self,
        type_: GraphQLObjectType,
        grouped: dict[str, list[FieldDetails]],
        src: str,
        indent: int,
        collected: Any,
    ) -> list[tuple[str, str]]:
        if collected.new_defer_usages:
            raise _Refused("@defer", type_.name)
        entries: list[tuple[str, str]] = []
        for key, details in grouped.items():
            node = details[0].node
            name = node.name.value
            where = f"{type_.name}.{name}"
            for detail in details:
                if detail.fragment_variable_values is not None:
                    raise _Refused("fragment arguments", where)
                for directive in detail.node.directives or ():
                    if directive.name.value not in _SKIP_INCLUDE:
                        raise _Refused(f"directive @{directive.name.value}", where)
            if name == "__typename":
                entries.append((key, repr(type_.name)))
                continue
            if name.startswith("__"):
                raise _Refused("introspection", where)
            field_def = type_.fields.get(name)
            if field_def is None:
                continue  # graphql-core leaves unknown fields out as well
            definition = field_def.extensions.get(_DEFINITION)
            if (
                definition is None
                or not getattr(field_def.resolve, "_is_default", False)
                or not definition.is_basic_field
                or definition.default_resolver is not getattr
            ):
                raise _Refused("custom resolver", where)
            attribute = definition.python_name
            raw, completed = self.var(), self.var()
            if attribute.isidentifier() and not keyword.iskeyword(attribute):
                self.emit(indent, f"{raw} = {src}.{attribute}")
            else:
                self.emit(indent, f"{raw} = getattr({src}, {attribute!r})")
            self.fields += 1
            self.value(field_def.type, details, raw, completed, indent, where)
            entries.append((key, completed))
        return entries

    def function(self, name: str) -> Callable[[Any], Any]:
        source = f"def {name}(v0):\n" + "\n".join(self.lines) + "\n    return r0\n"
        code = compile(source, f"<compiled {name}>", "exec")
        exec(code, self.namespace)
        function: Callable[[Any], Any] = self.namespace[name]
        return function


def _middleware_reason(executor: Executor[Any]) -> str | None:
    manager = executor.middleware_manager
    if manager is not None and manager.middlewares:
        return "schema extension with a resolve hook or custom directives"
    return None


class CompiledExecutorMixin:
    """The executor methods that run compiled plans (mixed into the schema's
    executor class by :func:`install_compiled_execution`)."""

    _compiled: CompiledExecution

    def _outcome(self: Any) -> tuple[Any, ...]:
        outcome: tuple[Any, ...] | None = self.__dict__.get("_sc_outcome")
        if outcome is None:
            state = self._compiled
            operation = self.operation
            entry = state._variables.get(id(operation))
            if entry is None or entry[0] is not operation:
                names = _skip_include_variables(operation, self.fragment_definitions)
                entry = (operation, names)
                state._variables[id(operation)] = entry
            coerced = self.variable_values.coerced
            outcome = tuple(coerced.get(name) for name in entry[1])
            self._sc_outcome = outcome
        return outcome

    def _plan(self: Any, return_type: Any, details: list[FieldDetails]) -> Any:
        state = self._compiled
        reason = self.__dict__.get("_sc_skip")
        if reason is None:
            reason = _middleware_reason(self) or ""
            self._sc_skip = reason
            if reason:
                state.skip_operation(reason)
        if reason:
            return None
        nodes = tuple(detail.node for detail in details)
        key = (return_type, self._outcome(), *map(id, nodes))
        entry = state._plans.get(key)
        if entry is None:
            generator = _Generator(self, state)
            where = str(return_type)
            try:
                generator.value(return_type, details, "v0", "r0", 1, where)
                function: Callable[[Any], Any] | None = generator.function("complete")
            except _Refused as refused:
                state._refuse(refused.args[0], refused.args[1])
                function = None
            else:
                state.stats.plans_compiled += 1
                logger.debug("compiled %s: %d fields", where, generator.fields)
            entry = (function, (nodes, self.operation))
            state._store(key, entry)
        return entry[0]

    def complete_value(
        self: Any,
        return_type: Any,
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        non_null = isinstance(return_type, GraphQLNonNull)
        named = return_type.of_type if non_null else return_type
        handed = self.__dict__.get("_sc_handed", _NOTHING)
        if handed is not _NOTHING:
            self._sc_handed = _NOTHING
            if handed is result:
                # graphql-core completing the inner type of a non-null value just
                # handed back: the same plan would fail the same way.
                named = None
        if named is not None and not isinstance(named, (GraphQLScalarType, GraphQLEnumType)):
            plan = self._plan(return_type, field_details_list)
            if plan is not None:
                stats = self._compiled.stats
                try:
                    completed = plan(result)
                except Exception:  # graphql-core completes it again and reports exactly
                    stats.handed_back += 1
                    if non_null:
                        self._sc_handed = result
                else:
                    stats.compiled_runs += 1
                    return completed
        return super().complete_value(  # type: ignore[misc]
            return_type, field_details_list, info, path, result, position_context
        )

    def build_per_event_executor(self: Any, payload: Any) -> Any:
        # What graphql-core's Executor.build_per_event_executor does (a shallow
        # copy with the event as root value and its own errors), without the
        # generic copy protocol; tests compare the two.
        executor = object.__new__(type(self))
        executor.__dict__.update(self.__dict__)
        executor.root_value = payload
        executor.collected_errors = CollectedErrors()
        # graphql-core 3.3 shares this memo between the events of a subscription
        # and adds an entry per event; a fresh one per event keeps memory flat.
        executor._relevant_sub_fields = {}
        root = self.__dict__.get("_sc_root")
        if root is None:
            try:
                root = self._subscription_root() or False
            except Exception:  # never let planning break a subscription
                logger.debug("subscription root not compiled", exc_info=True)
                root = False
            self._sc_root = root
            executor._sc_root = root
        return executor

    def _subscription_root(self: Any) -> Callable[[Any], Any] | None:
        """One compiled function for a subscription event, or ``None``."""
        reason = _middleware_reason(self)
        state = self._compiled
        if reason:
            state.skip_operation(reason)
            return None
        root_type = self.schema.subscription_type
        if root_type is None:
            return None
        collected = collect_fields(
            self.schema,
            self.fragments,
            self.variable_values,
            root_type,
            self.operation,
            self.hide_suggestions,
        )
        if len(collected.grouped_field_set) != 1:
            return None  # validation allows one root field; leave the rest to graphql-core
        ((key, details),) = collected.grouped_field_set.items()
        name = details[0].node.name.value
        field_def = root_type.fields.get(name)
        definition = field_def.extensions.get(_DEFINITION) if field_def else None
        if field_def is None or definition is None or not definition.is_subscription:
            return None
        # Strawberry resolves a subscription field to the event itself.
        probe = object()
        if field_def.resolve is None or field_def.resolve(probe, None) is not probe:
            state._refuse("subscription field does not resolve to the event", name)
            return None
        if collected.new_defer_usages:
            state._refuse("@defer", name)
            return None
        for detail in details:
            for directive in detail.node.directives or ():
                if directive.name.value not in _SKIP_INCLUDE:
                    state._refuse(f"directive @{directive.name.value}", name)
                    return None
        plan = self._plan(field_def.type, details)
        if plan is None:
            return None

        def root(payload: Any) -> dict[str, Any]:
            return {key: plan(payload)}

        return root

    def execute_operation(self: Any, serially: bool | None = None) -> Any:
        root = self.__dict__.get("_sc_root")
        if root and (self.abort_signal is None or not self.abort_signal.aborted):
            stats = self._compiled.stats
            try:
                data = root(self.root_value)
            except Exception:
                stats.handed_back += 1
            else:
                stats.compiled_runs += 1
                return self.finish(self.build_response(data))
        return super().execute_operation(serially)  # type: ignore[misc]


def _is_compiled(executor_class: type) -> bool:
    return issubclass(executor_class, CompiledExecutorMixin)


def install_compiled_execution(
    schema: Schema, maxsize: int = DEFAULT_PLAN_CACHE_SIZE
) -> CompiledExecution | None:
    """Run the operations of ``schema`` through compiled execution.

    Replaces ``schema.execution_context_class`` (Strawberry's executor hook)
    with a subclass of it that runs compiled plans. Idempotent: a schema that
    already has compiled execution keeps its state. A schema that uses its own
    execution context class, that enables Strawberry's experimental
    incremental execution (``@defer``/``@stream``), or that was switched off
    with :func:`disable_compiled_execution` is left unchanged.

    Args:
        schema: the Strawberry schema.
        maxsize: how many compiled plans to keep.

    Returns:
        The compiled-execution state (plan cache and counters), or ``None``
        when the schema is left on graphql-core's executor.
    """
    current = schema.execution_context_class
    if isinstance(current, type) and _is_compiled(current):
        state: CompiledExecution = current._compiled  # type: ignore[union-attr]
        return state
    if getattr(schema, "_strawberry_channels_compiled_off", False):
        return None
    if current is not StrawberryGraphQLCoreExecutionContext:
        logger.debug("compiled execution not installed: the schema has its own executor")
        return None
    if schema.config.enable_experimental_incremental_execution:
        logger.debug("compiled execution not installed: incremental execution is enabled")
        return None
    state = CompiledExecution(maxsize)
    schema.execution_context_class = type(
        "CompiledStrawberryExecutor",
        (CompiledExecutorMixin, StrawberryGraphQLCoreExecutionContext),
        {"_compiled": state},
    )
    return state


def disable_compiled_execution(schema: Schema) -> None:
    """Keep ``schema`` on graphql-core's executor (the switch to turn it off).

    Call it before the consumers are built (they install compiled execution
    on the schema they serve); on a schema that already has compiled
    execution it restores Strawberry's default executor.

    Args:
        schema: the Strawberry schema.
    """
    schema._strawberry_channels_compiled_off = True  # type: ignore[attr-defined]
    current = schema.execution_context_class
    if isinstance(current, type) and _is_compiled(current):
        schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
