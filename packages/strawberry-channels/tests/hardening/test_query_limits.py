"""Query cost limits over real sockets: HTTP, multipart uploads and both WebSocket protocols."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from attacks import (
    aliases,
    aliases_in_fragment,
    deep,
    deep_through_fragments,
    doubling_aliased_fragments,
    doubling_fragments,
    fragment_cycle,
    repeated_fields,
)
from conftest import serve
from graphql import get_introspection_query
from hardening_helpers import LEGACY_WS, TRANSPORT_WS, ws_client
from hardening_schema import make_schema

from strawberry_channels import (
    GraphQLHTTPConsumer,
    GraphQLProtocolTypeRouter,
    QueryLimits,
    install_query_limits,
)

# (document, words of the expected refusal)
REFUSED = {
    "doubling-aliased-fragments": (doubling_aliased_fragments(18), "aliases"),
    "doubling-fragments": (doubling_fragments(40), "fields"),
    "fragment-cycle": (fragment_cycle(), "within itself"),
    "50k-aliases": (aliases(50_000), "bytes"),
    "tokens": (aliases(5_000), "tokens"),
    "aliases-within-tokens": (aliases(300), "aliases"),
    "aliases-through-fragment": (aliases_in_fragment(30, 10), "aliases"),
    "depth": (deep(21), "deeper than 20"),
    "depth-through-fragments": (deep_through_fragments(21), "deeper than 20"),
    "900-kib-of-fields": (repeated_fields(900 * 1024), "bytes"),
}


def app(**http_options: Any) -> Any:
    return GraphQLProtocolTypeRouter(make_schema(), http_options=http_options)


def test_the_bomb_is_as_small_as_the_issue_says() -> None:
    # The issue's 1,320-byte doubling-fragments query; this one runs 2**18
    # resolvers (about 20 s of CPU) when nothing refuses it.
    assert len(doubling_aliased_fragments(18).encode()) <= 1320


@pytest.mark.parametrize("name", list(REFUSED))
async def test_http_refuses_expensive_documents(name: str) -> None:
    document, words = REFUSED[name]
    async with serve(app()) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        response = await asyncio.wait_for(http.post("/graphql", json={"query": document}), 10)
        # graphql-response+json is not asked for: request errors come with 200.
        assert response.status_code == 200, response.text
        body = response.json()
        assert body.get("data") is None
        assert words in body["errors"][0]["message"], body
        # The server is free for the next client at once.
        hello = await asyncio.wait_for(http.post("/graphql", json={"query": "{ hello }"}), 5)
        assert hello.json() == {"data": {"hello": "Hello world"}}


async def test_http_graphql_response_json_answers_400() -> None:
    async with serve(app()) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        response = await http.post(
            "/graphql",
            json={"query": doubling_aliased_fragments(18)},
            headers={"accept": "application/graphql-response+json"},
        )
        assert response.status_code == 400
        assert "aliases" in response.json()["errors"][0]["message"]


async def test_http_get_is_limited_too() -> None:
    async with serve(app()) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        response = await http.get("/graphql", params={"query": deep(25)})
        assert "deeper than 20" in response.json()["errors"][0]["message"]


async def test_multipart_operations_part_is_limited() -> None:
    # An 8 MB query inside `operations` of an upload: refused on its size.
    big = repeated_fields(8 * 1024 * 1024)
    operations = json.dumps({"query": big, "variables": {"file": None}})
    async with (
        serve(app(multipart_uploads_enabled=True, max_upload_size=20 * 1024 * 1024)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        response = await asyncio.wait_for(
            http.post(
                "/graphql",
                data={"operations": operations, "map": json.dumps({"0": ["variables.file"]})},
                files={"0": ("a.txt", b"hello", "text/plain")},
                headers={"apollo-require-preflight": "1"},
            ),
            10,
        )
        assert "bytes" in response.json()["errors"][0]["message"], response.text


@pytest.mark.parametrize("subprotocol", [TRANSPORT_WS, LEGACY_WS])
@pytest.mark.parametrize("name", ["doubling-aliased-fragments", "fragment-cycle", "depth"])
async def test_websockets_refuse_expensive_documents(subprotocol: str, name: str) -> None:
    document, words = REFUSED[name]
    async with serve(app()) as url, ws_client(url, subprotocol) as client:
        await client.start("1", document)
        message = await client.next_payload()
        assert message["type"] == "error", message
        errors = message["payload"]
        errors = errors if isinstance(errors, list) else errors.get("errors", [errors])
        assert words in json.dumps(errors), message
        await client.start("2", "{ hello }")
        answer = await client.next_payload(timeout=5)
        assert answer["payload"] == {"data": {"hello": "Hello world"}}


async def test_introspection_passes_the_default_limits() -> None:
    query = get_introspection_query(descriptions=True, input_value_deprecation=True)
    async with serve(app()) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        response = await http.post("/graphql", json={"query": query})
        body = response.json()
        assert "errors" not in body, body
        assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_limits_are_configurable_per_schema() -> None:
    schema = make_schema()
    install_query_limits(schema, QueryLimits(max_depth=3))
    application = GraphQLHTTPConsumer.as_asgi(schema=schema)
    # The consumers' own install keeps the schema's limits.
    assert install_query_limits(schema).max_depth == 3
    async with serve(application) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        refused = (await http.post("/", json={"query": deep(4)})).json()
        assert "deeper than 3" in refused["errors"][0]["message"]
        accepted = (await http.post("/", json={"query": deep(3)})).json()
        assert accepted == {"data": {"node": {"child": {"name": "node"}}}}
    install_query_limits(schema, QueryLimits.unlimited())
    async with serve(application) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        accepted = (await http.post("/", json={"query": deep(30)})).json()
        assert "errors" not in accepted


async def test_document_cache_is_bounded_by_bytes_and_skips_refused_documents() -> None:
    schema = make_schema()
    install_query_limits(schema)
    cache = GraphQLHTTPConsumer(schema=schema).document_cache
    application = GraphQLHTTPConsumer.as_asgi(schema=schema)
    async with serve(application) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        # Refused documents are never cached.
        for name in ("doubling-aliased-fragments", "fragment-cycle", "900-kib-of-fields"):
            await http.post("/", json={"query": REFUSED[name][0]})
        assert len(cache) == 0
        assert cache._documents.weight == 0
        # An accepted document longer than max_cached_document_size is not cached either.
        long_query = "{ hello } # " + "x" * 40_000
        assert (await http.post("/", json={"query": long_query})).json()["data"]
        assert len(cache) == 0
        # Many distinct small documents: the cache holds at most its byte budget.
        padded = [f"query Q{i} {{ hello }} # {'x' * 20_000}" for i in range(80)]
        for query in padded:
            assert (await http.post("/", json={"query": query})).json()["data"]
        assert 0 < cache._documents.weight <= 1024 * 1024
        assert cache._validation.weight <= 1024 * 1024
        assert len(cache) < 80
