"""Schemas for the WebSocket tests: the tutorial's chat schema plus probes.

The tutorial's types, ``sendChatMessage`` and ``joinChatRooms`` are imported from the
chat example (``examples/chat/gqlchat``, on ``sys.path`` through ``conftest.py``), so
the package is tested against the very code the docs show.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from gqlchat.mutation import Mutation
from gqlchat.subscription import Subscription as TutorialSubscription
from gqlchat.types import ChatRoom, ChatRoomMessage
from strawberry.permission import BasePermission

# Consumers seen by resolvers, so tests can inspect them after the fact.
SEEN_CONSUMERS: list[Any] = []
# Opened by tests to let the gated subscription read.
GATE = asyncio.Event()


class Deny(BasePermission):
    message = "Denied"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"Hello {name}"

    @strawberry.field
    def fail(self) -> str | None:
        raise ValueError("resolver failed")

    @strawberry.field
    def connection_params(self, info: strawberry.Info) -> strawberry.scalars.JSON:
        params: strawberry.scalars.JSON = info.context["connection_params"]
        return params

    @strawberry.field
    def header(self, info: strawberry.Info, name: str) -> str | None:
        value: str | None = info.context["ws"].headers.get(name)
        return value


@strawberry.type
class Subscription(TutorialSubscription):
    # joinChatRooms comes from the tutorial.

    # The spec's "Confirming GraphQL Subscriptions" variant.
    @strawberry.subscription
    async def join_chat_rooms_confirmed(
        self,
        info: strawberry.Info,
        rooms: list[ChatRoom],
        user: str,
    ) -> AsyncGenerator[ChatRoomMessage | None, None]:
        ws = info.context["ws"]
        room_ids = [f"chat_{room.room_name}" for room in rooms]
        async with ws.listen_to_channel("chat.message", groups=room_ids) as cm:
            yield None
            async for message in cm:
                if message["room_id"] in room_ids:
                    yield ChatRoomMessage(
                        room_name=message["room_id"],
                        message=message["message"],
                        current_user=user,
                    )

    @strawberry.subscription
    async def listen(
        self,
        info: strawberry.Info,
        groups: list[str],
        type: str = "test.message",
        timeout: float | None = None,
        delay: float = 0,
    ) -> AsyncGenerator[str | None, None]:
        """Confirm with null, then yield message["text"] of every message."""
        ws = info.context["ws"]
        SEEN_CONSUMERS.append(ws)
        async with ws.listen_to_channel(type, groups=groups, timeout=timeout) as messages:
            yield None
            async for message in messages:
                if delay:
                    await asyncio.sleep(delay)
                yield message["text"]

    @strawberry.subscription
    async def gated(
        self, info: strawberry.Info, groups: list[str]
    ) -> AsyncGenerator[str | None, None]:
        """Like listen, but reads only once GATE is set."""
        ws = info.context["ws"]
        SEEN_CONSUMERS.append(ws)
        async with ws.listen_to_channel("test.message", groups=groups) as messages:
            yield None
            await GATE.wait()
            async for message in messages:
                yield message["text"]

    @strawberry.subscription
    async def count(self, to: int = 3, delay: float = 0) -> AsyncGenerator[int, None]:
        for i in range(1, to + 1):
            if delay:
                await asyncio.sleep(delay)
            yield i

    @strawberry.subscription
    async def forever(self) -> AsyncGenerator[int, None]:
        i = 0
        while True:
            i += 1
            yield i
            await asyncio.sleep(0.01)

    @strawberry.subscription
    async def fail_later(self) -> AsyncGenerator[int, None]:
        yield 1
        raise ValueError("stream failed")

    @strawberry.subscription
    async def fail_at_start(self) -> AsyncGenerator[int, None]:
        raise PermissionError("not allowed")
        yield 1  # pragma: no cover

    @strawberry.subscription(permission_classes=[Deny])
    async def denied(self) -> AsyncGenerator[int, None]:
        yield 1  # pragma: no cover

    @strawberry.subscription
    async def channel_name(self, info: strawberry.Info) -> AsyncGenerator[str, None]:
        yield info.context["ws"].channel_name


schema = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)
