"""A schema whose resolvers read the connection params the consumer accepted."""

# --8<-- [start:schema]
from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry


@strawberry.type
class Query:
    @strawberry.field
    def me(self, info: strawberry.Info) -> str:
        # Over HTTP there are no connection params; over a WebSocket, the accepted ones.
        params = info.context.get("connection_params") or {}
        return str(params.get("username") or "guest")


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def countdown(self, start: int = 3) -> AsyncGenerator[int, None]:
        for value in range(start, -1, -1):
            yield value
            await asyncio.sleep(0)


# --8<-- [end:schema]

schema = strawberry.Schema(query=Query, subscription=Subscription)
