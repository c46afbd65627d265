"""The HTTP helpers of ``strawberry_channels.testing``: stream readers and the HTTP client."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Sequence

import pytest
from conftest import serve
from http_schema import make_schema
from hypothesis import given, settings
from hypothesis import strategies as st

from strawberry_channels import GraphQLHTTPConsumer
from strawberry_channels.protocols.multipart_mixed import MultipartMixedEncoder
from strawberry_channels.protocols.sse import SSEEncoder
from strawberry_channels.testing import (
    GraphQLHTTPClient,
    SSEEvent,
    read_multipart_mixed,
    read_sse,
)


async def chunked(body: bytes, cuts: Sequence[int]) -> AsyncIterator[bytes]:
    """``body`` in pieces, cut at the given offsets."""
    start = 0
    for cut in sorted({c % (len(body) + 1) for c in cuts}):
        yield body[start:cut]
        start = cut
    yield body[start:]


async def sse(body: bytes, cuts: Sequence[int] = (), *, comments: bool = False) -> list[SSEEvent]:
    return [event async for event in read_sse(chunked(body, cuts), comments=comments)]


async def parts(body: bytes, cuts: Sequence[int] = ()) -> list[object]:
    return [part async for part in read_multipart_mixed(chunked(body, cuts))]


payloads = st.lists(
    st.dictionaries(st.text(max_size=4), st.integers() | st.text(max_size=6), max_size=3),
    max_size=4,
)


@settings(max_examples=100, deadline=None)
@given(payloads, st.lists(st.integers(min_value=0), max_size=12), st.booleans())
async def test_sse_reader_reads_what_the_encoder_writes_in_any_chunking(
    results: list[dict[str, object]], cuts: list[int], beat: bool
) -> None:
    encoder = SSEEncoder()
    body = b""
    for result in results:
        body += encoder.next(json.dumps(result).encode())
        if beat:
            body += encoder.heartbeat()
    body += encoder.complete()
    events = await sse(body, cuts)
    assert [event.json() for event in events[:-1]] == results
    assert events[-1] == SSEEvent("complete", "")
    assert {event.event for event in events[:-1]} <= {"next"}


@settings(max_examples=100, deadline=None)
@given(payloads, st.lists(st.integers(min_value=0), max_size=12), st.booleans())
async def test_multipart_reader_reads_what_the_encoder_writes_in_any_chunking(
    results: list[dict[str, object]], cuts: list[int], beat: bool
) -> None:
    encoder = MultipartMixedEncoder()
    body = b""
    for result in results:
        body += encoder.part(json.dumps({"payload": result}).encode())
        if beat:
            body += encoder.heartbeat()
    body += encoder.end()
    received = await parts(body, cuts)
    assert [part for part in received if part != {}] == [{"payload": r} for r in results]
    assert received.count({}) == (len(results) if beat else 0)


async def test_sse_reader_follows_the_event_stream_rules() -> None:
    body = (
        b": hello\r\n\r\n"  # a comment-only block: not an event
        b"data: one\r\ndata:two\r\n\r\n"  # no event field: "message"; one leading space dropped
        b"event: named\rid: 7\rdata:  spaced\r\r"  # bare CR line endings
        b"event: no-data\n\n"  # no data: not dispatched
        b"event: last\ndata\n\n"  # a field name alone: empty data
        b"event: unfinished\ndata: x\n"  # never ended by an empty line
    )
    assert await sse(body, range(len(body))) == [
        SSEEvent("message", "one\ntwo"),
        SSEEvent("named", " spaced"),
        SSEEvent("last", ""),
    ]
    assert (await sse(body, comments=True))[0] == SSEEvent("", "", "hello")


async def test_multipart_reader_refuses_a_truncated_body() -> None:
    encoder = MultipartMixedEncoder()
    body = encoder.part(b'{"payload": {"data": 1}}')
    with pytest.raises(ValueError, match="closing delimiter"):
        await parts(body)
    assert await parts(b"--graphql\r\n\r\n{}\r\n--graphql--\r\n") == [{}]


APP = GraphQLHTTPConsumer.as_asgi(schema=make_schema(), subscription_protocols=["sse", "multipart"])


async def test_http_client_executes_and_streams() -> None:
    async with serve(APP) as url, GraphQLHTTPClient(url) as client:
        result = await client.execute("query ($n: String!) { hello(name: $n) }", {"n": "you"})
        assert (result.data, result.errors) == ({"hello": "Hello you"}, None)
        result = await client.execute("{ boom }", method="GET")
        assert result.data is None
        assert result.errors is not None
        assert [e.message for e in result.errors] == ["boom"]
        assert result.errors[0].path == ["boom"]
        response = await client.request('mutation { shout(text: "a") }', method="GET")
        assert response.status_code == 405
        for protocol in ("sse", "multipart"):
            results = client.subscribe("subscription { count(to: 3) }", protocol=protocol)
            assert [r.data async for r in results] == [{"count": n} for n in (1, 2, 3)]


async def test_http_client_refuses_what_is_not_a_stream_and_closes_early() -> None:
    app = GraphQLHTTPConsumer.as_asgi(schema=make_schema(), subscription_protocols=["sse"])
    async with serve(app) as url, GraphQLHTTPClient(url) as client:
        with pytest.raises(AssertionError, match="expected a multipart stream, got 400"):
            _ = [r async for r in client.subscribe("subscription { count }", protocol="multipart")]
        async with contextlib.aclosing(
            client.subscribe('subscription { room(name: "early") }')
        ) as results:
            async for result in results:
                assert result.data == {"room": "joined"}
                break
        # The connection was closed: the server is free for the next request.
        assert (await client.execute("{ hello }")).data == {"hello": "Hello world"}
