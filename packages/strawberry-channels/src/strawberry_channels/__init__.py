"""GraphQL over HTTP and WebSockets for Django Channels, built on Strawberry.

Moving from Strawberry's own integration is a change of import:
``strawberry.channels`` becomes ``strawberry_channels``.
"""

from __future__ import annotations

from .base import (
    ChannelLayerMissingError,
    ChannelLayerUnavailableError,
    ChannelListener,
    ChannelsConsumer,
    OperationScope,
)
from .broadcast import broadcast, broadcast_sync, unsubscribe, unsubscribe_sync
from .compiled_execution import (
    CompiledExecution,
    CompiledExecutionStats,
    disable_compiled_execution,
    install_compiled_execution,
)
from .document_cache import DocumentCache, install_document_cache
from .http_consumer import GraphQLHTTPConsumer, SyncGraphQLHTTPConsumer
from .request import ChannelsRequest, ChannelsResponse, TemporalResponse
from .router import GraphQLProtocolTypeRouter
from .ws import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL, GraphQLWSConsumer

__all__ = [
    "GRAPHQL_TRANSPORT_WS_PROTOCOL",
    "GRAPHQL_WS_PROTOCOL",
    "ChannelLayerMissingError",
    "ChannelLayerUnavailableError",
    "ChannelListener",
    "ChannelsConsumer",
    "ChannelsRequest",
    "ChannelsResponse",
    "CompiledExecution",
    "CompiledExecutionStats",
    "DocumentCache",
    "GraphQLHTTPConsumer",
    "GraphQLProtocolTypeRouter",
    "GraphQLWSConsumer",
    "OperationScope",
    "SyncGraphQLHTTPConsumer",
    "TemporalResponse",
    "broadcast",
    "broadcast_sync",
    "disable_compiled_execution",
    "install_compiled_execution",
    "install_document_cache",
    "unsubscribe",
    "unsubscribe_sync",
]
