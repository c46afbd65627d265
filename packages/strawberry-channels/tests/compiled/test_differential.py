"""Generated schemas, data and queries: compiled execution against graphql-core.

Each example builds a random tree of Strawberry object types (scalars, enums,
lists, nested objects, nullable and non-null), random source data (valid
values and every coercion edge: ``bool`` for ``Int``, out-of-range integers,
NaN and infinity, wrong types, ``None`` in non-null positions, tuples and
non-list iterables, ``Exception`` values, awaitables, attributes that raise)
and a random query (aliases, repeated fields that merge, inline fragments and
named fragments, ``__typename``, ``@skip``/``@include`` on variables). Both
executors must give the same ``data`` as JSON text and the same errors by
message, path and locations.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, field
from typing import Any, Optional

import pytest
import strawberry
from compiled_helpers import Obj, both, schema_pair
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@strawberry.enum
class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


SCALARS: dict[str, Any] = {
    "Int": int,
    "Float": float,
    "String": str,
    "Boolean": bool,
    "ID": strawberry.ID,
    "Color": Color,
}

VALID: dict[str, st.SearchStrategy[Any]] = {
    "Int": st.integers(-(2**31), 2**31 - 1),
    "Float": st.floats(allow_nan=False, allow_infinity=False),
    "String": st.text(max_size=5),
    "Boolean": st.booleans(),
    "ID": st.text(max_size=3),
    "Color": st.sampled_from(list(Color)),
}
EDGES: dict[str, list[Any]] = {
    "Int": [True, False, 2**31, -(2**31) - 1, 1.0, 1.5, "3", "x", float("nan")],
    "Float": [float("nan"), float("inf"), -float("inf"), 1, True, "1.5", "x", 10**400],
    "String": [1, True, 1.5, b"x", Color.RED],
    "Boolean": [0, 1, "true", 1.0],
    "ID": [1, 2**40, True, 1.5],
    "Color": ["red", "RED", 1, "blue"],
}


@dataclass
class Kind:
    """A field's type: a scalar name, a list of a kind, or an object spec."""

    scalar: str | None = None
    item: Kind | None = None
    spec: Spec | None = None
    non_null: bool = False


@dataclass
class Spec:
    name: str
    fields: dict[str, Kind] = field(default_factory=dict)


_names = itertools.count()


def kinds(depth: int) -> st.SearchStrategy[Kind]:
    scalar = st.builds(Kind, scalar=st.sampled_from(list(SCALARS)), non_null=st.booleans())
    if depth <= 0:
        return scalar
    return st.one_of(
        scalar,
        scalar,
        st.builds(Kind, item=kinds(depth - 1), non_null=st.booleans()),
        st.builds(Kind, spec=specs(depth - 1), non_null=st.booleans()),
    )


def specs(depth: int) -> st.SearchStrategy[Spec]:
    return st.dictionaries(
        st.sampled_from(["a", "b", "c", "d", "camel_case"]), kinds(depth), min_size=1, max_size=4
    ).map(lambda fields: Spec(f"T{next(_names)}", fields))


def annotation(kind: Kind) -> Any:
    if kind.scalar is not None:
        inner: Any = SCALARS[kind.scalar]
    elif kind.item is not None:
        inner = list[annotation(kind.item)]  # type: ignore[misc]
    else:
        assert kind.spec is not None
        inner = build_type(kind.spec)
    return inner if kind.non_null else Optional[inner]  # noqa: UP045


_built: dict[str, Any] = {}


def build_type(spec: Spec) -> Any:
    if spec.name not in _built:
        annotations = {name: annotation(kind) for name, kind in spec.fields.items()}
        _built[spec.name] = strawberry.type(type(spec.name, (), {"__annotations__": annotations}))
    return _built[spec.name]


# -- data recipes (materialised once per executor: awaitables can be awaited once) --


def recipes(kind: Kind, depth: int = 0) -> st.SearchStrategy[Any]:
    special = st.sampled_from(
        [("none",), ("exception",), ("missing",)] if depth < 6 else [("none",)]
    )
    if kind.scalar is not None:
        value = st.one_of(
            VALID[kind.scalar].map(lambda v: ("raw", v)),
            VALID[kind.scalar].map(lambda v: ("raw", v)),
            st.sampled_from(EDGES[kind.scalar]).map(lambda v: ("raw", v)),
        )
    elif kind.item is not None:
        items = st.lists(recipes(kind.item, depth + 1), max_size=3)
        value = st.one_of(
            items.map(lambda v: ("list", v)),
            items.map(lambda v: ("list", v)),
            items.map(lambda v: ("tuple", v)),
            items.map(lambda v: ("iter", v)),
            st.just(("raw", "not a list")),
        )
    else:
        assert kind.spec is not None
        value = st.one_of(
            object_recipe(kind.spec, depth + 1),
            object_recipe(kind.spec, depth + 1),
            st.just(("raw", 5)),
        )
    wrapped = st.one_of(value, value, value, special)
    return wrapped


def object_recipe(spec: Spec, depth: int) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {name: recipes(kind, depth) for name, kind in spec.fields.items()}
    ).map(lambda attrs: ("obj", attrs))


_MISSING = object()


def materialise(recipe: Any) -> Any:
    tag = recipe[0]
    if tag == "raw":
        return recipe[1]
    if tag == "none":
        return None
    if tag == "exception":
        return ValueError("an exception value")
    if tag == "missing":
        return _MISSING
    if tag == "list":
        return [materialise(item) for item in recipe[1]]
    if tag == "tuple":
        return tuple(materialise(item) for item in recipe[1])
    if tag == "iter":
        return iter([materialise(item) for item in recipe[1]])
    if tag == "await":
        inner = materialise(recipe[1])

        async def value() -> Any:
            return inner

        return value()
    assert tag == "obj"
    attributes = {}
    for name, item in recipe[1].items():
        value = materialise(item)
        if value is not _MISSING:
            attributes[name] = value
    return Obj(**attributes)


# -- queries ---------------------------------------------------------------------


def selections(spec: Spec, draw: Any, fragments: dict[str, str], depth: int = 0) -> str:
    from strawberry.utils.str_converters import to_camel_case

    parts: list[str] = []
    names = list(spec.fields)
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names) + 2))
    for index, name in enumerate(chosen):
        kind = spec.fields[name]
        while kind.item is not None:
            kind = kind.item
        sub = ""
        if kind.spec is not None:
            sub = " { " + selections(kind.spec, draw, fragments, depth + 1) + " }"
        # An alias names its field, so merged selections never conflict.
        alias = draw(st.sampled_from(["", "", f"{name}_{index % 2}: "]))
        how = draw(st.integers(0, 6))
        directive = " @include(if: $a)" if how == 3 else ""
        text = f"{alias}{to_camel_case(name)}{directive}{sub}"
        if how == 1:
            text = f"... on {spec.name} {{ {text} }}"
        elif how == 2:
            fragment = f"F{len(fragments)}"
            fragments[fragment] = f"fragment {fragment} on {spec.name} {{ {text} }}"
            text = f"...{fragment}"
        elif how == 4:
            text = f"... on {spec.name} @skip(if: $b) {{ {text} }}"
        parts.append(text)
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), "__typename")
    return " ".join(parts)


@st.composite
def cases(draw: Any) -> tuple[Spec, Any, str, dict[str, bool]]:
    spec = draw(specs(2))
    data = draw(object_recipe(spec, 0))
    fragments: dict[str, str] = {}
    body = selections(spec, draw, fragments)
    query = (
        "query Q($a: Boolean!, $b: Boolean!) { root { "
        + body
        + " } _a: __typename @include(if: $a) _b: __typename @skip(if: $b) }"
        + "".join(" " + text for text in fragments.values())
    )
    variables = {"a": draw(st.booleans()), "b": draw(st.booleans())}
    return spec, data, query, variables


def make_query_type(spec: Spec) -> Any:
    root_type = build_type(spec)
    return strawberry.type(
        type(f"Query{spec.name}", (), {"__annotations__": {"root": Optional[root_type]}})  # noqa: UP045
    )


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases())
async def test_generated_schemas_data_and_queries(case: Any) -> None:
    spec, data, query, variables = case
    plain, compiled, state = schema_pair(query=make_query_type(spec))
    expected, actual = await both(
        plain, compiled, query, lambda: Obj(root=materialise(data)), variables
    )
    assert actual == expected
    _totals["compiled"] += state.stats.compiled_runs
    _totals["handed_back"] += state.stats.handed_back


_totals = {"compiled": 0, "handed_back": 0}


def test_generated_cases_ran_compiled_and_handed_back() -> None:
    """The generated cases above exercised both outcomes (runs after them, in file order)."""
    assert _totals["compiled"] > 0
    assert _totals["handed_back"] > 0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
async def test_every_scalar_edge_at_every_depth() -> None:
    """Each edge value of each scalar as a field, a list item and a nested field."""

    for scalar, edges in EDGES.items():
        for non_null in (False, True):
            leaf = Kind(scalar=scalar, non_null=non_null)
            spec = Spec(
                f"Edge{next(_names)}",
                {
                    "a": leaf,
                    "b": Kind(item=leaf),
                    "c": Kind(spec=Spec(f"Inner{next(_names)}", {"a": leaf}), non_null=True),
                },
            )
            plain, compiled, _state = schema_pair(query=make_query_type(spec))
            for value in [*edges, None]:

                def root(value: Any = value) -> Obj:
                    return Obj(root=Obj(a=value, b=[1, value], c=Obj(a=value)))

                expected, actual = await both(plain, compiled, "{ root { a b c { a } } }", root)
                assert actual == expected, (scalar, non_null, value)
