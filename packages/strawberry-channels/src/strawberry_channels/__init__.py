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
from .layers import LocalChannelLayer
from .limits import QueryLimitError, QueryLimits, install_query_limits
from .request import ChannelsRequest, ChannelsResponse, TemporalResponse
from .router import GraphQLProtocolTypeRouter
from .shared_subscriptions import SharedContextError
from .sharing_rules import (
    SharedSubscription,
    SharedSubscriptionStats,
    disable_shared_subscriptions,
    shared_subscription_stats,
)
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
    "LocalChannelLayer",
    "OperationScope",
    "QueryLimitError",
    "QueryLimits",
    "SharedContextError",
    "SharedSubscription",
    "SharedSubscriptionStats",
    "SyncGraphQLHTTPConsumer",
    "TemporalResponse",
    "broadcast",
    "broadcast_sync",
    "disable_compiled_execution",
    "disable_shared_subscriptions",
    "install_compiled_execution",
    "install_document_cache",
    "install_query_limits",
    "shared_subscription_stats",
    "unsubscribe",
    "unsubscribe_sync",
]
