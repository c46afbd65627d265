"""strawberry_channels.execution: the one path every transport runs operations through."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError
from strawberry.types.graphql import OperationType

from strawberry_channels import execution
from strawberry_channels.protocols.graphql_http import GraphQLRequestParams


@strawberry.type
class Query:
    @strawberry.field
    def double(self, x: int) -> int:
        return 2 * x

    @strawberry.field
    def fail(self) -> int | None:
        raise ValueError("resolver failed")


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def count(self, to: int) -> AsyncGenerator[int, None]:
        for i in range(to):
            yield i

    @strawberry.subscription
    async def denied(self) -> AsyncGenerator[int, None]:
        raise PermissionError("not allowed")
        yield 0  # pragma: no cover


SCHEMA = strawberry.Schema(Query, subscription=Subscription)
CACHE = execution.prepare_schema(SCHEMA)


def params(query: str, **variables: object) -> GraphQLRequestParams:
    return GraphQLRequestParams(query, variables or None)


def test_prepare_schema_is_idempotent() -> None:
    assert execution.prepare_schema(SCHEMA) is CACHE


async def test_execute_and_format() -> None:
    result = await execution.execute(SCHEMA, params("query($x: Int!) { double(x: $x) }", x=4))
    assert execution.result_payload(result) == {"data": {"double": 8}}
    assert not execution.is_request_error(result.errors, result.data)


async def test_request_errors_and_execution_errors() -> None:
    invalid = await execution.execute(SCHEMA, params("{ nope }"))
    assert execution.is_request_error(invalid.errors, invalid.data)
    assert execution.rejected_before_execution(invalid)
    assert execution.result_payload(invalid) == {"errors": execution.formatted_errors(invalid)}
    assert execution.result_payload(invalid, keep_data=True)["data"] is None

    bad_variables = await execution.execute(
        SCHEMA, params("query($x: Int!) { double(x: $x) }", x="a")
    )
    assert execution.is_request_error(bad_variables.errors, bad_variables.data)

    failed = await execution.execute(SCHEMA, params("{ fail }"))
    assert failed.data == {"fail": None}
    assert not execution.is_request_error(failed.errors, failed.data)
    assert not execution.rejected_before_execution(failed)
    assert execution.formatted_errors(failed)[0]["path"] == ["fail"]


def test_is_request_error_is_about_paths_and_data() -> None:
    pathless = GraphQLError("parse")
    with_path = GraphQLError("resolver", path=["a"])
    assert execution.is_request_error([pathless], None)
    assert not execution.is_request_error([pathless], {"a": None})
    assert not execution.is_request_error([with_path], None)
    assert not execution.is_request_error([], None)
    assert not execution.is_request_error(None, None)


async def test_results_of_a_query_is_one_result() -> None:
    query = params("{ double(x: 1) }")
    kind = CACHE.operation_type(query.query, None)
    assert kind is OperationType.QUERY
    results = [r async for r in execution.results(SCHEMA, query, kind)]
    assert [r.data for r in results] == [{"double": 2}]


async def test_results_of_a_subscription_stream_its_events() -> None:
    subscription = params("subscription { count(to: 3) }")
    kind = CACHE.operation_type(subscription.query, None)
    assert kind is OperationType.SUBSCRIPTION
    results = [r async for r in execution.results(SCHEMA, subscription, kind)]
    assert [r.data for r in results] == [{"count": 0}, {"count": 1}, {"count": 2}]


async def test_a_refused_subscription_yields_one_execution_error() -> None:
    results = [r async for r in execution.subscribe(SCHEMA, params("subscription { denied }"))]
    assert len(results) == 1
    assert results[0].errors is not None
    assert results[0].errors[0].message == "not allowed"


async def test_an_unknown_operation_yields_one_request_error() -> None:
    document = params("query A { double(x: 1) }")
    document.operation_name = "B"
    kind = CACHE.operation_type(document.query, "B")
    results = [r async for r in execution.results(SCHEMA, document, kind)]
    assert len(results) == 1
    assert execution.rejected_before_execution(results[0])


async def test_closing_the_event_stream_closes_the_subscription() -> None:
    events = execution.subscribe(SCHEMA, params("subscription { count(to: 100) }"))
    first = await events.__anext__()
    assert first.data == {"count": 0}
    await events.aclose()
    assert [r async for r in events] == []
