"""The shared document cache: parse and validate once per query text."""

from __future__ import annotations

import strawberry
from graphql import FieldNode, GraphQLError, ValidationContext, ValidationRule
from strawberry.extensions import AddValidationRules
from strawberry.types.graphql import OperationType

from strawberry_channels import install_document_cache


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"Hello {name}"


@strawberry.type
class Mutation:
    @strawberry.mutation
    def shout(self, text: str) -> str:
        return text.upper()


def make_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query, mutation=Mutation)


async def test_repeated_query_is_parsed_once_and_still_correct() -> None:
    schema = make_schema()
    cache = install_document_cache(schema)
    for name in ["a", "b", "c"]:
        result = await schema.execute(
            "query Q($n: String!) { hello(name: $n) }", variable_values={"n": name}
        )
        assert result.errors is None
        assert result.data == {"hello": f"Hello {name}"}
    assert cache.misses == 1
    assert cache.hits == 2
    assert len(cache) == 1


async def test_validation_errors_are_reported_on_every_request() -> None:
    schema = make_schema()
    install_document_cache(schema)
    for _ in range(3):
        result = await schema.execute("{ nope }")
        assert result.data is None
        assert result.errors is not None
        assert "Cannot query field 'nope'" in result.errors[0].message


async def test_syntax_errors_are_reported_and_not_cached() -> None:
    schema = make_schema()
    cache = install_document_cache(schema)
    for _ in range(2):
        result = await schema.execute("{ hello")
        assert result.errors is not None
        assert "Syntax Error" in result.errors[0].message
    assert len(cache) == 0


def test_install_is_idempotent_and_keeps_user_extensions() -> None:
    schema = make_schema()
    before = tuple(schema.extensions)
    first = install_document_cache(schema)
    second = install_document_cache(schema)
    assert first is second
    assert tuple(schema.extensions[: len(before)]) == before
    assert len(schema.extensions) == len(before) + 1


def test_operation_type_uses_the_cache() -> None:
    schema = make_schema()
    cache = install_document_cache(schema)
    assert cache.operation_type("{ hello }") is OperationType.QUERY
    assert cache.operation_type('mutation { shout(text: "x") }') is OperationType.MUTATION
    document = 'query A { hello } mutation B { shout(text: "x") }'
    assert cache.operation_type(document, "B") is OperationType.MUTATION
    assert cache.operation_type(document) is None
    assert cache.operation_type(document, "C") is None
    assert cache.operation_type("{ broken") is None


def test_lru_evicts_least_recently_used() -> None:
    schema = make_schema()
    cache = install_document_cache(schema, maxsize=2)
    cache.parse("{ a: hello }")
    cache.parse("{ b: hello }")
    cache.parse("{ a: hello }")
    cache.parse("{ c: hello }")
    assert len(cache) == 2
    misses = cache.misses
    cache.parse("{ a: hello }")
    assert cache.misses == misses
    cache.parse("{ b: hello }")
    assert cache.misses == misses + 1


def counting_rule() -> tuple[type[ValidationRule], list[int]]:
    """A validation rule that counts how often validation runs, and forbids `shout`."""
    runs = [0]

    class NoShouting(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            runs[0] += 1

        def enter_field(self, node: FieldNode, *_args: object) -> None:
            if node.name.value == "shout":
                self.report_error(GraphQLError("No shouting"))

    return NoShouting, runs


async def test_validation_runs_once_per_query_text_and_its_errors_are_kept() -> None:
    rule, runs = counting_rule()
    schema = strawberry.Schema(
        query=Query, mutation=Mutation, extensions=[lambda: AddValidationRules([rule])]
    )
    install_document_cache(schema)
    for _ in range(3):
        assert (await schema.execute("{ hello }")).data == {"hello": "Hello world"}
    assert runs[0] == 1
    for _ in range(3):
        result = await schema.execute('mutation { shout(text: "x") }')
        assert result.errors is not None
        assert result.errors[0].message == "No shouting"
    assert runs[0] == 2


async def test_rules_added_by_a_later_extension_are_never_skipped() -> None:
    schema = make_schema()
    install_document_cache(schema)
    query = 'mutation { shout(text: "x") }'
    assert (await schema.execute(query)).data == {"shout": "X"}
    assert (await schema.execute(query)).data == {"shout": "X"}

    # An extension appended after the cache adds a rule the cached outcome never saw.
    rule, runs = counting_rule()
    schema.extensions = (*schema.extensions, lambda: AddValidationRules([rule]))
    for expected_runs in (1, 2):
        result = await schema.execute(query)
        assert result.data is None
        assert result.errors is not None
        assert result.errors[0].message == "No shouting"
        assert runs[0] == expected_runs
