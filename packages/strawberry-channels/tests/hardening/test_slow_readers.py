"""Clients that stop reading while messages flow: server memory stays bounded on every server.

Ten raw sockets subscribe to a group (over graphql-transport-ws, or over SSE) and
then stop reading (a small receive buffer, so that the kernel holds little for
them), while a fast client reads every message. The server runs in a subprocess
(uvicorn, then Daphne) and reports its own RSS and how many connections it gave up
through a query.

* uvicorn's ``send`` waits while the socket is over its high-water mark, so the
  stalled operations stop and their listener buffers (100 messages) drop the oldest;
  a socket on which no send completes for ``send_buffer_timeout`` seconds is given
  up (closed with 4503, dropped when the close frame cannot be written either).
* Daphne's ``send`` never waits, so the consumer watches the bytes Twisted holds:
  past ``max_send_buffer`` sending waits, and a socket still over it after
  ``send_buffer_timeout`` seconds is closed with 4503. Without that, Twisted kept
  every byte (ten stalled readers took the server from 76 to 524 MB). A stream
  over HTTP has no close code: it is aborted (default limit, 4 MiB).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import struct
from collections.abc import Iterator

import httpx
import pytest
from hardening_helpers import ws_client

from strawberry_channels.servers import SLOW_READER_CLOSE_CODE
from strawberry_channels.testing import run_server

STALLED = 10
SIZE = 16 * 1024
BATCH = 50
MESSAGES = 2000  # 32 MiB for each stalled reader
#: What the stalled readers may cost the server at most (today 10 x ~1.6 MiB of
#: listener buffers and 10 x 256 KiB of send buffer, plus allocator slack); without
#: a bound on Daphne the same run grows by about 300 MiB.
RSS_BOUND_KIB = 80 * 1024

APP = """
import logging
import os
from collections.abc import AsyncGenerator

import django
from django.conf import settings

settings.configure(
    ALLOWED_HOSTS=["*"],
    CHANNEL_LAYERS={
        "default": {
            "BACKEND": "strawberry_channels.layers.LocalChannelLayer",
            "CONFIG": {"capacity": 5000},
        }
    },
)
django.setup()

import strawberry
from channels.layers import get_channel_layer

from strawberry_channels import GraphQLProtocolTypeRouter

GIVEN_UP: list[str] = []


class GivenUp(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Giving up a connection"):
            GIVEN_UP.append(record.getMessage())


logging.getLogger("strawberry_channels").addHandler(GivenUp(logging.WARNING))


@strawberry.type
class Query:
    @strawberry.field
    def rss_kib(self) -> int:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    @strawberry.field
    def given_up(self) -> int:
        return len(GIVEN_UP)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def blast(self, group: str, start: int, count: int, size: int) -> int:
        layer = get_channel_layer()
        for n in range(start, start + count):
            await layer.group_send(group, {"type": "test.message", "text": f"{n} " + "x" * size})
        return count


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def listen(self, info: strawberry.Info, group: str) -> AsyncGenerator[str | None, None]:
        context = info.context  # WebSockets: the consumer is "ws"; HTTP: the request's
        consumer = context.get("ws") or context["request"].consumer
        async with consumer.listen_to_channel("test.message", groups=[group]) as cm:
            yield None
            async for message in cm:
                yield message["text"]


application = GraphQLProtocolTypeRouter(
    strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription),
    http_options={"subscription_protocols": ["sse"], "listener_buffer_size": 100},
    ws_options={
        "listener_buffer_size": 100,
        "max_send_buffer": None if os.environ.get("NO_SEND_BUFFER_LIMIT") else 256 * 1024,
        "send_buffer_timeout": 5,
    },
)
"""

SUBSCRIBE = json.dumps(
    {
        "type": "subscribe",
        "id": "s",
        "payload": {"query": 'subscription { listen(group: "flood") }'},
    }
)


class RawClient:
    """A subscriber on a plain blocking socket that reads only when told.

    ``transport``: ``"ws"`` (graphql-transport-ws) or ``"sse"`` (GraphQL over SSE).
    """

    def __init__(self, port: int, transport: str) -> None:
        self.transport = transport
        self.sock = socket.socket()
        # A small receive buffer (it also turns off autotuning): the kernel holds
        # little for a client that does not read, the server has to hold the rest.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(30)
        self.sock.connect(("127.0.0.1", port))
        self.pending = b""
        if transport == "sse":
            body = json.dumps({"query": 'subscription { listen(group: "flood") }'}).encode()
            self.sock.sendall(
                f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Content-Type: application/json\r\nAccept: text/event-stream\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            self._head(b"HTTP/1.1 200")
            return
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
            ).encode()
        )
        self._head(b"HTTP/1.1 101")

    def _head(self, status: bytes) -> None:
        while b"\r\n\r\n" not in self.pending:
            self._fill()
        head, self.pending = self.pending.split(b"\r\n\r\n", 1)
        assert head.startswith(status), head

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        self.pending += chunk

    def _take(self, size: int) -> bytes:
        while len(self.pending) < size:
            self._fill()
        data, self.pending = self.pending[:size], self.pending[size:]
        return data

    def send_text(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x81, 0x80 | length)
        else:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, length)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def frame(self) -> tuple[int, bytes]:
        """The next frame: (opcode, payload); the server's frames are not masked."""
        first, second = self._take(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._take(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._take(8))
        return first & 0x0F, self._take(length)

    def text(self) -> str:
        while True:
            opcode, payload = self.frame()
            if opcode == 0x1:
                return payload.decode()

    def subscribe(self) -> None:
        if self.transport == "sse":
            while b'"listen":null' not in self.pending.replace(b" ", b""):
                self._fill()  # in the group
            return
        self.send_text('{"type": "connection_init"}')
        assert "connection_ack" in self.text()
        self.send_text(SUBSCRIBE)
        assert '"listen":null' in self.text().replace(" ", "")  # in the group

    def close_code(self) -> int | None:
        """Read on to the server's close frame: its code (None: the connection just ended;
        -1: still open after the socket's timeout).

        A stream over HTTP has no close code: None once the connection ends.
        """
        try:
            if self.transport == "sse":
                while True:
                    self.pending = self.pending[-64:]  # only the end matters
                    self._fill()
                    assert b"event: complete" not in self.pending
            while True:
                opcode, payload = self.frame()
                if opcode == 0x8:
                    return int(struct.unpack("!H", payload[:2])[0]) if payload else 1005
        except TimeoutError:
            return -1  # still open: neither a close frame nor the end came
        except (ConnectionError, OSError):
            return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


@pytest.fixture(scope="module", params=["uvicorn", "daphne"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp(f"slow-readers-{request.param}")
    (folder / "slow_readers_app.py").write_text(APP)
    with run_server("slow_readers_app:application", server=request.param, cwd=folder) as url:
        yield request.param, url


async def query(http: httpx.AsyncClient, document: str) -> dict[str, int]:
    response = await http.post("/graphql", json={"query": document})
    data: dict[str, int] = response.json()["data"]
    return data


@pytest.mark.parametrize("transport", ["ws", "sse"])
async def test_stalled_readers_cost_bounded_memory(
    server: tuple[str, str], transport: str, capsys: pytest.CaptureFixture[str]
) -> None:
    kind, url = server
    port = int(url.rsplit(":", 1)[1])
    stalled: list[RawClient] = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as http, ws_client(url) as fast:
        try:
            await fast.start("f", 'subscription { listen(group: "flood") }')
            assert (await fast.next_payload())["payload"] == {"data": {"listen": None}}
            for _ in range(STALLED):
                client = RawClient(port, transport)
                stalled.append(client)
                await asyncio.to_thread(client.subscribe)
            given_up = (await query(http, "{ givenUp }"))["givenUp"]  # by earlier tests
            idle = (await query(http, "{ rssKib }"))["rssKib"]
            peak = idle
            received: list[int] = []
            for start in range(0, MESSAGES, BATCH):
                blast = (
                    f'mutation {{ blast(group: "flood", start: {start}, count: {BATCH}, '
                    f"size: {SIZE}) }}"
                )
                await query(http, blast)
                for _ in range(BATCH):
                    message = await fast.next_payload(timeout=30)
                    received.append(int(message["payload"]["data"]["listen"].split()[0]))
                peak = max(peak, (await query(http, "{ rssKib }"))["rssKib"])
            # The fast reader is not held back by the stalled ones: every message, in order.
            assert received == list(range(MESSAGES))
            with capsys.disabled():
                print(
                    f"\n{kind}, {transport}: {STALLED} stalled readers x "
                    f"{MESSAGES * SIZE // 2**20} MiB sent: "
                    f"server RSS {idle // 1024} MiB idle, {peak // 1024} MiB at most"
                )
            assert peak - idle < RSS_BOUND_KIB, (kind, idle, peak)
            # Every stalled socket is given up once it has stayed over the limit
            # (Daphne) or had no send complete (uvicorn) for the timeout.
            for _ in range(300):
                if (await query(http, "{ givenUp }"))["givenUp"] - given_up >= STALLED:
                    break
                await asyncio.sleep(0.1)
            assert (await query(http, "{ givenUp }"))["givenUp"] - given_up == STALLED
            codes = await asyncio.gather(
                *(asyncio.to_thread(client.close_code) for client in stalled)
            )
            with capsys.disabled():
                print(f"{kind}, {transport}: the stalled readers saw {sorted(set(codes), key=str)}")
            if transport == "sse":
                # A stream has no close code: the connection is aborted.
                assert codes == [None] * STALLED
            elif kind == "daphne":
                # Reading on reaches the close frame.
                assert codes == [SLOW_READER_CLOSE_CODE] * STALLED
            else:
                # uvicorn writes the close frame once the socket takes bytes again,
                # and drops the connection if it has not after another timeout.
                assert set(codes) <= {SLOW_READER_CLOSE_CODE, None}, codes
        finally:
            for client in stalled:
                client.close()
