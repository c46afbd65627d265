"""A lean graphql-transport-ws subscriber for the fan-out load generator.

``client.py fanout_lean`` holds every subscriber in one asyncio process on uvloop; each one is
an ``asyncio.Protocol`` over a plain TCP connection that speaks just enough RFC 6455 (client
frames masked, server frames unmasked, no extensions, no fragmentation) to subscribe once and
then count ``next`` frames. During the measured part no frame is JSON-decoded: a frame counts
when the bytes after its ``"seq":`` are the sequence number expected next (order and count in
one byte search), and ``sent`` (the publisher's ``time.monotonic()``) is read from the bytes
after ``"sent":`` for the latency. Anything else (a frame with another sequence number, an
``error`` or ``complete``) goes to the slow path, which decodes it and marks the subscriber
out of order. Frames with a negative ``seq`` are greetings and warm-ups sent before the
measured part: they mark the subscriber as live and are not counted.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import time
from typing import Any

SUBPROTOCOL = b"graphql-transport-ws"
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SEQ = b'"seq":'
SENT = b'"sent":'
NEGATIVE = ord("-")
SPACE = ord(" ")


def client_frame(payload: bytes, opcode: int = 1) -> bytes:
    """One masked, final frame (every client-to-server frame must be masked)."""
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = bytes((0x80 | opcode, 0x80 | n))
    elif n < 1 << 16:
        header = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    repeated = (mask * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")
    return header + mask + masked


class Subscriber(asyncio.Protocol):
    """One WebSocket connection carrying one subscription (operation id ``1``)."""

    def __init__(self, host: str, path: str, m: int, latencies: list[float]) -> None:
        self.host, self.path, self.m = host, path, m
        self.latencies = latencies
        self.key = base64.b64encode(os.urandom(16))
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.handshaken = False
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()  # frames while setting up
        self.counting = False  # set once subscribed: the fast path
        self.live = asyncio.Event()  # a greeting or warm-up frame arrived
        self.received = 0  # the next sequence number expected, and the count so far
        self.marker = b"0"
        self.in_order = True
        self.problem: str | None = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # ------------------------------------------------------------------ connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        transport.write(
            b"GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Protocol: %s\r\n\r\n"
            % (self.path.encode(), self.host.encode(), self.key, SUBPROTOCOL)
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed during the handshake: {exc}"))
        if not self.done.done():
            self.problem = self.problem or f"connection lost after {self.received} events"
            self.done.set_result(None)

    def send_text(self, text: str) -> None:
        assert self.transport is not None
        self.transport.write(client_frame(text.encode()))

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame((1000).to_bytes(2, "big"), opcode=8))
            self.transport.close()

    # ------------------------------------------------------------------ frames

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        pos = 0
        if not self.handshaken:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            self._handshake(bytes(buf[:end]))
            if not self.handshaken:
                assert self.transport is not None
                self.transport.close()
                return
            pos = end + 4
        n = len(buf)
        now = time.monotonic()
        while n - pos >= 2:
            b0 = buf[pos]
            length = buf[pos + 1] & 0x7F
            start = pos + 2
            if length == 126:
                if n - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                start = pos + 4
            elif length == 127:
                if n - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                start = pos + 10
            end = start + length
            if end > n:
                break
            if b0 == 0x81:  # a final text frame
                if self.counting:
                    self._count(buf, start, end, now)
                else:
                    self.inbox.put_nowait(json.loads(buf[start:end]))
            elif b0 == 0x89:  # ping
                assert self.transport is not None
                self.transport.write(client_frame(bytes(buf[start:end]), opcode=10))
            elif b0 == 0x88:  # close
                self.problem = self.problem or f"server closed: {bytes(buf[start:end])!r}"
                self.in_order = False
            elif b0 != 0x8A:  # anything else (fragments, binary) is unexpected here
                self.problem = self.problem or f"unexpected frame 0x{b0:02x}"
                self.in_order = False
            pos = end
        del buf[:pos]

    def _handshake(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        accept = base64.b64encode(hashlib.sha1(self.key + GUID).digest())
        if b" 101 " not in lines[0] + b" " or headers.get(b"sec-websocket-accept") != accept:
            self.opened.set_exception(ConnectionError(f"handshake refused: {head[:200]!r}"))
            return
        if headers.get(b"sec-websocket-protocol") != SUBPROTOCOL:
            self.opened.set_exception(ConnectionError("subprotocol not accepted"))
            return
        self.handshaken = True
        self.opened.set_result(None)

    def _count(self, buf: bytearray, start: int, end: int, now: float) -> None:
        """The fast path: a byte search, no JSON decoding."""
        i = buf.find(SEQ, start, end)
        if i >= 0:
            i += 6
            if buf[i] == SPACE:
                i += 1
            if buf.startswith(self.marker, i):
                j = buf.find(SENT, i, end)
                if j >= 0:
                    self.latencies.append(now - float(buf[j + 7 : buf.find(b"}", j, end)]))
                self.received += 1
                self.marker = b"%d," % self.received
                if self.received == self.m and not self.done.done():
                    self.done.set_result(None)
                return
            if buf[i] == NEGATIVE:  # a greeting or warm-up, before the measured part
                self.live.set()
                return
        self._unexpected(bytes(buf[start:end]))

    def _unexpected(self, frame: bytes) -> None:
        """The slow path: decode the frame and say what was wrong with it."""
        self.in_order = False
        try:
            message = json.loads(frame)
        except ValueError:
            message = {"undecodable": frame[:200].decode(errors="replace")}
        if self.problem is None:
            self.problem = f"after {self.received} events: {json.dumps(message)[:300]}"
        if message.get("type") in ("error", "complete") and not self.done.done():
            self.done.set_result(None)

    # ------------------------------------------------------------------ setup

    async def init(self, timeout: float = 30) -> None:
        """Wait for the upgrade, then connection_init / connection_ack."""
        await asyncio.wait_for(self.opened, timeout)
        self.send_text('{"type":"connection_init"}')
        ack = await asyncio.wait_for(self.inbox.get(), timeout)
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"no connection_ack: {ack}")

    def subscribe(self, query: str, variables: dict[str, Any]) -> None:
        """Send the subscription; from now on text frames take the fast path."""
        self.counting = True
        payload = {"query": query, "variables": variables}
        self.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))


async def open_subscriber(url: str, m: int, latencies: list[float]) -> Subscriber:
    """Connect to ``ws://host:port/path`` and complete the graphql-transport-ws handshake."""
    rest = url.removeprefix("ws://")
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(
        lambda: Subscriber(hostport, "/" + path, m, latencies), host, int(port)
    )
    await protocol.init()
    return protocol
