"""Each feature compiled execution leaves to graphql-core, and the run-time hand-backs."""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import AsyncGenerator
from typing import Any

import pytest
import strawberry
from compiled_helpers import Obj, both, outcome, schema_pair
from strawberry.directive import DirectiveLocation, DirectiveValue
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.permission import BasePermission

from strawberry_channels import (
    GraphQLHTTPConsumer,
    disable_compiled_execution,
    install_compiled_execution,
    install_document_cache,
)
from strawberry_channels.compiled_execution import CompiledExecutorMixin

CALLS: dict[str, int] = {}


@strawberry.enum
class Kind(enum.Enum):
    A = "a"


@strawberry.type
class Leaf:
    n: int
    s: str | None = None


class Allow(BasePermission):
    message = "no"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return True


class Upper(FieldExtension):
    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        return next_(source, info, **kwargs).upper()


@strawberry.type
class Node:
    n: int
    leaf: Leaf | None
    leaves: list[Leaf]
    kind: Kind = Kind.A

    @strawberry.field
    def counted(self) -> Leaf:
        CALLS["counted"] = CALLS.get("counted", 0) + 1
        return Leaf(n=self.n)

    @strawberry.field
    async def later(self) -> Leaf:
        return Leaf(n=self.n + 1)

    @strawberry.field(permission_classes=[Allow])  # type: ignore[untyped-decorator]
    def guarded(self) -> int:
        return self.n

    @strawberry.field(extensions=[Upper()])  # type: ignore[untyped-decorator]
    def shouted(self) -> str:
        return "hi"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Person(Named):
    age: int


@strawberry.type
class Pet:
    name: str


@strawberry.type
class Query:
    @strawberry.field
    def nodes(self) -> list[Node]:
        return self.data  # type: ignore[attr-defined, no-any-return]

    @strawberry.field
    def plain(self) -> list[Leaf]:
        return self.leaves  # type: ignore[attr-defined, no-any-return]

    @strawberry.field
    def named(self) -> Named:
        return Person(name="ann", age=3)

    @strawberry.field
    def either(self) -> Person | Pet:
        return Pet(name="rex")


def good_root() -> Obj:
    return Obj(
        data=[Node(n=i, leaf=Leaf(n=i, s="x"), leaves=[Leaf(n=1)]) for i in range(3)],
        leaves=[Leaf(n=i) for i in range(4)],
    )


def bad_root() -> Obj:
    # Node 1's leaf has a str where an Int is due and its list holds a None.
    return Obj(
        data=[
            Node(n=0, leaf=Leaf(n=0), leaves=[]),
            Node(n=1, leaf=Leaf(n="x"), leaves=[None]),  # type: ignore[arg-type, list-item]
        ],
        leaves=[Leaf(n=1), Leaf(n=True)],
    )


PAIR = schema_pair(query=Query)


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("{ nodes { n counted { n } } }", "custom resolver"),
        ("{ nodes { later { n s } } }", "custom resolver"),
        ("{ nodes { guarded } }", "custom resolver"),
        ("{ nodes { shouted } }", "custom resolver"),
        ("{ named { name } }", "interface or union"),
        ("{ either { ... on Pet { name } } }", "interface or union"),
    ],
)
@pytest.mark.parametrize("make_root", [good_root, bad_root])
async def test_each_fallback_feature_matches_graphql_core(
    query: str, reason: str, make_root: Any
) -> None:
    plain, compiled, state = PAIR
    before = dict(state.stats.plans_refused)
    state.clear()
    expected, actual = await both(plain, compiled, query, make_root)
    assert actual == expected
    assert state.stats.plans_refused.get(reason, 0) > before.get(reason, 0)


async def test_is_type_of_is_left_to_graphql_core() -> None:
    plain, compiled, state = PAIR
    state.clear()
    expected, actual = await both(plain, compiled, "{ named { ... on Person { age } } }")
    assert actual == expected
    assert state.stats.plans_refused.get("interface or union")


async def test_subtrees_below_a_fallback_still_run_compiled() -> None:
    plain, compiled, state = PAIR
    runs = state.stats.compiled_runs
    expected, actual = await both(
        plain, compiled, "{ nodes { n counted { n } leaves { n } } }", good_root
    )
    assert actual == expected
    # counted { n } and leaves { n } are compiled under each of the 3 nodes.
    assert state.stats.compiled_runs - runs == 6


@pytest.mark.parametrize("make_root", [good_root, bad_root])
async def test_custom_resolvers_are_called_once(make_root: Any) -> None:
    plain, compiled, _state = PAIR
    query = "{ nodes { leaf { n s } counted { n } leaves { n } kind } }"
    counts = []
    for schema in (plain, compiled):
        CALLS.clear()
        await schema.execute(query, root_value=make_root())
        counts.append(CALLS["counted"])
    assert counts[0] == counts[1] == len(make_root().data)


async def test_errors_hand_the_value_back() -> None:
    plain, compiled, state = PAIR
    handed = state.stats.handed_back
    expected, actual = await both(
        plain, compiled, "{ plain { n } nodes { leaf { n } leaves { n s } } }", bad_root
    )
    assert actual == expected
    assert expected[1]  # there are errors, located by graphql-core
    assert state.stats.handed_back > handed


async def test_awaitable_and_exception_values() -> None:
    plain, compiled, _state = PAIR

    def root() -> Obj:
        async def later() -> int:
            return 5

        return Obj(leaves=[Leaf(n=later()), Leaf(n=ValueError("boom")), Leaf(n=2)])  # type: ignore[arg-type]

    expected, actual = await both(plain, compiled, "{ plain { n } }", root)
    assert actual == expected
    assert "boom" in str(expected[1])


async def test_non_list_iterables_and_tuples() -> None:
    plain, compiled, _state = PAIR
    makers: list[Any] = [
        lambda: iter([Leaf(n=1)]),
        lambda: (Leaf(n=1), Leaf(n=2)),
        lambda: {1: Leaf(n=3)}.values(),
        lambda: (leaf for leaf in [Leaf(n=4)]),
        lambda: "no",
    ]
    for make in makers:
        expected, actual = await both(
            plain, compiled, "{ plain { n } }", lambda make=make: Obj(leaves=make())
        )
        assert actual == expected


async def test_schema_extension_with_resolve_hook_runs_on_graphql_core() -> None:
    class Tag(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            result = _next(root, info, *args, **kwargs)
            return (
                result * 10 if isinstance(result, int) and not isinstance(result, bool) else result
            )

    plain, compiled, state = schema_pair(query=Query, extensions=[Tag])
    expected, actual = await both(plain, compiled, "{ plain { n } }", good_root)
    assert actual == expected
    assert '"n": 10' in expected[0]
    assert state.stats.operations_skipped
    assert state.stats.compiled_runs == 0


async def test_custom_directive_runs_on_graphql_core() -> None:
    @strawberry.directive(locations=[DirectiveLocation.FIELD])
    def twice(value: DirectiveValue[int]) -> int:
        return value * 2

    plain, compiled, state = schema_pair(query=Query, directives=[twice])
    expected, actual = await both(plain, compiled, "{ plain { n @twice } }", good_root)
    assert actual == expected
    assert '"n": 2' in expected[0]
    assert state.stats.compiled_runs == 0


async def test_introspection_matches() -> None:
    plain, compiled, _state = PAIR
    query = '{ __schema { queryType { name } } __type(name: "Leaf") { name fields { name } } }'
    expected, actual = await both(plain, compiled, query)
    assert actual == expected


@pytest.mark.parametrize(("a", "b"), [(True, True), (True, False), (False, True), (False, False)])
async def test_skip_include_variables_compile_per_outcome(a: bool, b: bool) -> None:
    plain, compiled, _state = PAIR
    query = (
        "query Q($a: Boolean!, $b: Boolean!) { plain { n @include(if: $a) "
        "...F @skip(if: $b) } } fragment F on Leaf { s n }"
    )
    expected, actual = await both(plain, compiled, query, good_root, {"a": a, "b": b})
    assert actual == expected


async def test_one_plan_per_skip_include_outcome() -> None:
    plain, compiled, state = schema_pair(query=Query)
    install_document_cache(compiled)  # plans are per document: the cache keeps it the same
    query = "query Q($a: Boolean!) { plain { n @include(if: $a) s } }"
    for a in (True, False, True, False):
        expected, actual = await both(plain, compiled, query, good_root, {"a": a})
        assert actual == expected
    assert state.stats.plans_compiled == 2


async def test_document_and_plan_cache_eviction() -> None:
    plain, compiled, _state = schema_pair(query=Query)
    install_document_cache(plain, maxsize=1)
    install_document_cache(compiled, maxsize=1)
    compiled.execution_context_class._compiled.maxsize = 2  # type: ignore[union-attr]
    queries = ["{ plain { n } }", "{ plain { s n } }", "{ plain { n s } }", "{ x: plain { n } }"]
    for _round in range(3):
        for query in queries:
            expected, actual = await both(plain, compiled, query, good_root)
            assert actual == expected
    assert len(compiled.execution_context_class._compiled) <= 2  # type: ignore[union-attr]


async def test_concurrent_operations() -> None:
    plain, compiled, _state = PAIR

    async def one(i: int) -> tuple[Any, Any]:
        def root() -> Obj:
            return Obj(leaves=[Leaf(n=j if j != i % 7 else "bad") for j in range(i % 5 + 1)])  # type: ignore[arg-type]

        await asyncio.sleep(0)
        return await both(plain, compiled, "{ plain { n s } }", root)

    for expected, actual in await asyncio.gather(*(one(i) for i in range(60))):
        assert actual == expected


def test_switch_off_and_installation_rules() -> None:
    schema = strawberry.Schema(query=Query)
    disable_compiled_execution(schema)
    GraphQLHTTPConsumer(schema=schema)
    assert not issubclass(schema.execution_context_class, CompiledExecutorMixin)
    assert install_compiled_execution(schema) is None

    schema = strawberry.Schema(query=Query)
    GraphQLHTTPConsumer(schema=schema)
    state = install_compiled_execution(schema)
    assert state is not None
    assert issubclass(schema.execution_context_class, CompiledExecutorMixin)
    disable_compiled_execution(schema)
    assert not issubclass(schema.execution_context_class, CompiledExecutorMixin)

    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

    class Custom(StrawberryGraphQLCoreExecutionContext):
        pass

    schema = strawberry.Schema(query=Query, execution_context_class=Custom)
    assert install_compiled_execution(schema) is None
    assert schema.execution_context_class is Custom


# -- subscriptions ------------------------------------------------------------------


@strawberry.type
class Event:
    seq: int
    label: str | None
    leaf: Leaf


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def events(self, count: int) -> AsyncGenerator[Event, None]:
        for i in range(count):
            label: Any = None if i % 3 == 0 else (f"e{i}" if i % 3 == 1 else 7)
            leaf: Any = Leaf(n=i) if i % 4 else None
            yield Event(seq=i, label=label, leaf=leaf)
        yield Obj(seq=1)  # type: ignore[misc]  # its missing attributes raise


def test_strawberry_subscription_fields_resolve_to_the_event() -> None:
    """Compiled subscriptions rely on this Strawberry behaviour; it fails if that changes."""
    schema = strawberry.Schema(query=Query, subscription=Subscription)
    field = schema._schema.subscription_type.fields["events"]  # type: ignore[union-attr]
    event = object()
    assert field.resolve(event, None) is event
    assert field.extensions["strawberry-definition"].is_subscription


async def test_subscription_events_with_errors() -> None:
    plain, compiled, state = schema_pair(query=Query, subscription=Subscription)
    query = "subscription { events(count: 12) { seq label leaf { n s } __typename } }"
    streams = []
    for schema in (plain, compiled):
        stream = await schema.subscribe(query)
        streams.append([outcome(result) async for result in stream])
    assert streams[0] == streams[1]
    assert any(errors for _data, errors in streams[0])
    assert state.stats.compiled_runs >= 6
    assert state.stats.handed_back >= 6


def test_per_event_executor_matches_graphql_cores_copy() -> None:
    """Our per-event executor is graphql-core's shallow copy, with a memo of its own;
    this fails if graphql-core changes what build_per_event_executor does."""
    from graphql import parse
    from graphql.execution.executor import CollectedErrors, Executor

    schema = strawberry.Schema(query=Query, subscription=Subscription)
    install_compiled_execution(schema)
    executor_class = schema.execution_context_class
    executor = executor_class.build(
        schema._schema, parse("subscription { events(count: 1) { seq } }")
    )
    assert not isinstance(executor, list)
    payload = object()
    ours = executor.build_per_event_executor(payload)
    theirs = Executor.build_per_event_executor(executor, payload)
    assert type(ours) is type(theirs)
    assert ours.root_value is theirs.root_value is payload
    assert isinstance(ours.collected_errors, CollectedErrors)
    assert ours.collected_errors is not executor.collected_errors
    assert ours._relevant_sub_fields == {}
    assert ours._relevant_sub_fields is not executor._relevant_sub_fields
    assert theirs._relevant_sub_fields is executor._relevant_sub_fields  # the upstream sharing
    private = {"collected_errors", "_relevant_sub_fields", "_sc_root", "_sc_outcome", "_sc_skip"}
    assert {k: v for k, v in vars(ours).items() if k not in private} == {
        k: v for k, v in vars(theirs).items() if k not in private
    }


@strawberry.type
class WithProperty:
    n: int


class Source:
    """A source whose ``n`` is a property; the third one raises."""

    reads = 0

    def __init__(self, i: int) -> None:
        self.i = i

    @property
    def n(self) -> int:
        Source.reads += 1
        if self.i == 2:
            raise LookupError("no n here")
        return self.i


@strawberry.type
class PropertyQuery:
    items: list[WithProperty]


async def test_raising_properties_are_reported_like_graphql_core() -> None:
    plain, compiled, state = schema_pair(query=PropertyQuery)
    expected, actual = await both(
        plain, compiled, "{ items { n } }", lambda: Obj(items=[Source(i) for i in range(4)])
    )
    assert actual == expected
    assert expected[1] == [("no n here", ["items", 2, "n"], [(1, 11)])]
    assert state.stats.handed_back == 2  # the list, then the one item (not each wrapper)


async def test_decisions_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    plain, compiled, _state = schema_pair(query=Query)
    with caplog.at_level(logging.DEBUG, logger="strawberry_channels.compiled"):
        await both(plain, compiled, "{ plain { n } nodes { counted { n } } }", good_root)
    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("compiled [Leaf!]!") for m in messages), messages
    assert any("Node.counted" in m and "custom resolver" in m for m in messages), messages
