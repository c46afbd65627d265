"""Fixtures of the WebSocket tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from channels.layers import InMemoryChannelLayer, get_channel_layer
from ws_schema import SEEN_CONSUMERS


@pytest.fixture
async def layer() -> AsyncIterator[InMemoryChannelLayer]:
    """The in-memory layer of the test settings, emptied before and after."""
    channel_layer = get_channel_layer()
    assert isinstance(channel_layer, InMemoryChannelLayer)
    await channel_layer.flush()
    SEEN_CONSUMERS.clear()
    yield channel_layer
    await channel_layer.flush()
