"""Running one operation for a consumer: shared or in a scope of its own.

:func:`operation_results` is what both the WebSocket and the HTTP consumers
call to run an operation: a subscription on a shared field joins its shared
execution (:mod:`strawberry_channels.shared_subscriptions`); anything else
runs through :mod:`strawberry_channels.execution` inside the consumer's
:meth:`~strawberry_channels.ChannelsConsumer.operation_scope`, with a channel
of its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from strawberry.types.execution import ExecutionResult

from . import execution, shared_subscriptions

if TYPE_CHECKING:
    from strawberry import Schema
    from strawberry.types.graphql import OperationType

    from .base import ChannelsConsumer
    from .document_cache import DocumentCache

__all__ = ["operation_results"]


@contextlib.asynccontextmanager
async def operation_results(
    consumer: ChannelsConsumer,
    schema: Schema,
    document_cache: DocumentCache,
    operation: execution.OperationSource,
    operation_type: OperationType | None,
    *,
    context: Any,
    root_value: Any,
) -> AsyncIterator[AsyncIterator[ExecutionResult]]:
    """The results of ``operation``, as an async iterator, for the block's duration.

    Leaving the block ends the operation: an unshared one is closed and its
    channel's groups are left; a shared one leaves its shared execution.

    Raises:
        ChannelLayerUnavailableError: the operation's channel could not be made.
    """
    subscriber = await shared_subscriptions.join(
        consumer,
        schema,
        document_cache,
        operation,
        operation_type,
        context=context,
        root_value=root_value,
    )
    if subscriber is not None:
        try:
            yield subscriber
        finally:
            await subscriber.aclose()
        return
    async with consumer.operation_scope():
        results = execution.results(
            schema, operation, operation_type, context=context, root_value=root_value
        )
        try:
            yield results
        finally:
            await results.aclose()
