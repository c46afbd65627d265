"""Shared helpers of the WebSocket tests."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.layers import InMemoryChannelLayer
from ws_schema import schema

from strawberry_channels import GraphQLWSConsumer
from strawberry_channels.testing import GraphQLWebsocketCommunicator


def app(**options: Any) -> Any:
    return GraphQLWSConsumer.as_asgi(schema=schema, **options)


def client(
    application: Any = None, path: str = "/graphql", **kwargs: Any
) -> GraphQLWebsocketCommunicator:
    return GraphQLWebsocketCommunicator(application or app(), path, **kwargs)


async def leftover_tasks() -> set[asyncio.Task[Any]]:
    """Tasks other than the test's own, after letting cancelled ones finish."""
    for _ in range(5):
        await asyncio.sleep(0)
    current = asyncio.current_task()
    return {task for task in asyncio.all_tasks() if task is not current and not task.done()}


def assert_layer_empty(channel_layer: InMemoryChannelLayer) -> None:
    """No group membership and no queued channel left in the in-memory layer."""
    assert channel_layer.groups == {}, channel_layer.groups
    assert channel_layer.channels == {}, list(channel_layer.channels)
