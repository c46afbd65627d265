"""Writing one streamed HTTP response (GraphQL over SSE, multipart subscriptions).

:func:`write_stream` sends the response head, then runs three tasks until
the stream ends: the producer (the operation's results, framed by a
:class:`~strawberry_channels.protocols.stream_encoder.StreamEncoder`), a
watch for the client's disconnect, and the heartbeats. A client that goes
away cancels the producer (the operation leaves its groups); a producer that
fails ends the stream with the encoder's failure chunk. The wire format is
the encoder's business only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from .operation_channel import ChannelLayerUnavailableError
from .protocols.stream_encoder import EncodeJSON, StreamEncoder
from .servers import (
    DEFAULT_MAX_SEND_BUFFER,
    DEFAULT_SEND_BUFFER_TIMEOUT,
    SendWatchdog,
    drop_connection,
    send_buffer_drained,
    served_by_daphne,
)

__all__ = ["write_stream"]

logger = logging.getLogger("strawberry_channels.http")

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_INTERNAL_ERROR = [{"message": "Internal server error"}]


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def write_stream(
    *,
    send: Send,
    receive: Receive,
    encoder: StreamEncoder,
    payloads: Callable[[], AsyncIterator[dict[str, Any] | bytes]],
    encode: EncodeJSON,
    extra_headers: Iterable[tuple[bytes, bytes]] = (),
    heartbeat_interval: float | None = None,
    max_send_buffer: int | None = DEFAULT_MAX_SEND_BUFFER,
    send_buffer_timeout: float = DEFAULT_SEND_BUFFER_TIMEOUT,
) -> None:
    """Stream the operation's results to the client until it ends or the client leaves.

    Args:
        send: the ASGI ``send``.
        receive: the ASGI ``receive`` (watched for ``http.disconnect``).
        encoder: frames the results.
        payloads: makes the async iterator of response maps, one per result
            (or a response map already encoded as JSON, as ``bytes``); it runs
            in a task of its own, cancelled when the client leaves.
        encode: the JSON encoder.
        extra_headers: response headers added to the encoder's.
        heartbeat_interval: seconds without a result after which a heartbeat
            is sent (``None``: none).
        max_send_buffer: bytes the server may hold unsent (``None``: no limit);
            see :func:`~strawberry_channels.servers.send_buffer_drained`.
        send_buffer_timeout: seconds the connection may stay over it before
            it is aborted.
    """
    headers = [*encoder.headers, *extra_headers]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    lock = asyncio.Lock()
    sent = asyncio.Event()
    daphne = served_by_daphne(send)
    watched = max_send_buffer if daphne else None
    # Elsewhere (uvicorn) send waits by itself: a stream whose sends stay
    # stalled is aborted (its disconnect then cancels the producer).
    watchdog = (
        SendWatchdog(send_buffer_timeout, lambda: drop_connection(send))
        if max_send_buffer is not None and not daphne
        else None
    )

    async def emit(chunk: bytes, *, more: bool = True) -> None:
        async with lock:
            if watchdog is None:
                await send({"type": "http.response.body", "body": chunk, "more_body": more})
            else:
                watchdog.started()
                try:
                    await send({"type": "http.response.body", "body": chunk, "more_body": more})
                finally:
                    watchdog.finished()
            # Daphne buffers without limit: a client that stays behind is dropped
            # (its disconnect then cancels the producer).
            if watched is not None:
                await send_buffer_drained(send, watched, send_buffer_timeout)

    async def produce() -> None:
        results = payloads()
        try:
            async for payload in results:
                if isinstance(payload, bytes):
                    await emit(encoder.encoded_result(payload))
                else:
                    await emit(encoder.result(payload, encode))
                sent.set()
        finally:
            aclose = getattr(results, "aclose", None)
            if aclose is not None:
                await aclose()

    async def heartbeats(interval: float) -> None:
        # A heartbeat after every ``interval`` seconds without an event.
        # (asyncio.wait, unlike wait_for on 3.10/3.11, never swallows a cancellation.)
        while True:
            waiter = asyncio.ensure_future(sent.wait())
            try:
                done, _ = await asyncio.wait((waiter,), timeout=interval)
            finally:
                waiter.cancel()
            if done:
                sent.clear()
            else:
                await emit(encoder.heartbeat())

    producer = asyncio.create_task(produce())
    watcher = asyncio.create_task(_wait_for_disconnect(receive))
    beats = asyncio.create_task(heartbeats(heartbeat_interval)) if heartbeat_interval else None
    tasks = [task for task in (producer, watcher, beats) if task is not None]
    try:
        await asyncio.wait({producer, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if beats is not None:
            beats.cancel()
            await asyncio.gather(beats, return_exceptions=True)
        if not producer.done():
            # The client went away: stop the operation (it leaves its groups).
            return
        error = producer.exception()
        closing = b""
        if isinstance(error, ChannelLayerUnavailableError):
            # No channel for the operation: an error the client can act on.
            logger.warning("A streamed GraphQL operation failed: %r", error.cause)
            closing = encoder.failure([dict(error.formatted)], encode)
        elif error is not None:
            logger.error("A streamed GraphQL operation failed", exc_info=error)
            closing = encoder.failure(_INTERNAL_ERROR, encode)
        await emit(closing + encoder.finish(), more=False)
    finally:
        if watchdog is not None:
            watchdog.cancel()
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
