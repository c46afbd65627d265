"""The two consumers, changed only in what ``get_context`` returns."""

# --8<-- [start:consumers]
from __future__ import annotations

from typing import Any

from strawberry_channels import (
    ChannelsConsumer,
    ChannelsRequest,
    GraphQLHTTPConsumer,
    GraphQLWSConsumer,
    TemporalResponse,
)

from .context import HTTPContext, WebSocketContext


class ContextHTTPConsumer(GraphQLHTTPConsumer):
    async def get_context(
        self, request: ChannelsRequest, response: TemporalResponse
    ) -> HTTPContext:
        return HTTPContext(request=request, response=response)


class ContextWSConsumer(GraphQLWSConsumer):
    async def get_context(
        self, request: ChannelsConsumer, connection_params: Any
    ) -> WebSocketContext:
        params = connection_params if isinstance(connection_params, dict) else None
        return WebSocketContext(request=request, connection_params=params)


# --8<-- [end:consumers]
