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

Channels' testing module needs ``daphne``: install ``strawberry-channels[testing]``.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Any

from channels.testing import WebsocketCommunicator
from graphql import GraphQLError
from strawberry.types import ExecutionResult

from .live_server import ServerKind, run_server
from .protocols.graphql_transport_ws import GRAPHQL_TRANSPORT_WS
from .protocols.graphql_ws import GRAPHQL_WS

__all__ = ["GraphQLWebsocketCommunicator", "ServerKind", "run_server"]

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
        import json

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
    ) -> AsyncIterator[ExecutionResult]:
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
