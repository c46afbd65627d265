"""Run the same operation on graphql-core's executor and on compiled execution, and compare."""

from __future__ import annotations

import json
from typing import Any

import strawberry

from strawberry_channels import install_compiled_execution
from strawberry_channels.compiled_execution import CompiledExecution


def schema_pair(**kwargs: Any) -> tuple[strawberry.Schema, strawberry.Schema, CompiledExecution]:
    """Two schemas built from the same types: graphql-core's executor, and compiled."""
    plain = strawberry.Schema(**kwargs)
    compiled = strawberry.Schema(**kwargs)
    state = install_compiled_execution(compiled)
    assert state is not None
    return plain, compiled, state


def outcome(result: Any) -> tuple[str, list[tuple[Any, ...]]]:
    """``data`` as JSON text (key order counts) and errors by message, path, locations."""
    errors = [
        (
            error.message,
            error.path,
            [(location.line, location.column) for location in error.locations or ()],
        )
        for error in result.errors or ()
    ]
    return json.dumps(result.data), errors


async def both(
    plain: strawberry.Schema,
    compiled: strawberry.Schema,
    query: str,
    make_root: Any = None,
    variables: dict[str, Any] | None = None,
    **kwargs: Any,
) -> tuple[Any, Any]:
    """Execute ``query`` on both schemas (each with a fresh root from ``make_root``)."""
    results = []
    for schema in (plain, compiled):
        root = make_root() if callable(make_root) else make_root
        result = await schema.execute(query, root_value=root, variable_values=variables, **kwargs)
        results.append(outcome(result))
    return results[0], results[1]


class Obj:
    """A plain source object; a missing attribute raises, like a failing property."""

    def __init__(self, **attributes: Any) -> None:
        self.__dict__.update(attributes)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise RuntimeError(f"cannot read {name}")
