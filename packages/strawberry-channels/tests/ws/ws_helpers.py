"""Shared helpers of the WebSocket tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer, get_channel_layer
from ws_schema import SEEN_CONSUMERS, schema

from strawberry_channels import GraphQLWSConsumer
from strawberry_channels.testing import GraphQLWebsocketCommunicator


@pytest.fixture(name="layer")
async def layer_fixture() -> AsyncIterator[InMemoryChannelLayer]:
    """The in-memory layer of the test settings, emptied before and after.

    Test modules import it (``from ws_helpers import layer_fixture``).
    """
    channel_layer = get_channel_layer()
    assert isinstance(channel_layer, InMemoryChannelLayer)
    await channel_layer.flush()
    SEEN_CONSUMERS.clear()
    yield channel_layer
    await channel_layer.flush()


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
