"""Subscriptions streamed over HTTP (GraphQL over SSE, Apollo multipart) on a real socket."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from channels.layers import get_channel_layer
from conftest import run_node, serve
from gql import Client, gql
from gql.transport.aiohttp import AIOHTTPTransport
from http_schema import make_schema

from strawberry_channels import GraphQLHTTPConsumer
from strawberry_channels.testing import SSEEvent, read_multipart_mixed, read_sse

MULTIPART_ACCEPT = 'multipart/mixed;subscriptionSpec="1.0", application/json'


def streaming_app(**options: Any) -> Any:
    options.setdefault("subscription_protocols", ["sse", "multipart"])
    return GraphQLHTTPConsumer.as_asgi(schema=make_schema(), **options)


def members(group: str) -> set[str]:
    layer: Any = get_channel_layer()
    return set(layer.groups.get(group, {}))


async def until(condition: Any, what: str) -> None:
    """Wait for a condition that the server reaches on its own (bounded, not a timing check)."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def publish(group: str, text: str, last: bool = False) -> None:
    layer: Any = get_channel_layer()
    await layer.group_send(group, {"type": "chat.message", "text": text, "last": last})


async def test_sse_subscription_fed_by_group_send() -> None:
    async with (
        serve(streaming_app()) as url,
        httpx.AsyncClient(timeout=30) as http,
        http.stream(
            "POST",
            f"{url}/graphql",
            json={"query": 'subscription { room(name: "sse") }'},
            headers={"accept": "text/event-stream"},
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = read_sse(response.aiter_raw())
        assert await anext(events) == SSEEvent("next", '{"data":{"room":"joined"}}')
        await publish("room_sse", "hello")
        assert await anext(events) == SSEEvent("next", '{"data":{"room":"hello"}}')
        await publish("room_sse", "bye", last=True)
        assert await anext(events) == SSEEvent("next", '{"data":{"room":"bye"}}')
        assert await anext(events) == SSEEvent("complete", "")
    await until(lambda: not members("room_sse"), "the finished operation left its group")


async def test_sse_query_and_validation_errors_are_next_events() -> None:
    async with serve(streaming_app()) as url, httpx.AsyncClient(timeout=30) as http:
        async with http.stream(
            "POST",
            f"{url}/graphql",
            json={"query": "subscription { nope }"},
            headers={"accept": "text/event-stream"},
        ) as response:
            assert response.status_code == 200
            events = [event async for event in read_sse(response.aiter_raw())]
        assert events[0].event == "next"
        assert "Cannot query field 'nope'" in events[0].json()["errors"][0]["message"]
        assert events[1:] == [SSEEvent("complete", "")]

        async with http.stream(
            "GET",
            f"{url}/graphql",
            params={"query": "{ hello }"},
            headers={"accept": "text/event-stream"},
        ) as response:
            events = [event async for event in read_sse(response.aiter_raw())]
        assert events == [
            SSEEvent("next", '{"data":{"hello":"Hello world"}}'),
            SSEEvent("complete", ""),
        ]


async def test_multipart_subscription_and_query() -> None:
    async with serve(streaming_app()) as url, httpx.AsyncClient(timeout=30) as http:
        async with http.stream(
            "POST",
            f"{url}/graphql",
            json={"query": "subscription { count(to: 2) }"},
            headers={"accept": MULTIPART_ACCEPT},
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"] == (
                "multipart/mixed;boundary=graphql;subscriptionSpec=1.0"
            )
            parts = [
                part async for part in read_multipart_mixed(response.aiter_raw()) if part != {}
            ]
        assert parts == [{"payload": {"data": {"count": 1}}}, {"payload": {"data": {"count": 2}}}]

        # A query with the same Accept is an ordinary JSON response.
        response = await http.post(
            f"{url}/graphql", json={"query": "{ hello }"}, headers={"accept": MULTIPART_ACCEPT}
        )
        assert response.headers["content-type"] == "application/json"
        # Only multipart accepted: the query streams as one part.
        async with http.stream(
            "POST",
            f"{url}/graphql",
            json={"query": "{ hello }"},
            headers={"accept": 'multipart/mixed;subscriptionSpec="1.0"'},
        ) as response:
            parts = [
                part async for part in read_multipart_mixed(response.aiter_raw()) if part != {}
            ]
        assert parts == [{"payload": {"data": {"hello": "Hello world"}}}]


@pytest.mark.parametrize("protocol", ["sse", "multipart"])
async def test_client_disconnect_stops_the_operation_and_leaves_groups(protocol: str) -> None:
    group = f"room_gone_{protocol}"
    accept = "text/event-stream" if protocol == "sse" else MULTIPART_ACCEPT
    layer: Any = get_channel_layer()
    channels_before = set(layer.channels)
    async with serve(streaming_app()) as url, httpx.AsyncClient(timeout=30) as http:
        async with http.stream(
            "POST",
            f"{url}/graphql",
            json={"query": f'subscription {{ room(name: "gone_{protocol}") }}'},
            headers={"accept": accept},
        ) as response:
            first = await anext(response.aiter_raw())
            assert b"joined" in first
            assert len(members(group)) == 1
        # The client closed the connection without reading to the end.
        await until(lambda: not members(group), "the operation left its group")
        await until(lambda: set(layer.channels) <= channels_before, "its channel was dropped")
        # Publishing to the group now reaches nobody and breaks nothing.
        await publish(group, "anyone?")
        response = await http.post(f"{url}/graphql", json={"query": "{ hello }"})
        assert response.json() == {"data": {"hello": "Hello world"}}


@pytest.mark.parametrize("protocol", ["sse", "multipart"])
async def test_heartbeats_while_waiting(protocol: str) -> None:
    accept = "text/event-stream" if protocol == "sse" else MULTIPART_ACCEPT
    app = streaming_app(heartbeat_interval=0.01)
    async with (
        serve(app) as url,
        httpx.AsyncClient(timeout=30) as http,
        http.stream(
            "POST",
            f"{url}/graphql",
            json={"query": f'subscription {{ room(name: "beat_{protocol}") }}'},
            headers={"accept": accept},
        ) as response,
    ):
        items: AsyncIterator[object] = (
            read_sse(response.aiter_raw(), comments=True)
            if protocol == "sse"
            else read_multipart_mixed(response.aiter_raw())
        )
        heartbeat: object = SSEEvent("", "", "") if protocol == "sse" else {}
        seen = [await anext(items)]
        while seen[-1] != heartbeat:
            seen.append(await anext(items))
        await publish(f"room_beat_{protocol}", "after beats", last=True)
        rest = [item async for item in items if item != heartbeat]
    if protocol == "sse":
        assert seen[0] == SSEEvent("next", '{"data":{"room":"joined"}}')
        assert rest == [
            SSEEvent("next", '{"data":{"room":"after beats"}}'),
            SSEEvent("complete", ""),
        ]
    else:
        assert seen[0] == {"payload": {"data": {"room": "joined"}}}
        assert rest == [{"payload": {"data": {"room": "after beats"}}}]


async def test_streaming_options() -> None:
    async with (
        serve(streaming_app(subscription_protocols=["sse"])) as url,
        httpx.AsyncClient(timeout=30) as http,
    ):
        # multipart is off: a subscription asking for it (or JSON) is refused.
        response = await http.post(
            f"{url}/graphql",
            json={"query": "subscription { count }"},
            headers={"accept": MULTIPART_ACCEPT},
        )
        assert response.status_code == 400
        assert "text/event-stream" in response.json()["errors"][0]["message"]
        response = await http.post(
            f"{url}/graphql",
            json={"query": "subscription { count }"},
            headers={"accept": 'multipart/mixed;subscriptionSpec="1.0"'},
        )
        assert response.status_code == 406
    async with (
        serve(streaming_app(subscription_protocols=())) as url,
        httpx.AsyncClient(timeout=30) as http,
    ):
        response = await http.post(
            f"{url}/graphql",
            json={"query": "subscription { count }"},
            headers={"accept": "text/event-stream"},
        )
        assert response.status_code == 406
        response = await http.get(
            f"{url}/graphql",
            params={"query": "subscription { count }"},
        )
        assert response.status_code == 400
        assert "not enabled" in response.json()["errors"][0]["message"]


async def test_gql_aiohttp_transport_multipart_subscription() -> None:
    async with serve(streaming_app(subscription_protocols=["multipart"])) as url:
        transport = AIOHTTPTransport(url=f"{url}/graphql")
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            subscription = session.subscribe(gql('subscription { room(name: "gql") }'))
            assert await anext(subscription) == {"room": "joined"}
            await publish("room_gql", "from a group_send")
            assert await anext(subscription) == {"room": "from a group_send"}
            await publish("room_gql", "last one", last=True)
            assert [result async for result in subscription] == [{"room": "last one"}]
            # Queries still work through the same client.
            assert await session.execute(gql("{ hello }")) == {"hello": "Hello world"}
    await until(lambda: not members("room_gql"), "the operation left its group")


async def test_graphql_sse_npm_client(node_clients: Path) -> None:
    async with serve(streaming_app(subscription_protocols=["sse"])) as url:
        client = asyncio.create_task(
            run_node(
                "sse-client.mjs",
                f"{url}/graphql",
                "subscription Room($name: String!) { room(name: $name) }",
                '{"name": "npm"}',
            )
        )
        await until(lambda: members("room_npm") or client.done(), "the npm client subscribed")
        await publish("room_npm", "one")
        await publish("room_npm", "two", last=True)
        code, output, stderr = await client
    assert code == 0, stderr
    assert output == {
        "results": [
            {"data": {"room": "joined"}},
            {"data": {"room": "one"}},
            {"data": {"room": "two"}},
        ]
    }
    assert not members("room_npm")


async def test_stream_headers_from_temporal_response_and_failures_end_the_stream(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Failing(GraphQLHTTPConsumer):
        async def get_context(self, request: Any, response: Any) -> Any:
            response.headers["x-stream"] = "yes"
            return await super().get_context(request, response)

        async def process_result(self, request: Any, result: Any) -> dict[str, Any]:
            if result.data and result.data.get("count") == 2:
                raise RuntimeError("process_result bug")
            return await super().process_result(request, result)

    app = Failing.as_asgi(schema=make_schema(), subscription_protocols=["sse", "multipart"])
    async with serve(app) as url, httpx.AsyncClient(timeout=30) as http:
        async with http.stream(
            "POST",
            f"{url}/graphql",
            json={"query": "subscription { count(to: 3) }"},
            headers={"accept": "text/event-stream"},
        ) as response:
            assert response.headers["x-stream"] == "yes"
            events = [event async for event in read_sse(response.aiter_raw())]
        assert events == [
            SSEEvent("next", '{"data":{"count":1}}'),
            SSEEvent("next", '{"errors":[{"message":"Internal server error"}]}'),
            SSEEvent("complete", ""),
        ]
        async with http.stream(
            "POST",
            f"{url}/graphql",
            json={"query": "subscription { count(to: 3) }"},
            headers={"accept": MULTIPART_ACCEPT},
        ) as response:
            parts = [
                part async for part in read_multipart_mixed(response.aiter_raw()) if part != {}
            ]
        assert parts == [
            {"payload": {"data": {"count": 1}}},
            {"payload": None, "errors": [{"message": "Internal server error"}]},
        ]
    failures = [r for r in caplog.records if r.name == "strawberry_channels.http"]
    assert len(failures) == 2
    assert all("process_result bug" in str(r.exc_info[1]) for r in failures if r.exc_info)


@pytest.mark.parametrize("protocol", ["sse", "multipart"])
async def test_disconnect_logs_nothing(protocol: str, caplog: pytest.LogCaptureFixture) -> None:
    accept = "text/event-stream" if protocol == "sse" else MULTIPART_ACCEPT
    async with serve(streaming_app(heartbeat_interval=0.01)) as url:
        for _ in range(3):
            async with (
                httpx.AsyncClient(timeout=30) as http,
                http.stream(
                    "POST",
                    f"{url}/graphql",
                    json={"query": f'subscription {{ room(name: "quiet_{protocol}") }}'},
                    headers={"accept": accept},
                ) as response,
            ):
                assert b"joined" in await anext(response.aiter_raw())
            await until(lambda: not members(f"room_quiet_{protocol}"), "left the group")
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert errors == []


async def test_plain_queries_use_no_channel_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    layer: Any = get_channel_layer()
    created: list[str] = []
    original = layer.new_channel

    async def counting_new_channel(prefix: str = "specific.") -> str:
        name: str = await original(prefix)
        created.append(name)
        return name

    monkeypatch.setattr(layer, "new_channel", counting_new_channel)
    app = streaming_app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://testserver"
    ) as http:
        response = await http.post("/graphql", json={"query": "{ hello }"})
        assert response.json() == {"data": {"hello": "Hello world"}}
        response = await http.post("/graphql", json={"query": 'mutation { shout(text: "a") }'})
        assert response.json() == {"data": {"shout": "A"}}
    assert created == []
    # A streamed operation gets a channel of its own.
    async with (
        serve(app) as url,
        httpx.AsyncClient(timeout=30) as http,
        http.stream(
            "POST",
            f"{url}/graphql",
            json={"query": "subscription { count(to: 1) }"},
            headers={"accept": "text/event-stream"},
        ) as response,
    ):
        _ = [event async for event in read_sse(response.aiter_raw())]
    assert len(created) == 1
