"""The npm graphql-http audit suite, run against a live server, reports every audit ok."""

from __future__ import annotations

from pathlib import Path

from conftest import run_node, serve
from http_schema import make_schema

from strawberry_channels import GraphQLHTTPConsumer, SyncGraphQLHTTPConsumer


async def _audit(app: object) -> list[dict[str, object]]:
    async with serve(app) as url:
        code, results, stderr = await run_node("http-audit.mjs", f"{url}/graphql")
    assert code == 0, stderr
    assert isinstance(results, list), results
    return results


async def test_graphql_http_audit_all_ok(node_clients: Path) -> None:
    results = await _audit(GraphQLHTTPConsumer.as_asgi(schema=make_schema()))
    assert len(results) >= 60
    not_ok = [result for result in results if result["status"] != "ok"]
    assert not_ok == []


async def test_graphql_http_audit_all_ok_with_streaming_enabled(node_clients: Path) -> None:
    app = GraphQLHTTPConsumer.as_asgi(
        schema=make_schema(), subscription_protocols=["sse", "multipart"]
    )
    results = await _audit(app)
    assert [result for result in results if result["status"] != "ok"] == []


async def test_graphql_http_audit_all_ok_sync_consumer(node_clients: Path) -> None:
    results = await _audit(SyncGraphQLHTTPConsumer.as_asgi(schema=make_schema()))
    assert [result for result in results if result["status"] != "ok"] == []
