"""A WebSocket consumer that checks the client's connection params before acknowledging."""

# --8<-- [start:consumer]
from __future__ import annotations

import hmac

from django.conf import settings
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UnsetType

from strawberry_channels import GraphQLWSConsumer


def password_matches(candidate: object) -> bool:
    if not isinstance(candidate, str):
        return False
    expected = settings.GRAPHQL_WS_PASSWORD.encode()
    return hmac.compare_digest(candidate.encode(), expected)


class PasswordWSConsumer(GraphQLWSConsumer):
    async def on_ws_connect(
        self, context: dict[str, object]
    ) -> UnsetType | dict[str, object] | None:
        params = context["connection_params"]
        if not isinstance(params, dict):
            # No payload: the client only learns that it was refused.
            raise ConnectionRejectionError()
        if not password_matches(params.get("password")):
            # The payload reaches clients of the legacy graphql-ws protocol.
            raise ConnectionRejectionError({"reason": "Invalid password"})
        username = params.get("username")
        if isinstance(username, str) and username:
            # Accept, and greet the client in the acknowledgement.
            return {"message": f"Hello, {username}!"}
        # Accept with an empty acknowledgement.
        return await super().on_ws_connect(context)


# --8<-- [end:consumer]
