"""Helpers of the scale-out and fault tests: servers, a Redis of their own, clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import websockets
from conftest import unavailable

from strawberry_channels.testing import ServerKind, free_port, run_server

HERE = Path(__file__).resolve().parent
APPLICATION = "layer_app:application"
#: How long a test waits for an expected message before failing (a guard against hangs).
WAIT = 10

LISTEN = "subscription Listen($groups: [String!]!) { listen(groups: $groups) }"
PUBLISH = (
    "mutation Publish($group: String!, $text: String!) { publish(group: $group, text: $text) }"
)
END_GROUP = "mutation End($group: String!) { endGroup(group: $group) }"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@contextlib.contextmanager
def server(layer: str, url: str, *, kind: ServerKind = "uvicorn", **env: str) -> Iterator[str]:
    """Serve layer_app with ``kind`` on a free port, pointed at one channel layer."""
    environment = {"SC_LAYER": layer, "SC_LAYER_URL": url, **env}
    with run_server(APPLICATION, server=kind, cwd=HERE, env=environment) as base:
        yield base


@contextlib.contextmanager
def servers(layer: str, url: str, *kinds: ServerKind, **env: str) -> Iterator[list[str]]:
    """Several :func:`server` processes, started side by side (start-up is the slow part)."""
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(len(kinds)) as pool:
        managers = [server(layer, url, kind=kind, **env) for kind in kinds]
        futures = [pool.submit(manager.__enter__) for manager in managers]
        failures: list[BaseException] = []
        for manager, future in zip(managers, futures, strict=True):
            try:
                future.result()
            except BaseException as error:  # started no server: nothing to stop
                failures.append(error)
            else:
                stack.push(manager)
        if failures:
            raise failures[0]
        yield [future.result() for future in futures]


def ws_url(base: str) -> str:
    return "ws" + base.removeprefix("http") + "/graphql"


async def graphql(base: str, query: str, **variables: Any) -> Any:
    async with httpx.AsyncClient(timeout=WAIT) as http:
        response = await http.post(f"{base}/graphql", json={"query": query, "variables": variables})
    return response.json()


async def process_id(base: str) -> int:
    pid: int = (await graphql(base, "{ processId }"))["data"]["processId"]
    return pid


class Subscriber:
    """One WebSocket, graphql-transport-ws (default) or graphql-ws, with one subscription."""

    def __init__(self, base: str, protocol: str = "graphql-transport-ws") -> None:
        self.base = base
        self.protocol = protocol
        self.socket: Any = None

    async def __aenter__(self) -> Subscriber:
        self.socket = await websockets.connect(ws_url(self.base), subprotocols=[self.protocol])  # type: ignore[list-item]
        await self.send({"type": "connection_init"})
        assert (await self.receive())["type"] == "connection_ack"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.socket.close()

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, timeout: float = WAIT) -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(
                await asyncio.wait_for(self.socket.recv(), timeout)
            )
            if message.get("type") != "ka":
                return message

    async def listen(self, *groups: str, id: str = "1") -> None:
        """Subscribe to ``listen(groups)`` and wait for its confirmation (null)."""
        start = "subscribe" if self.protocol == "graphql-transport-ws" else "start"
        payload = {"query": LISTEN, "variables": {"groups": list(groups)}}
        await self.send({"type": start, "id": id, "payload": payload})
        assert await self.receive() == {
            "type": "next" if start == "subscribe" else "data",
            "id": id,
            "payload": {"data": {"listen": None}},
        }

    async def next_text(self) -> str:
        message = await self.receive()
        assert message["type"] in ("next", "data"), message
        text: str = message["payload"]["data"]["listen"]
        return text

    async def closed(self, timeout: float = WAIT) -> int:
        """Wait for the server to close the socket; return the close code."""
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await asyncio.wait_for(self.socket.recv(), timeout)
        code: int = self.socket.close_code
        return code


async def sse_listen(base: str, group: str) -> AsyncIterator[tuple[str, str]]:
    """(event, data) pairs of ``listen(groups: [group])`` over GraphQL over SSE."""
    async with (
        httpx.AsyncClient(timeout=WAIT) as http,
        http.stream(
            "POST",
            f"{base}/graphql",
            json={"query": LISTEN, "variables": {"groups": [group]}},
            headers={"accept": "text/event-stream"},
        ) as response,
    ):
        assert response.status_code == 200
        buffer = b""
        async for chunk in response.aiter_raw():
            buffer += chunk
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                event, data = "", ""
                for line in block.decode().split("\n"):
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data = line[5:].strip()
                if event:
                    yield event, data


async def multipart_listen(base: str, group: str) -> AsyncIterator[Any]:
    """Each part's JSON of ``listen(groups: [group])`` over multipart; "end" at the close."""
    async with (
        httpx.AsyncClient(timeout=WAIT) as http,
        http.stream(
            "POST",
            f"{base}/graphql",
            json={"query": LISTEN, "variables": {"groups": [group]}},
            headers={"accept": 'multipart/mixed;subscriptionSpec="1.0", application/json'},
        ) as response,
    ):
        assert response.status_code == 200
        buffer = b""
        async for chunk in response.aiter_raw():
            buffer += chunk
            while True:
                start = buffer.find(b"\r\n\r\n")
                end = buffer.find(b"\r\n--graphql", start + 4 if start >= 0 else 0)
                if start < 0 or end < 0:
                    break
                part = json.loads(buffer[start + 4 : end])
                buffer = buffer[end + len(b"\r\n--graphql") :]
                if part != {}:  # heartbeats
                    yield part
            if buffer.startswith(b"--"):
                yield "end"
                return


class RedisServer:
    """A ``redis-server`` of the test's own on a free port, without persistence."""

    def __init__(self, tmp: Path, port: int | None = None) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.path.exists(binary):
            unavailable("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.port = port or free_port()
        self.tmp = tmp
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *extra: str) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.tmp), *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + WAIT
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process for port {port} exited ({process.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on port {port}") from None
            time.sleep(0.05)
