"""Test helpers: drive a GraphQL WebSocket application without a server.

:class:`GraphQLWebsocketCommunicator` is a Channels ``WebsocketCommunicator``
that speaks ``graphql-transport-ws`` (or the legacy ``graphql-ws``)::

    async with GraphQLWebsocketCommunicator(application, "/graphql") as client:
        async for result in client.subscribe("subscription { count(to: 2) }"):
            print(result.data)

:func:`run_server` serves a project from uvicorn, daphne or ``runserver`` in a
subprocess, for tests with real clients over real sockets::

    with run_server("mysite.asgi:application", cwd=project_dir) as url:
        ...  # e.g. gql's WebsocketsTransport(url=url.replace("http", "ws") + "/graphql")

Over HTTP, :class:`GraphQLHTTPClient` talks to a live server through a real
socket, with readers for the two streaming formats (:func:`read_sse`,
:func:`read_multipart_mixed`); :func:`live_server_fixture` makes a pytest
fixture that serves a project with :func:`run_server`::

    # tests/conftest.py
    live_server = live_server_fixture("mysite.asgi:application", cwd=PROJECT)

    # tests/test_http.py
    async def test_countdown(live_server: str) -> None:
        async with GraphQLHTTPClient(live_server) as client:
            results = [r.data async for r in client.subscribe("subscription { count }")]

Channels' testing module needs ``daphne`` and the HTTP client needs ``httpx``:
install ``strawberry-channels[testing]``.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import itertools
import json
import os
import re
import sys
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Iterator,
    Mapping,
    Sequence,
)
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from channels.testing import WebsocketCommunicator
from graphql import GraphQLError
from strawberry.types import ExecutionResult

from .live_server import ServerKind, free_port, run_server
from .protocols.graphql_transport_ws import GRAPHQL_TRANSPORT_WS
from .protocols.graphql_ws import GRAPHQL_WS

if TYPE_CHECKING:
    import httpx

__all__ = [
    "GraphQLHTTPClient",
    "GraphQLWebsocketCommunicator",
    "SSEEvent",
    "ServerKind",
    "free_port",
    "live_server_fixture",
    "read_multipart_mixed",
    "read_sse",
    "run_server",
    "setup_django_project",
]

_ids = itertools.count(1)


class GraphQLWebsocketCommunicator(WebsocketCommunicator):
    """A GraphQL-over-WebSocket client for tests.

    Args:
        application: the ASGI application (a router or ``GraphQLWSConsumer.as_asgi()``).
        path: the WebSocket path, e.g. ``"/graphql"``.
        connection_params: the ``connection_init`` payload.
        protocol: ``"graphql-transport-ws"`` (default) or ``"graphql-ws"``.
        headers: handshake headers as ``(name, value)`` byte pairs.
        subprotocols: the subprotocols to offer (default: just ``protocol``).
        timeout: seconds to wait for each expected message.
    """

    def __init__(
        self,
        application: Any,
        path: str,
        connection_params: dict[str, Any] | None = None,
        protocol: str = GRAPHQL_TRANSPORT_WS,
        *,
        headers: Sequence[tuple[bytes, bytes]] | None = None,
        subprotocols: Sequence[str] | None = None,
        timeout: float = 5,
        **kwargs: Any,
    ) -> None:
        if protocol not in (GRAPHQL_TRANSPORT_WS, GRAPHQL_WS):
            raise ValueError(f"Unknown protocol {protocol!r}")
        self.protocol = protocol
        self.connection_params = connection_params
        self.timeout = timeout
        self.connection_ack: dict[str, Any] | None = None
        offered = list(subprotocols) if subprotocols is not None else [protocol]
        super().__init__(
            application,
            path,
            headers=list(headers) if headers is not None else None,
            subprotocols=offered,
            **kwargs,
        )

    async def __aenter__(self) -> GraphQLWebsocketCommunicator:
        await self.gql_init()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.disconnect()

    async def gql_init(self) -> dict[str, Any]:
        """Connect, send ``connection_init`` and wait for ``connection_ack``.

        Returns the ``connection_ack`` message. Raises ``AssertionError`` when
        the server refuses the connection.
        """
        connected, subprotocol = await self.connect(timeout=self.timeout)
        assert connected, f"the server refused the WebSocket (close code {subprotocol})"
        assert subprotocol == self.protocol, (
            f"the server chose subprotocol {subprotocol!r}, not {self.protocol!r}"
        )
        init: dict[str, Any] = {"type": "connection_init"}
        if self.connection_params is not None:
            init["payload"] = self.connection_params
        await self.send_json_to(init)
        while True:
            message = await self.receive_message()
            if message is None:
                raise AssertionError("the server closed the connection instead of acknowledging")
            if message.get("type") == "ka":
                continue
            assert message.get("type") == "connection_ack", f"expected connection_ack: {message}"
            self.connection_ack = message
            return message

    async def receive_message(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next JSON message; ``None`` if the server closed the socket instead."""
        output = await self.receive_output(timeout if timeout is not None else self.timeout)
        if output["type"] == "websocket.close":
            self.close_code = output.get("code", 1000)
            return None
        assert output["type"] == "websocket.send", f"unexpected ASGI message {output}"
        text = output.get("text")
        assert text is not None, "the server sent a binary frame"
        decoded: dict[str, Any] = self._decode(text)
        return decoded

    @staticmethod
    def _decode(text: str) -> dict[str, Any]:
        decoded = json.loads(text)
        assert isinstance(decoded, dict), f"not a JSON object: {text}"
        return decoded

    def _new_id(self) -> str:
        return str(next(_ids))

    async def start(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        id: str | None = None,
    ) -> str:
        """Send a ``subscribe`` (or legacy ``start``) message; return its id."""
        id_ = id or self._new_id()
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        if operation_name is not None:
            payload["operationName"] = operation_name
        type_ = "subscribe" if self.protocol == GRAPHQL_TRANSPORT_WS else "start"
        await self.send_json_to({"type": type_, "id": id_, "payload": payload})
        return id_

    async def complete(self, id: str) -> None:
        """Stop an operation (``complete``, or legacy ``stop``)."""
        type_ = "complete" if self.protocol == GRAPHQL_TRANSPORT_WS else "stop"
        await self.send_json_to({"type": type_, "id": id})

    async def subscribe(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> AsyncGenerator[ExecutionResult, None]:
        """Run an operation and iterate over its results.

        Each result has ``data``, ``errors`` (rebuilt ``GraphQLError`` objects)
        and ``extensions``. The iteration ends with the server's ``complete``;
        an ``error`` message is yielded as a last result with ``data=None``.
        Closing the iterator early (``contextlib.aclosing``) stops the
        operation on the server.

        It reads the socket itself, so run one ``subscribe()`` at a time; to
        multiplex, use :meth:`start` and ``receive_json_from()``.
        """
        id_ = await self.start(query, variables, operation_name)
        finished = False
        try:
            while True:
                message = await self.receive_message()
                if message is None:
                    finished = True
                    raise AssertionError(f"the server closed the connection ({self.close_code})")
                type_ = message.get("type")
                if type_ in ("ka", "ping", "pong"):
                    if type_ == "ping":
                        await self.send_json_to({"type": "pong"})
                    continue
                assert message.get("id") == id_, f"message for another operation: {message}"
                if type_ in ("next", "data"):
                    yield _result(message.get("payload") or {})
                elif type_ == "error":
                    finished = True
                    payload = message.get("payload")
                    errors = payload if isinstance(payload, list) else [payload]
                    yield ExecutionResult(data=None, errors=_errors(errors))
                    return
                elif type_ == "complete":
                    finished = True
                    return
                else:
                    raise AssertionError(f"unexpected message {message}")
        finally:
            if not finished and not self.future.done():
                await self.complete(id_)

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> ExecutionResult:
        """Run a query or mutation and return its single result."""
        results = [r async for r in self.subscribe(query, variables, operation_name)]
        assert len(results) == 1, f"expected one result, got {len(results)}"
        return results[0]

    async def expect_close(self, code: int | None = None, timeout: float | None = None) -> int:
        """Wait for the server to close the socket (skipping other messages).

        Returns the close code; with ``code`` given, asserts it.
        """
        while True:
            output = await self.receive_output(timeout if timeout is not None else self.timeout)
            if output["type"] == "websocket.close":
                received: int = output.get("code", 1000)
                assert code is None or received == code, f"closed with {received}, not {code}"
                return received

    async def assert_no_message(self, timeout: float = 0.1) -> None:
        """Assert the server sends nothing within ``timeout`` seconds."""
        if not await self.receive_nothing(timeout=timeout):
            output = await self.receive_output()
            raise AssertionError(f"unexpected message from the server: {output}")

    async def disconnect(self, code: int = 1000, timeout: float = 1) -> None:
        """Close the socket from the client side and wait for the application to end."""
        await self.send_input({"type": "websocket.disconnect", "code": code})
        try:
            await self.wait(timeout)
        except asyncio.TimeoutError:
            raise AssertionError("the application did not end after the disconnect") from None


def _errors(formatted: list[Any]) -> list[GraphQLError]:
    errors = []
    for item in formatted:
        if not isinstance(item, dict):
            item = {"message": str(item)}
        error = GraphQLError(str(item.get("message")), extensions=item.get("extensions"))
        error.path = item.get("path")
        errors.append(error)
    return errors


def _result(payload: dict[str, Any]) -> ExecutionResult:
    errors = payload.get("errors")
    return ExecutionResult(
        data=payload.get("data"),
        errors=_errors(errors) if errors else None,
        extensions=payload.get("extensions"),
    )


# -- HTTP ------------------------------------------------------------------------------

#: ``Accept`` headers that ask for each streaming format.
STREAM_ACCEPT = {
    "sse": "text/event-stream",
    "multipart": 'multipart/mixed;subscriptionSpec="1.0", application/json',
}
_LINE_END = re.compile(r"\r\n|\r|\n")
_BOUNDARY = re.compile(r'boundary="?([^";,]+)"?', re.IGNORECASE)


class SSEEvent(NamedTuple):
    """One event of a ``text/event-stream`` body.

    ``data`` is the event's ``data:`` lines joined with ``"\n"``. A block holding
    only comments (a heartbeat) has ``event == ""`` and its text in ``comment``;
    :func:`read_sse` yields those only when asked to.
    """

    event: str
    data: str
    comment: str | None = None

    def json(self) -> Any:
        """``data`` decoded as JSON."""
        return json.loads(self.data)


async def read_sse(
    chunks: AsyncIterable[bytes], *, comments: bool = False
) -> AsyncGenerator[SSEEvent, None]:
    """Parse a ``text/event-stream`` body as it arrives.

    Args:
        chunks: the body's bytes in any chunking, e.g. ``response.aiter_raw()``
            of an httpx streaming response.
        comments: also yield comment-only blocks (heartbeats) as
            ``SSEEvent("", "", comment)``.

    Yields:
        Each event once its block has ended (an empty line), following the
        HTML standard's rules: ``event`` defaults to ``"message"``, one space
        after the colon is dropped, a block without ``data`` is no event.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = ""
    event, data, comment = "", [], None
    async for chunk in chunks:
        pending += decoder.decode(chunk)
        while True:
            match = _LINE_END.search(pending)
            if match is None or (match.group() == "\r" and match.end() == len(pending)):
                break  # an incomplete line, or a "\r" whose "\n" may follow
            line, pending = pending[: match.start()], pending[match.end() :]
            if line:
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if not name:
                    comment = value if comment is None else f"{comment}\n{value}"
                elif name == "event":
                    event = value
                elif name == "data":
                    data.append(value)
                continue
            if data:
                yield SSEEvent(event or "message", "\n".join(data))
            elif comment is not None and not event and comments:
                yield SSEEvent("", "", comment)
            event, data, comment = "", [], None


async def read_multipart_mixed(
    chunks: AsyncIterable[bytes], boundary: str = "graphql"
) -> AsyncGenerator[Any, None]:
    """Parse a ``multipart/mixed`` body of JSON parts as it arrives.

    Args:
        chunks: the body's bytes in any chunking, e.g. ``response.aiter_raw()``.
        boundary: the boundary of the response's ``Content-Type``.

    Yields:
        Each part's body decoded as JSON, as soon as the delimiter closing it
        has arrived: ``{"payload": ...}`` results, and ``{}`` heartbeats. The
        iteration ends at the closing delimiter (``--boundary--``).

    Raises:
        ValueError: the body ended before the closing delimiter.
    """
    delimiter = b"\r\n--" + boundary.encode()
    buffer = b"\r\n"  # the first delimiter may lack its leading line break
    preamble = True
    async for chunk in chunks:
        buffer += chunk
        while True:
            index = buffer.find(delimiter)
            after = index + len(delimiter)
            if index < 0 or len(buffer) < after + 2:
                break
            part, buffer = buffer[:index], buffer[after:]
            if not preamble:
                _, separator, body = part.partition(b"\r\n\r\n")
                yield json.loads(body if separator else part)
            preamble = False
            if buffer.startswith(b"--"):
                return
    raise ValueError("the multipart body ended before its closing delimiter")


class GraphQLHTTPClient:
    """A GraphQL-over-HTTP client for tests against a live server, over a real socket.

    It is an ``httpx.AsyncClient`` (the :attr:`http` attribute, for any other
    request) that knows the GraphQL request format, reads the response as an
    ``ExecutionResult`` and streams subscriptions over Server-Sent Events or
    multipart HTTP. Point it at a server from :func:`run_server`, a fixture of
    :func:`live_server_fixture`, or anything else that listens::

        async with GraphQLHTTPClient(live_server) as client:
            assert (await client.execute("{ hello }")).data == {"hello": "world"}

    A real socket, not an in-process ASGI transport: an in-process transport
    hands over a response only once it has ended, and a subscription never ends
    by itself.

    Args:
        url: the server's base URL, e.g. ``"http://127.0.0.1:8000"``.
        path: the GraphQL endpoint's path.
        headers: headers sent with every request (e.g. a session cookie).
        timeout: seconds to wait for a connection or for the next bytes.
    """

    def __init__(
        self,
        url: str,
        path: str = "/graphql",
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30,
    ) -> None:
        import httpx

        self.path = path
        self.http = httpx.AsyncClient(base_url=url, headers=dict(headers or {}), timeout=timeout)

    async def __aenter__(self) -> GraphQLHTTPClient:
        await self.http.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.http.__aexit__(exc_type, exc, tb)

    def _request(
        self,
        method: str,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        accept: str,
        headers: Mapping[str, str] | None,
    ) -> httpx.Request:
        params: dict[str, Any] = {"query": query}
        if variables is not None:
            params["variables"] = variables
        if operation_name is not None:
            params["operationName"] = operation_name
        all_headers = {"accept": accept, **(headers or {})}
        if method.upper() == "GET":
            if variables is not None:
                params["variables"] = json.dumps(variables)
            return self.http.build_request("GET", self.path, params=params, headers=all_headers)
        return self.http.build_request(method, self.path, json=params, headers=all_headers)

    async def request(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        *,
        method: str = "POST",
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one GraphQL request (``GET`` puts it in the query string); the raw response."""
        request = self._request(
            method, query, variables, operation_name, "application/json", headers
        )
        return await self.http.send(request)

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        *,
        method: str = "POST",
        headers: Mapping[str, str] | None = None,
    ) -> ExecutionResult:
        """Run a query or mutation; its result, with errors rebuilt as ``GraphQLError``.

        Raises:
            AssertionError: the response is not a JSON GraphQL response.
        """
        response = await self.request(
            query, variables, operation_name, method=method, headers=headers
        )
        content_type = response.headers.get("content-type", "")
        assert "json" in content_type, (
            f"not a JSON response ({response.status_code}): {content_type}"
        )
        body = response.json()
        assert isinstance(body, dict), f"not a GraphQL response: {body!r}"
        return _result(body)

    @contextlib.asynccontextmanager
    async def stream(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        *,
        protocol: Literal["sse", "multipart"] = "sse",
        method: str = "POST",
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """Open a streamed response (read it with :func:`read_sse` or :func:`read_multipart_mixed`).

        Leaving the block closes the connection, which stops the operation.
        """
        request = self._request(
            method, query, variables, operation_name, STREAM_ACCEPT[protocol], headers
        )
        response = await self.http.send(request, stream=True)
        try:
            yield response
        finally:
            await response.aclose()

    async def subscribe(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        *,
        protocol: Literal["sse", "multipart"] = "sse",
        method: str = "POST",
        headers: Mapping[str, str] | None = None,
    ) -> AsyncGenerator[ExecutionResult, None]:
        """Stream an operation's results over SSE or multipart HTTP.

        The iteration ends with the stream; closing it early (leave the loop
        inside ``contextlib.aclosing``) closes the connection, and the server
        stops the operation. A transport error part of a multipart stream comes
        out as a result with ``data=None``. Heartbeats are skipped.

        Raises:
            AssertionError: the server answered with anything but a stream.
        """
        async with self.stream(
            query, variables, operation_name, protocol=protocol, method=method, headers=headers
        ) as response:
            content_type = response.headers.get("content-type", "")
            if response.status_code != 200 or not content_type.startswith(
                "text/event-stream" if protocol == "sse" else "multipart/mixed"
            ):
                await response.aread()
                raise AssertionError(
                    f"expected a {protocol} stream, got {response.status_code} {content_type}: "
                    f"{response.text}"
                )
            if protocol == "sse":
                async for event in read_sse(response.aiter_raw()):
                    if event.event == "complete":
                        return
                    if event.event == "next":
                        yield _result(event.json())
            else:
                match = _BOUNDARY.search(content_type)
                boundary = match.group(1) if match else "graphql"
                async for part in read_multipart_mixed(response.aiter_raw(), boundary):
                    if not isinstance(part, dict) or not part:
                        continue
                    if part.get("payload") is None and "errors" in part:
                        yield ExecutionResult(data=None, errors=_errors(part["errors"]))
                    elif isinstance(part.get("payload"), dict):
                        yield _result(part["payload"])


# -- live servers for pytest --------------------------------------------------------------


def setup_django_project(project: str | Path, settings_module: str) -> None:
    """Make a Django project importable and set it up, for its tests' ``conftest.py``.

    Puts ``project`` first on ``sys.path``, sets ``DJANGO_SETTINGS_MODULE`` unless
    it is set already, and calls ``django.setup()``.

    Args:
        project: the folder holding ``manage.py`` and the project's packages.
        settings_module: e.g. ``"mysite.settings"``.
    """
    import django

    path = str(project)
    if path not in sys.path:
        sys.path.insert(0, path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    django.setup()


def live_server_fixture(
    application: str,
    *,
    server: ServerKind = "uvicorn",
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    scope: Literal["function", "module", "session"] = "function",
) -> Any:
    """A pytest fixture that serves ``application`` with :func:`run_server` and yields its URL.

    Assign it to a name in a ``conftest.py``; that name is the fixture's::

        live_server = live_server_fixture("mysite.asgi:application", cwd=PROJECT)

    Args:
        application: the ASGI application as ``"module:attribute"``.
        server: ``"uvicorn"`` (default), ``"daphne"`` or ``"runserver"``.
        cwd: the project folder (put on the server's ``PYTHONPATH``).
        env: extra environment variables for the server.
        scope: the fixture's pytest scope: one server per test by default.

    Returns:
        The fixture function.
    """
    import pytest

    def live_server() -> Iterator[str]:
        with run_server(application, server=server, cwd=cwd, env=env) as url:
            yield url

    live_server.__doc__ = f"``{application}`` served by {server} on a free port: its base URL."
    return pytest.fixture(scope=scope)(live_server)
