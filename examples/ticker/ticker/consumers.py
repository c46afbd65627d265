"""A WebSocket consumer that shares executions only within a tenant."""

# --8<-- [start:tenants]
from collections.abc import Hashable
from typing import Any

from strawberry_channels import GraphQLWSConsumer


class TenantWSConsumer(GraphQLWSConsumer):
    """Clients say ``{"tenant": "..."}`` in their connection params."""

    def shared_key(self, operation: Any, context: Any) -> Hashable | None:
        tenant = (context.get("connection_params") or {}).get("tenant")
        if isinstance(tenant, str) and tenant:
            return tenant  # one execution per tenant
        return None  # no tenant: refuse sharing, run this operation alone


# --8<-- [end:tenants]
