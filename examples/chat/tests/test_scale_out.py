"""The chat project on RabbitMQ, and on several workers sharing Redis.

docs: deploying.md ("RabbitMQ", "Several workers"): the commands shown there
are the ones these tests run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import websockets
from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.websockets import WebsocketsTransport

from strawberry_channels.live_server import free_port
from tests.conftest import PROJECT
from tests.helpers import (
    JOIN,
    SEND,
    WAIT,
    next_result,
    room_name,
    running_server,
    ws_url,
)


async def send(base_url: str, room: str, message: str) -> None:
    async with Client(transport=AIOHTTPTransport(url=f"{base_url}/graphql")) as session:
        request = GraphQLRequest(
            SEND, variable_values={"room": {"roomName": room}, "message": message}
        )
        assert await session.execute(request) == {"sendChatMessage": None}


def join(room: str, user: str) -> GraphQLRequest:
    return GraphQLRequest(JOIN, variable_values={"rooms": [{"roomName": room}], "user": user})


async def test_two_instances_on_rabbitmq(amqp_url: str, database: str) -> None:
    room = room_name("rabbit")
    env = {"AMQP_URL": amqp_url, "CHAT_DATABASE": database}
    with running_server("uvicorn", env=env) as first, running_server("daphne", env=env) as second:
        subscriber = Client(transport=WebsocketsTransport(url=ws_url(first, "/graphql")))
        async with (
            subscriber as session,
            contextlib.aclosing(session.subscribe(join(room, "bunny"))) as results,
        ):
            welcome = (await next_result(results))["joinChatRooms"]
            assert welcome["message"].endswith("-> Hello my name is bunny!")
            await send(second, room, "hop across processes")
            relayed = (await next_result(results))["joinChatRooms"]
            assert relayed == {
                "roomName": f"chat_{room}",
                "message": "hop across processes",
                "currentUser": "bunny",
            }


@contextlib.contextmanager
def uvicorn_workers(port: int, env: dict[str, str]) -> Iterator[str]:
    """`uvicorn mysite.asgi:application --workers 2`, as deploying.md shows it."""
    command = [
        sys.executable, "-m", "uvicorn", "mysite.asgi:application",
        "--workers", "2", "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=PROJECT, env={**os.environ, "AMQP_URL": "", **env}, start_new_session=True
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def subscribed_socket(base_url: str, room: str) -> tuple[Any, int]:
    """A graphql-transport-ws socket joined to ``room``, and the pid of the worker serving it."""
    socket = await websockets.connect(
        ws_url(base_url, "/graphql"),
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
    )
    await socket.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await asyncio.wait_for(socket.recv(), WAIT))["type"] == "connection_ack"
    await socket.send(
        json.dumps({"type": "subscribe", "id": "pid", "payload": {"query": "{ processId }"}})
    )
    pid = json.loads(await asyncio.wait_for(socket.recv(), WAIT))["payload"]["data"]["processId"]
    assert json.loads(await asyncio.wait_for(socket.recv(), WAIT))["type"] == "complete"
    payload = {"query": JOIN, "variables": {"rooms": [{"roomName": room}], "user": str(pid)}}
    await socket.send(json.dumps({"type": "subscribe", "id": "join", "payload": payload}))
    welcome = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
    assert welcome["payload"]["data"]["joinChatRooms"]["currentUser"] == str(pid)
    return socket, pid


async def test_uvicorn_workers_and_two_daphnes_share_redis(redis_url: str, database: str) -> None:
    room = room_name("workers")
    env = {"REDIS_URL": redis_url, "CHAT_DATABASE": database}
    port = free_port()
    with (
        uvicorn_workers(port, env) as workers,
        running_server("daphne", env=env) as daphne_one,
        running_server("daphne", env=env) as daphne_two,
    ):
        # Wait for the workers, then open sockets until both have some.
        for _ in range(WAIT * 20):
            with contextlib.suppress(OSError):
                await (await websockets.connect(ws_url(workers, "/graphql"))).close()
                break
            await asyncio.sleep(0.05)
        sockets: list[Any] = []
        pids: set[int] = set()
        try:
            # One socket per worker. The second worker may start seconds after the
            # first on a busy machine: keep trying (for a while) until it takes one.
            deadline = asyncio.get_running_loop().time() + 3 * WAIT
            while len(pids) < 2 and asyncio.get_running_loop().time() < deadline:
                socket, pid = await subscribed_socket(workers, room)
                if pid in pids:
                    await socket.close()
                    await asyncio.sleep(0.1)
                    continue
                sockets.append(socket)
                pids.add(pid)
            assert len(pids) == 2, "the two uvicorn workers never both took a connection"
            for base in (daphne_one, daphne_two):
                socket, pid = await subscribed_socket(base, room)
                sockets.append(socket)
                pids.add(pid)
            assert len(pids) == 4
            # Drain the welcomes that later joins sent to earlier sockets.
            await send(daphne_two, room, "to every worker")
            for socket in sockets:
                while True:
                    message = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
                    if message["payload"]["data"]["joinChatRooms"]["message"] == "to every worker":
                        break
        finally:
            for socket in sockets:
                await socket.close()
