"""One shared execution serves graphql-transport-ws, graphql-ws, SSE and multipart clients
(docs: shared-subscriptions.md)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Literal

from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport
from graphql import parse, print_ast

from strawberry_channels import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry_channels.testing import GraphQLHTTPClient
from tests.helpers import PRICES, Server, ws_url

TICKS = 5
#: gql sends the document as graphql-core prints it: the HTTP clients send the same text,
#: since only operations with the same document text share an execution.
QUERY = print_ast(parse(PRICES))


async def over_websockets(server: Server, subprotocol: str) -> list[int]:
    transport = WebsocketsTransport(url=ws_url(server.url), subprotocols=[subprotocol])
    seen: list[int] = []
    async with Client(transport=transport) as session:
        request = GraphQLRequest(QUERY, variable_values={"symbol": "PROTO"})
        async for result in session.subscribe(request):
            seen.append(result["prices"]["sequence"])
            if len(seen) == TICKS:
                break
    return seen


async def over_http(server: Server, protocol: Literal["sse", "multipart"]) -> list[int]:
    seen: list[int] = []
    async with GraphQLHTTPClient(server.url) as client:
        results = client.subscribe(QUERY, {"symbol": "PROTO"}, protocol=protocol)
        async with contextlib.aclosing(results):
            async for result in results:
                assert result.errors is None, result.errors
                assert result.data is not None
                seen.append(result.data["prices"]["sequence"])
                if len(seen) == TICKS:
                    break
    return seen


async def test_one_execution_serves_every_protocol(server: Server) -> None:
    tasks = [
        asyncio.create_task(over_websockets(server, GRAPHQL_TRANSPORT_WS_PROTOCOL)),
        asyncio.create_task(over_websockets(server, GRAPHQL_WS_PROTOCOL)),
        asyncio.create_task(over_http(server, "sse")),
        asyncio.create_task(over_http(server, "multipart")),
    ]
    state = await server.wait_for_subscribers(4, "PROTO")
    assert state["stats"]["executions"] == 1
    assert len(state["groups"]["ticker.PROTO"]) == 1
    published = [await server.publish_price("PROTO", 100 + n) for n in range(TICKS)]

    assert await asyncio.gather(*tasks) == [published] * 4
    await server.wait_until(lambda s: s["stats"]["executions"] == 0, "every client left")
