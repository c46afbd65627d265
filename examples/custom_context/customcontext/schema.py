"""Resolvers that read the typed context instead of dictionary keys."""

# --8<-- [start:query]
from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from .context import HTTPContext, WebSocketContext

GREETINGS = {"en": "Hello", "fr": "Bonjour", "nl": "Hallo"}


def display_name(user: object) -> str:
    if getattr(user, "is_authenticated", False):
        return str(user.get_username())  # type: ignore[attr-defined]
    return "anonymous"


@strawberry.type
class Query:
    @strawberry.field
    def whoami(self, info: strawberry.Info[HTTPContext, None]) -> str:
        # The answer depends on the cookie: keep shared caches from storing it.
        info.context.response.headers["Cache-Control"] = "private, no-store"
        return display_name(info.context.user)

    @strawberry.field
    def session_key(self, info: strawberry.Info[HTTPContext, None]) -> str | None:
        session = info.context.session
        return session.session_key if session is not None else None


# --8<-- [end:query]


# --8<-- [start:subscription]
@strawberry.type
class Subscription:
    @strawberry.subscription
    async def greeting(
        self, info: strawberry.Info[WebSocketContext, None]
    ) -> AsyncGenerator[str, None]:
        params = info.context.connection_params or {}
        word = GREETINGS.get(str(params.get("language", "en")), GREETINGS["en"])
        yield f"{word}, {display_name(info.context.user)}!"


# --8<-- [end:subscription]

schema = strawberry.Schema(query=Query, subscription=Subscription)
