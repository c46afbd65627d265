"""The one stream writer: producer, disconnect watch and heartbeats, with any encoder."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from strawberry_channels.http_stream import write_stream
from strawberry_channels.protocols.multipart_mixed import MultipartMixedEncoder
from strawberry_channels.protocols.sse import SSEEncoder
from strawberry_channels.protocols.stream_encoder import StreamEncoder


def encode(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


class Client:
    """ASGI send/receive ends: records what was sent; disconnects when told to."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.gone = asyncio.Event()
        self.heartbeat: bytes | None = None
        self.heartbeat_seen = asyncio.Event()

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        if self.heartbeat is not None and message.get("body") == self.heartbeat:
            self.heartbeat_seen.set()

    async def receive(self) -> dict[str, Any]:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent[1:])


@pytest.mark.parametrize("encoder_class", [SSEEncoder, MultipartMixedEncoder])
async def test_results_then_the_closing_chunk(encoder_class: type[StreamEncoder]) -> None:
    client = Client()

    async def payloads() -> AsyncIterator[dict[str, Any]]:
        yield {"data": 1}
        yield {"data": 2}

    await write_stream(
        send=client.send,
        receive=client.receive,
        encoder=encoder_class(),
        payloads=payloads,
        encode=encode,
        extra_headers=[(b"x-extra", b"1")],
    )
    start = client.sent[0]
    assert start["status"] == 200
    assert (b"x-extra", b"1") in start["headers"]
    assert dict(start["headers"])[b"content-type"] == encoder_class.content_type.encode()
    expected = encoder_class()
    assert client.body == (
        expected.result({"data": 1}, encode)
        + expected.result({"data": 2}, encode)
        + expected.finish()
    )
    assert client.sent[-1]["more_body"] is False
    assert all(m["more_body"] for m in client.sent[1:-1])


@pytest.mark.parametrize("encoder_class", [SSEEncoder, MultipartMixedEncoder])
async def test_a_failing_producer_ends_with_the_failure_chunk(
    encoder_class: type[StreamEncoder], caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()

    async def payloads() -> AsyncIterator[dict[str, Any]]:
        yield {"data": 1}
        raise ValueError("boom")

    await write_stream(
        send=client.send,
        receive=client.receive,
        encoder=encoder_class(),
        payloads=payloads,
        encode=encode,
    )
    expected = encoder_class()
    assert client.body == (
        expected.result({"data": 1}, encode)
        + expected.failure([{"message": "Internal server error"}], encode)
        + expected.finish()
    )
    assert "A streamed GraphQL operation failed" in caplog.text


async def test_a_disconnect_cancels_the_producer() -> None:
    client = Client()
    closed = asyncio.Event()
    started = asyncio.Event()

    async def payloads() -> AsyncIterator[dict[str, Any]]:
        try:
            started.set()
            await asyncio.Event().wait()  # a subscription with nothing to say
            yield {}  # pragma: no cover
        finally:
            closed.set()

    async def leave() -> None:
        await started.wait()
        client.gone.set()

    leaving = asyncio.ensure_future(leave())
    await write_stream(
        send=client.send,
        receive=client.receive,
        encoder=SSEEncoder(),
        payloads=payloads,
        encode=encode,
        heartbeat_interval=60,
    )
    await leaving
    assert closed.is_set()
    # Nothing after the head: no closing chunk to a client that left.
    assert len(client.sent) == 1


@pytest.mark.parametrize("encoder_class", [SSEEncoder, MultipartMixedEncoder])
async def test_heartbeats_while_nothing_happens(encoder_class: type[StreamEncoder]) -> None:
    client = Client()
    client.heartbeat = encoder_class().heartbeat()

    async def payloads() -> AsyncIterator[dict[str, Any]]:
        await client.heartbeat_seen.wait()  # ends only once a heartbeat went out
        yield {"data": 1}

    await asyncio.wait_for(
        write_stream(
            send=client.send,
            receive=client.receive,
            encoder=encoder_class(),
            payloads=payloads,
            encode=encode,
            heartbeat_interval=0.01,
        ),
        timeout=30,
    )
    bodies = [m["body"] for m in client.sent[1:]]
    assert bodies[0] == client.heartbeat
    assert client.heartbeat_seen.is_set()
    assert b'{"data":1}' in bodies[-2]  # the result, after the heartbeat(s)
    assert client.sent[-1]["more_body"] is False
