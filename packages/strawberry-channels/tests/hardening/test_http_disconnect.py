"""An HTTP client that disconnects mid-execution cancels its execution (real socket)."""

from __future__ import annotations

import asyncio

import httpx
from conftest import serve
from hardening_schema import SLOW, make_schema

from strawberry_channels import GraphQLProtocolTypeRouter


async def test_disconnect_cancels_the_execution() -> None:
    SLOW.clear()
    async with serve(GraphQLProtocolTypeRouter(make_schema())) as url:
        host, port = url.removeprefix("http://").split(":")
        _, writer = await asyncio.open_connection(host, int(port))
        body = b'{"query": "{ slow(seconds: 3) }"}'
        writer.write(
            b"POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        for _ in range(200):
            if SLOW:
                break
            await asyncio.sleep(0.01)
        assert SLOW == ["started"]
        writer.close()  # the client goes away
        for _ in range(200):
            if len(SLOW) > 1:
                break
            await asyncio.sleep(0.01)
        assert SLOW == ["started", "cancelled"]
        # The server answers the next client as usual.
        async with httpx.AsyncClient(base_url=url) as http:
            answer = await http.post("/graphql", json={"query": "{ slow(seconds: 0) }"})
            assert answer.json() == {"data": {"slow": "done"}}
