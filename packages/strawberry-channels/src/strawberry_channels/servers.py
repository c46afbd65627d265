"""What the ASGI server in front of a consumer can do.

Close codes. Daphne closes WebSockets through Autobahn, which only sends close code 1000 and
codes 3000-4999: asked for 1003 (unsupported data) or 1009 (message too big) it
logs a traceback and the client sees an abnormal 1006/1011 instead. On Daphne
those two codes are sent as their private-range counterparts below; uvicorn,
Hypercorn and the Channels test communicator get the codes the protocols name.

Send buffers. uvicorn's ``send`` waits while the socket's write buffer is
over its high-water mark, so a client that stops reading stalls the sender
and the listener's bounded buffer drops the oldest messages; a
:class:`SendWatchdog` notices a connection on which no send has completed for
a timeout, and the consumer gives it up (:func:`drop_connection`). Daphne's
``send`` never waits: Twisted keeps every unsent byte, without limit.
:func:`send_buffer_drained` looks at the bytes Daphne holds for a connection
after each send and waits while they are over a limit; a connection that
stays over it for a timeout is given up (see the function).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from typing import Any

__all__ = [
    "DAPHNE_CLOSE_CODES",
    "DEFAULT_MAX_SEND_BUFFER",
    "DEFAULT_SEND_BUFFER_TIMEOUT",
    "SLOW_READER_CLOSE_CODE",
    "SendWatchdog",
    "close_code_for",
    "drop_connection",
    "queued_bytes",
    "send_buffer_drained",
    "served_by_daphne",
]

logger = logging.getLogger("strawberry_channels")

#: Bytes the server may hold unsent for one connection before sending waits.
DEFAULT_MAX_SEND_BUFFER = 4 * 1024 * 1024
#: Seconds a connection may stay over its send buffer limit before it is given up.
DEFAULT_SEND_BUFFER_TIMEOUT = 10.0
#: The close code of a WebSocket given up because its client reads too slowly
#: (private range, so that every server can send it; not one of the codes
#: graphql-ws clients treat as fatal, so they reconnect).
SLOW_READER_CLOSE_CODE = 4503

_POLL_INTERVAL = 0.02

#: The close code sent on Daphne instead of one it cannot send.
DAPHNE_CLOSE_CODES = {
    1003: 4400,  # unsupported data (a binary frame): "bad request", as graphql-transport-ws
    1009: 4413,  # message too big: "payload too large"
}


def served_by_daphne(send: Any) -> bool:
    """Whether ``send`` (the ASGI send callable a consumer was given) is Daphne's."""
    seen = 0
    target = send
    while target is not None and seen < 5:
        seen += 1
        module = getattr(target, "__module__", None) or type(target).__module__
        if module.split(".", 1)[0] == "daphne":
            return True
        owner = getattr(target, "__self__", None)
        if owner is not None and type(owner).__module__.split(".", 1)[0] == "daphne":
            return True
        target = getattr(target, "func", None) or getattr(target, "__wrapped__", None)
    return False


def close_code_for(code: int, send: Any) -> int:
    """``code``, or what replaces it on a server that cannot send it."""
    if code in DAPHNE_CLOSE_CODES and served_by_daphne(send):
        return DAPHNE_CLOSE_CODES[code]
    return code


def _daphne_protocol(send: Any) -> Any:
    """The Twisted protocol behind Daphne's ``send``, or ``None`` (another server).

    Daphne hands each application ``functools.partial(server.handle_reply,
    protocol)``.
    """
    seen = 0
    target = send
    while target is not None and seen < 5:
        seen += 1
        if isinstance(target, functools.partial) and target.args:
            owner = getattr(target.func, "__self__", None)
            if owner is not None and type(owner).__module__.split(".", 1)[0] == "daphne":
                return target.args[0]
        target = getattr(target, "func", None) or getattr(target, "__wrapped__", None)
    return None


def _transports(protocol: Any) -> list[Any]:
    """The transports under ``protocol``, outermost first (TLS wraps TCP)."""
    transport = getattr(protocol, "transport", None)
    if transport is None:  # an HTTP request: its channel holds the transport
        transport = getattr(getattr(protocol, "channel", None), "transport", None)
    found: list[Any] = []
    while transport is not None and len(found) < 4 and transport not in found:
        found.append(transport)
        transport = getattr(transport, "transport", None)
    return found


def queued_bytes(send: Any) -> int | None:
    """Bytes the server holds unsent for the connection behind ``send``.

    ``None`` when the server does not let us see them (it is not Daphne); such
    servers are expected to wait in ``send`` instead, as uvicorn and Hypercorn do.
    """
    protocol = _daphne_protocol(send)
    if protocol is None:
        return None
    total = 0
    # Autobahn queues frames itself only when asked to send them in pieces.
    for item in getattr(protocol, "send_queue", None) or ():
        total += len(item[0])
    for transport in _transports(protocol):
        if getattr(transport, "disconnected", False):
            return 0
        # twisted.internet.abstract.FileDescriptor: the unsent part of dataBuffer
        # and the writes not yet joined to it.
        data = getattr(transport, "dataBuffer", None)
        if isinstance(data, (bytes, bytearray, memoryview)):
            total += len(data) - int(getattr(transport, "offset", 0))
            total += int(getattr(transport, "_tempDataLen", 0))
    return total


def _give_up(send: Any, grace: float) -> None:
    """Drop the connection behind ``send``: a WebSocket after ``grace`` seconds, HTTP now.

    A WebSocket is closed by the consumer next (a close frame behind what is
    queued): Autobahn drops the connection when the client has not answered
    the close within its close handshake timeout, which is made ``grace``
    (Daphne's default is 1 s: too short for a slow client to read up to the
    close frame).
    """
    protocol = _daphne_protocol(send)
    if protocol is None:
        return
    if hasattr(protocol, "closeHandshakeTimeout"):
        protocol.closeHandshakeTimeout = grace
        return
    drop_connection(send)


async def send_buffer_drained(
    send: Any,
    limit: int | None = DEFAULT_MAX_SEND_BUFFER,
    timeout: float = DEFAULT_SEND_BUFFER_TIMEOUT,
) -> bool:
    """Wait while the server holds more than ``limit`` unsent bytes for this connection.

    Call it after each send. Returns ``True`` at once on servers whose ``send``
    waits by itself (and when ``limit`` is ``None``), else when the client has
    read enough. Returns ``False`` when the bytes stayed over ``limit`` for
    ``timeout`` seconds: the connection is then given up (an HTTP response is
    aborted now; a WebSocket is dropped ``timeout`` seconds after the close
    frame the caller sends next, unless the client reads up to it first).
    """
    if limit is None:
        return True
    queued = queued_bytes(send)
    if queued is None or queued <= limit:
        return True
    deadline = time.monotonic() + timeout
    while True:
        await asyncio.sleep(_POLL_INTERVAL)
        queued = queued_bytes(send) or 0
        if queued <= limit:
            return True
        if time.monotonic() >= deadline:
            break
    logger.warning(
        "Giving up a connection whose client reads too slowly: %d bytes unsent for %.1f s "
        "(limit %d bytes)",
        queued,
        timeout,
        limit,
    )
    _give_up(send, timeout)
    return False


def drop_connection(send: Any) -> None:
    """Abort the connection behind ``send`` now (unsent bytes are discarded).

    For servers whose ``send`` is a method of an object holding the asyncio
    transport (uvicorn's WebSocket protocols and HTTP request cycles); Daphne's
    connection is dropped through its Twisted transport. Does nothing where no
    transport is found.
    """
    protocol = _daphne_protocol(send)
    if protocol is not None:
        for transport in reversed(_transports(protocol)):
            abort = getattr(transport, "abortConnection", None)
            if abort is not None:
                abort()
                return
        return
    seen = 0
    target = send
    while target is not None and seen < 5:
        seen += 1
        transport = getattr(getattr(target, "__self__", None), "transport", None)
        abort = getattr(transport, "abort", None)
        if abort is not None:
            abort()
            return
        target = getattr(target, "func", None) or getattr(target, "__wrapped__", None)


class SendWatchdog:
    """Notices a connection whose server has completed no send for ``timeout`` seconds.

    For servers whose ``send`` waits while the socket's write buffer is over
    its high-water mark (uvicorn): a client that stops reading stalls every
    send on its connection, and ``on_stalled`` is called (once, after a
    warning is logged) when sends have been waiting with none completing for
    ``timeout`` seconds. Call :meth:`started` before each send and
    :meth:`finished` after it (also when it fails). It costs a clock read per
    send and at most one timer per connection, armed only while a send waits.
    """

    __slots__ = ("_loop", "_on_stalled", "_pending", "_since", "_timeout", "_timer", "stalled")

    def __init__(self, timeout: float, on_stalled: Callable[[], None]) -> None:
        self._loop = asyncio.get_running_loop()
        self._timeout = timeout
        self._on_stalled = on_stalled
        self._pending = 0
        self._since = 0.0
        self._timer: asyncio.TimerHandle | None = None
        #: Whether ``on_stalled`` was called.
        self.stalled = False

    def started(self) -> None:
        """A send begins."""
        if self._pending == 0:
            self._since = self._loop.time()
            if self._timer is None and not self.stalled:
                self._timer = self._loop.call_at(self._since + self._timeout, self._check)
        self._pending += 1

    def finished(self) -> None:
        """A send returned (or raised): the connection made progress."""
        self._pending -= 1
        self._since = self._loop.time()

    def cancel(self) -> None:
        """Stop watching (the connection is closing)."""
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def _check(self) -> None:
        self._timer = None
        if self._pending == 0:
            return  # idle: the next send arms the timer again
        deadline = self._since + self._timeout
        if self._loop.time() < deadline:
            self._timer = self._loop.call_at(deadline, self._check)
            return
        self.stalled = True
        logger.warning(
            "Giving up a connection whose client reads too slowly: no send completed for %.1f s",
            self._timeout,
        )
        self._on_stalled()
