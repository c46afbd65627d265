"""GraphQL over HTTP and WebSockets for Django Channels, built on Strawberry.

Moving from Strawberry's own integration is a change of import:
``strawberry.channels`` becomes ``strawberry_channels``.
"""

from __future__ import annotations

from .base import ChannelLayerMissingError, ChannelListener, ChannelsConsumer, OperationScope
from .execution import DocumentCache, install_document_cache
from .http_consumer import GraphQLHTTPConsumer, SyncGraphQLHTTPConsumer
from .layers import LocalChannelLayer
from .limits import QueryLimitError, QueryLimits, install_query_limits
from .request import ChannelsRequest, ChannelsResponse, TemporalResponse
from .router import GraphQLProtocolTypeRouter
from .ws import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL, GraphQLWSConsumer

__all__ = [
    "GRAPHQL_TRANSPORT_WS_PROTOCOL",
    "GRAPHQL_WS_PROTOCOL",
    "ChannelLayerMissingError",
    "ChannelListener",
    "ChannelsConsumer",
    "ChannelsRequest",
    "ChannelsResponse",
    "DocumentCache",
    "GraphQLHTTPConsumer",
    "GraphQLProtocolTypeRouter",
    "GraphQLWSConsumer",
    "LocalChannelLayer",
    "OperationScope",
    "QueryLimitError",
    "QueryLimits",
    "SyncGraphQLHTTPConsumer",
    "TemporalResponse",
    "install_document_cache",
    "install_query_limits",
]
