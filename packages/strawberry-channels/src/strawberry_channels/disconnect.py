"""Cancel an HTTP request's work when its client goes away.

An ASGI server reports a vanished client with an ``http.disconnect`` message,
but only to whoever calls ``receive``. A consumer executing a query after
reading the whole body calls nobody, so a disconnected client's query ran to
the end. :func:`cancel_on_disconnect` keeps reading ``receive`` once the body
is complete and cancels the request's task on ``http.disconnect``, unless the
request's own code is waiting in ``receive`` at that moment (a streamed
response watching for the disconnect itself), in which case it gets the
message as before.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

__all__ = ["cancel_on_disconnect"]

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]


class _Watch:
    def __init__(self, receive: Receive, task: asyncio.Task[Any]) -> None:
        self._receive = receive
        self._task = task
        self._forwarded: asyncio.Queue[Message] = asyncio.Queue()
        self._watcher: asyncio.Task[None] | None = None
        self._waiting = 0
        self.cancelled = False

    async def receive(self) -> Message:
        if self._watcher is None:
            message = await self._receive()
            if message.get("type") != "http.request" or not message.get("more_body", False):
                self._watcher = asyncio.ensure_future(self._watch())
            return message
        self._waiting += 1
        try:
            return await self._forwarded.get()
        finally:
            self._waiting -= 1

    async def _watch(self) -> None:
        while True:
            message = await self._receive()
            if message.get("type") == "http.disconnect" and not self._waiting:
                self.cancelled = True
                self._task.cancel()
            self._forwarded.put_nowait(message)
            if message.get("type") == "http.disconnect":
                return

    async def close(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None and not watcher.done():
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


@contextlib.asynccontextmanager
async def cancel_on_disconnect(receive: Receive) -> AsyncIterator[Receive]:
    """Yield a ``receive`` to use instead; the block is cancelled (and the
    cancellation swallowed) when the client disconnects after its body."""
    task = asyncio.current_task()
    assert task is not None
    watch = _Watch(receive, task)
    try:
        yield watch.receive
    except asyncio.CancelledError:
        if not watch.cancelled:
            raise
        if hasattr(task, "uncancel"):  # Python 3.11+
            task.uncancel()
    finally:
        await watch.close()
