"""SSE and multipart behind one StreamEncoder interface."""

from __future__ import annotations

import json

import pytest

from strawberry_channels.protocols.multipart_mixed import MultipartMixedEncoder
from strawberry_channels.protocols.sse import SSEEncoder
from strawberry_channels.protocols.stream_encoder import StreamEncoder


def encode(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def sse_events(stream: bytes) -> list[tuple[str, str]]:
    events = []
    for block in stream.split(b"\n\n"):
        if not block or block.startswith(b":"):
            continue
        lines = dict(line.split(b":", 1) for line in block.split(b"\n"))
        events.append((lines[b"event"].strip().decode(), lines[b"data"].strip().decode()))
    return events


def multipart_bodies(stream: bytes) -> list[object]:
    assert stream.endswith(b"\r\n--graphql--\r\n")
    bodies: list[object] = []
    for chunk in stream.split(b"\r\n--graphql")[1:-1]:
        body = chunk.partition(b"\r\n\r\n")[2]
        bodies.append(json.loads(body))
    return bodies


@pytest.mark.parametrize("encoder_class", [SSEEncoder, MultipartMixedEncoder])
def test_interface_refuses_to_frame_past_the_end(encoder_class: type[StreamEncoder]) -> None:
    encoder = encoder_class()
    assert not encoder.completed
    encoder.finish()
    assert encoder.completed
    with pytest.raises(RuntimeError):
        encoder.result({"data": 1}, encode)
    with pytest.raises(RuntimeError):
        encoder.failure([{"message": "x"}], encode)
    with pytest.raises(RuntimeError):
        encoder.finish()


@pytest.mark.parametrize("encoder_class", [SSEEncoder, MultipartMixedEncoder])
def test_headers_name_the_content_type_and_forbid_buffering(
    encoder_class: type[StreamEncoder],
) -> None:
    headers = dict(encoder_class.headers)
    assert headers[b"content-type"].decode() == encoder_class.content_type
    assert headers[b"cache-control"] == b"no-cache"
    assert headers[b"x-accel-buffering"] == b"no"


def test_sse_through_the_interface() -> None:
    encoder: StreamEncoder = SSEEncoder()
    stream = (
        encoder.result({"data": {"a": 1}}, encode)
        + encoder.heartbeat()
        + encoder.failure([{"message": "boom"}], encode)
        + encoder.finish()
    )
    assert sse_events(stream) == [
        ("next", '{"data":{"a":1}}'),
        ("next", '{"errors":[{"message":"boom"}]}'),
        ("complete", ""),
    ]


def test_multipart_through_the_interface() -> None:
    encoder: StreamEncoder = MultipartMixedEncoder()
    stream = (
        encoder.result({"data": {"a": 1}}, encode)
        + encoder.heartbeat()
        + encoder.failure([{"message": "boom"}], encode)
        + encoder.finish()
    )
    assert multipart_bodies(stream) == [
        {"payload": {"data": {"a": 1}}},
        {},
        {"payload": None, "errors": [{"message": "boom"}]},
    ]
