"""GET queries, uploads and their CSRF rule, and subscriptions streamed over HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from urllib.parse import urlencode

from channels.testing import HttpCommunicator
from gql import Client, FileVar, gql
from gql.transport.aiohttp import AIOHTTPTransport
from httpoptions.asgi import application

from strawberry_channels.testing import GraphQLHTTPClient, read_sse

BOUNDARY = "example-boundary"


async def request(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    communicator = HttpCommunicator(application, method, path, body=body, headers=raw_headers)
    response = await communicator.get_response()
    response_headers = {k.decode().lower(): v.decode() for k, v in response["headers"]}
    return response["status"], response_headers, response["body"]


def upload_body(text: bytes) -> bytes:
    operations = {
        "query": "mutation ($file: Upload!) { uploadFile(file: $file) { name size sha256 } }",
        "variables": {"file": None},
    }
    fields = [
        ('name="operations"', "application/json", json.dumps(operations).encode()),
        ('name="map"', "application/json", json.dumps({"0": ["variables.file"]}).encode()),
        ('name="0"; filename="notes.txt"', "text/plain", text),
    ]
    body = b""
    for disposition, content_type, data in fields:
        body += (
            (
                f"--{BOUNDARY}\r\nContent-Disposition: form-data; {disposition}\r\n"
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    return body + f"--{BOUNDARY}--\r\n".encode()


async def test_query_over_get() -> None:
    query = urlencode({"query": '{ hello(name: "GET") }'})
    status, _, body = await request(
        "GET", f"/graphql?{query}", headers={"Accept": "application/json"}
    )
    assert status == 200
    assert json.loads(body) == {"data": {"hello": "Hello, GET!"}}


async def test_mutation_over_get_is_refused() -> None:
    query = urlencode({"query": 'mutation { announce(message: "no") }'})
    status, headers, _ = await request(
        "GET", f"/graphql?{query}", headers={"Accept": "application/json"}
    )
    assert status == 405
    assert headers["allow"] == "POST"


async def test_upload_with_a_preflight_header() -> None:
    status, _, body = await request(
        "POST",
        "/graphql",
        body=upload_body(b"strawberries\n"),
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Accept": "application/json",
            "GraphQL-Preflight": "1",
        },
    )
    assert status == 200
    assert json.loads(body) == {
        "data": {
            "uploadFile": {
                "name": "notes.txt",
                "size": 13,
                "sha256": hashlib.sha256(b"strawberries\n").hexdigest(),
            }
        }
    }


async def test_upload_without_a_preflight_header_is_refused() -> None:
    status, _, body = await request(
        "POST",
        "/graphql",
        body=upload_body(b"forged"),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert status == 400
    assert "uploadFile" not in body.decode()


async def test_upload_over_the_size_limit_is_refused() -> None:
    status, _, _ = await request(
        "POST",
        "/graphql",
        body=upload_body(b"x" * (1024 * 1024 + 1)),
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "GraphQL-Preflight": "1",
        },
    )
    assert status == 413


async def test_live_server_queries_and_uploads_with_gql(live_server: str) -> None:
    transport = AIOHTTPTransport(
        url=f"{live_server}/graphql", headers={"Apollo-Require-Preflight": "true"}
    )
    async with Client(transport=transport) as session:
        assert await session.execute(gql("{ hello }")) == {"hello": "Hello, world!"}
        upload = gql("mutation ($files: [Upload!]!) { uploadFiles(files: $files) { name size } }")
        upload.variable_values = {
            "files": [
                FileVar(io.BytesIO(b"one"), filename="a.txt"),
                FileVar(io.BytesIO(b"three"), filename="b.txt"),
            ]
        }
        result = await session.execute(upload, upload_files=True)
    assert result == {"uploadFiles": [{"name": "a.txt", "size": 3}, {"name": "b.txt", "size": 5}]}


async def test_live_multipart_subscription_fed_by_the_channel_layer(live_server: str) -> None:
    url = f"{live_server}/graphql"
    received: list[object] = []

    async def subscribe_and_publish() -> None:
        async with Client(transport=AIOHTTPTransport(url=url)) as subscriber:
            query = gql("subscription { announcements { message } }")
            async for item in subscriber.subscribe(query):
                received.append(item["announcements"])
                if item["announcements"] is None:
                    # Listening: publish through the server, whose in-memory layer we share.
                    async with Client(transport=AIOHTTPTransport(url=url)) as publisher:
                        for text in ("first", "second"):
                            announced = gql(f'mutation {{ announce(message: "{text}") }}')
                            assert await publisher.execute(announced) == {"announce": True}
                elif len(received) == 3:
                    break

    # Heartbeats come every 15 s: an event must not wait for the next heartbeat to be read.
    await asyncio.wait_for(subscribe_and_publish(), 10)
    assert received == [None, {"message": "first"}, {"message": "second"}]


# --8<-- [start:live-sse]
async def test_live_server_sent_events(live_server: str) -> None:
    async with (
        GraphQLHTTPClient(live_server, timeout=10) as client,
        client.stream("subscription { countdown(start: 2) }", protocol="sse") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [event async for event in read_sse(response.aiter_raw())]
    assert [event.event for event in events] == ["next", "next", "next", "complete"]
    assert [event.json() for event in events[:3]] == [{"data": {"countdown": n}} for n in (2, 1, 0)]
    # The client reads the same stream as execution results.
    async with GraphQLHTTPClient(live_server, timeout=10) as client:
        results = client.subscribe("subscription { countdown(start: 1) }")
        assert [result.data async for result in results] == [
            {"countdown": 1},
            {"countdown": 0},
        ]


# --8<-- [end:live-sse]
