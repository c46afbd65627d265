"""Shared subscriptions: one execution per process for identical subscriptions.

When a subscription field is marked with
:class:`~strawberry_channels.SharedSubscription`, :func:`join` puts every
operation on it that has the same document, operation name, variables,
channel layer and sharing key (:meth:`ChannelsConsumer.shared_key`) on one
*shared execution*:

* the execution runs in a task of its own, with a channel of its own
  (:class:`SharedChannel`, the ``ws`` of its context), independent of any
  one connection: the first subscriber starts it, the last one to leave
  stops it (it leaves its groups then);
* each event is executed once and becomes a
  :class:`~strawberry_channels.execution.SharedResult`, whose response map
  and JSON are computed once for all subscribers;
* each subscriber (:class:`SharedSubscriber`) has its own bounded buffer,
  drop-oldest, so a subscriber that reads slowly loses its oldest events
  (counted and logged) but never holds up the execution or the others;
* when the execution ends or fails, every subscriber gets the buffered
  events, then the end or the error, and its transport answers as it would
  for an unshared operation.

Which operations may share is decided by
:mod:`strawberry_channels.sharing_rules`; this module adds the checks that
depend on the request.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import weakref
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError
from strawberry.types.execution import ExecutionResult
from strawberry.types.graphql import OperationType

from . import execution
from .base import ChannelsConsumer
from .bounded_queue import BoundedQueue
from .execution import SharedResult
from .listener import DROP_WARNING_EVERY
from .sharing_rules import NOT_MARKED, SharingRules, install_shared_subscriptions, variables_key

if TYPE_CHECKING:
    from strawberry import Schema

    from .document_cache import DocumentCache

__all__ = ["SharedChannel", "SharedContext", "SharedContextError", "SharedSubscriber", "join"]

logger = logging.getLogger("strawberry_channels.shared")

_ADVICE = (
    "a shared subscription (SharedSubscription()) runs once for every subscriber, so "
    "per-connection state is not available to it: only info.context['ws'] (the shared "
    "execution's channel) is. Read per-connection state in a field that is not shared, "
    "or do not mark this field."
)


class SharedContextError(RuntimeError):
    """Raised when a shared execution's resolver reads per-connection state.

    A shared execution serves many connections at once, so its context holds
    only ``ws``: the execution's own channel. Reading anything else (the
    connection params, the request, the user, what ``get_context`` added, the
    scope) raises this error instead of answering with one subscriber's data.
    """


class SharedChannel(ChannelsConsumer):
    """``info.context["ws"]`` of a shared execution: the execution's own channel.

    ``channel_layer``, ``channel_name`` and :meth:`listen_to_channel` work as
    on a consumer; the connection's attributes (``scope``,
    ``connection_params``, ``headers``, ...) raise :class:`SharedContextError`.
    """

    def __init__(self, alias: str, buffer_size: int) -> None:
        super().__init__(listener_buffer_size=buffer_size)
        self.__dict__["channel_layer_alias"] = alias  # a class variable on consumers

    def __getattr__(self, name: str) -> Any:
        # Only for attributes the channel does not have.
        if name.startswith("_"):
            raise AttributeError(name)
        raise SharedContextError(f"ws.{name} is per-connection state: {_ADVICE}")


class SharedContext:
    """The context of a shared execution: ``ws`` and nothing else.

    Reads like the default context (``context["ws"]``, ``context.get("ws")``)
    and like an object with attributes (``context.ws``).
    """

    __slots__ = ("ws",)

    def __init__(self, ws: SharedChannel) -> None:
        self.ws = ws

    def __getitem__(self, key: str) -> Any:
        if key == "ws":
            return self.ws
        raise SharedContextError(f"info.context[{key!r}] is per-connection state: {_ADVICE}")

    def get(self, key: str, default: Any = None) -> Any:
        return self[key]

    def __contains__(self, key: object) -> bool:
        return key == "ws"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise SharedContextError(f"info.context.{name} is per-connection state: {_ADVICE}")


@dataclass(frozen=True)
class _SharedOperation:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None = None


class SharedSubscriber(BoundedQueue[ExecutionResult]):
    """One operation's subscription to a shared execution.

    An async iterator of the execution's results from the moment it joined;
    close it (:meth:`aclose`) to leave.
    """

    __slots__ = ("_hub", "_left", "consumer")

    def __init__(self, hub: _Hub, consumer: ChannelsConsumer, buffer_size: int) -> None:
        super().__init__(buffer_size)
        self._hub = hub
        self._left = False
        self.consumer = consumer

    def _on_drop(self) -> None:
        self.consumer._count_dropped()
        self._hub.rules.stats.dropped += 1
        if self.dropped == 1 or self.dropped % DROP_WARNING_EVERY == 0:
            logger.warning(
                "A subscriber of shared execution %s is full (%d buffered): dropped the "
                "oldest event (%d dropped so far). The client reads too slowly.",
                self._hub.name,
                self._buffer.maxlen,
                self.dropped,
            )

    async def aclose(self) -> None:
        """Leave the shared execution (the last subscriber to leave stops it)."""
        if not self._left:
            self._left = True
            self._end(discard=True)
            self._hub.leave(self)


#: Subscribers handed one event before the shared execution lets the event
#: loop run: each one wakes a task that sends a frame, so without a pause ten
#: thousand subscribers would keep every other client waiting for all of them.
FAN_OUT_BATCH = 256


async def _push_in_batches(event: ExecutionResult, targets: list[SharedSubscriber]) -> None:
    for start in range(0, len(targets), FAN_OUT_BATCH):
        if start:
            await asyncio.sleep(0)
        for subscriber in targets[start : start + FAN_OUT_BATCH]:
            if not subscriber._left:
                subscriber._push(event)


# Shared executions by event loop, then by sharing key.
_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[Any, ...], _Hub]] = (
    weakref.WeakKeyDictionary()
)
# Executions that were stopped and are still leaving their groups.
_stopping: set[asyncio.Task[None]] = set()


class _Hub:
    """One shared execution and its subscribers."""

    def __init__(
        self,
        key: tuple[Any, ...],
        registry: dict[tuple[Any, ...], _Hub],
        rules: SharingRules,
        schema: Schema,
        operation: _SharedOperation,
        channel: SharedChannel,
    ) -> None:
        self.key = key
        self.registry = registry
        self.rules = rules
        self.schema = schema
        self.operation = operation
        self.channel = channel
        self.subscribers: dict[SharedSubscriber, None] = {}
        self.name = f"{operation.operation_name or 'subscription'}#{rules.stats.started + 1}"
        self.finished = False
        rules.stats.started += 1
        rules.stats.executions += 1
        registry[key] = self
        # An empty context: the execution belongs to no connection.
        self.task: asyncio.Task[None] = contextvars.Context().run(
            asyncio.get_running_loop().create_task,
            self._run(),
            name=f"strawberry-channels shared execution {self.name}",
        )

    def subscribe(self, consumer: ChannelsConsumer) -> SharedSubscriber:
        subscriber = SharedSubscriber(self, consumer, consumer.listener_buffer_size)
        self.subscribers[subscriber] = None
        self.rules.stats.subscribers += 1
        return subscriber

    def leave(self, subscriber: SharedSubscriber) -> None:
        if subscriber in self.subscribers:
            del self.subscribers[subscriber]
            self.rules.stats.subscribers -= 1
        if not self.subscribers and not self.finished:
            self._finish(None)
            task = self.task
            task.cancel()
            _stopping.add(task)
            task.add_done_callback(_stopping.discard)

    def _finish(self, error: BaseException | None) -> None:
        """No more events: let no one else join, end every subscriber."""
        if self.finished:
            return
        self.finished = True
        self.rules.stats.executions -= 1
        if self.registry.get(self.key) is self:
            del self.registry[self.key]
        for subscriber in self.subscribers:
            subscriber._end(error)

    async def _run(self) -> None:
        stats = self.rules.stats
        subscribers = self.subscribers
        try:
            async with self.channel.operation_scope():
                stream = execution.subscribe(
                    self.schema, self.operation, context=SharedContext(self.channel)
                )
                error: BaseException | None = None
                try:
                    async for result in stream:
                        # (Refusals and incremental frames are handed on as they are.)
                        event = SharedResult(result) if type(result) is ExecutionResult else result
                        stats.events += 1
                        if len(subscribers) <= FAN_OUT_BATCH:
                            for subscriber in subscribers:
                                subscriber._push(event)
                        else:
                            await _push_in_batches(event, list(subscribers))
                except Exception as failure:
                    error = failure
                finally:
                    self._finish(error)
                    await stream.aclose()
        except asyncio.CancelledError:
            self._finish(None)
            raise
        except Exception as failure:  # the channel could not be made, or cleanup failed
            if self.finished:
                logger.warning("Shared execution %s: cleanup failed: %r", self.name, failure)
            self._finish(failure)


def _refuse(rules: SharingRules, operation: execution.OperationSource, reason: str) -> None:
    rules.refused(reason)
    logger.debug(
        "Subscription %r runs unshared: %s", operation.operation_name or "(anonymous)", reason
    )


async def join(
    consumer: ChannelsConsumer,
    schema: Schema,
    document_cache: DocumentCache,
    operation: execution.OperationSource,
    operation_type: OperationType | None,
    *,
    context: Any,
    root_value: Any,
) -> SharedSubscriber | None:
    """Subscribe ``operation`` to its shared execution (starting it if needed).

    Returns ``None`` when the operation is to run unshared: it is no
    subscription on a marked field, sharing is switched off, or a rule
    refuses it (logged at debug level with the reason).

    Args:
        consumer: the consumer that runs the operation.
        schema: the schema it is served from.
        document_cache: the schema's document cache.
        operation: the decoded operation.
        operation_type: its type (from ``document_cache.operation_type``).
        context: the connection's context (handed to ``shared_key`` only).
        root_value: the connection's root value (sharing needs ``None``).
    """
    if operation_type is not OperationType.SUBSCRIPTION:
        return None
    rules = install_shared_subscriptions(schema)
    if not rules.enabled or not rules.any_marked:
        return None
    query = operation.query
    try:
        document = document_cache.parse(query)
    except GraphQLError:
        return None  # the unshared run reports it
    verdict = rules.verdict(document, query, operation.operation_name)
    if verdict == NOT_MARKED:
        return None
    if verdict is None and operation.extensions:
        verdict = "the operation carries client extensions"
    if verdict is None and root_value is not None:
        verdict = "the consumer's get_root_value returned a root value"
    variables = variables_key(operation.variables)
    if verdict is None and variables is None:
        verdict = "the variables are not plain JSON values"
    key: Hashable | None = None
    if verdict is None:
        answer = consumer.shared_key(operation, context)
        key = await answer if inspect.isawaitable(answer) else answer
        if key is None:
            verdict = "shared_key() returned None"
    if verdict is not None:
        _refuse(rules, operation, verdict)
        return None
    alias = consumer.channel_layer_alias
    hub_key = (schema, alias, query, operation.operation_name, variables, key)
    registry = _hubs.setdefault(asyncio.get_running_loop(), {})
    hub = registry.get(hub_key)
    if hub is None:
        shared = _SharedOperation(query, operation.variables, operation.operation_name)
        channel = SharedChannel(consumer.channel_layer_alias, consumer.listener_buffer_size)
        hub = _Hub(hub_key, registry, rules, schema, shared, channel)
    return hub.subscribe(consumer)
