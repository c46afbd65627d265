"""Queries, uploads and a subscription fed by the channel layer, all served over HTTP."""

# --8<-- [start:uploads]
from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncGenerator

import strawberry
from channels.layers import get_channel_layer
from strawberry.file_uploads import Upload

ANNOUNCEMENTS = "announcements"


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"Hello, {name}!"


@strawberry.type
class StoredFile:
    name: str
    size: int
    sha256: str


def describe(upload: Upload) -> StoredFile:
    data = upload.read()
    return StoredFile(name=upload.name, size=len(data), sha256=hashlib.sha256(data).hexdigest())


@strawberry.type
class Mutation:
    @strawberry.mutation
    def upload_file(self, file: Upload) -> StoredFile:
        return describe(file)

    @strawberry.mutation
    def upload_files(self, files: list[Upload]) -> list[StoredFile]:
        return [describe(file) for file in files]

    # --8<-- [end:uploads]

    @strawberry.mutation
    async def announce(self, message: str) -> bool:
        layer = get_channel_layer()
        assert layer is not None, "configure CHANNEL_LAYERS"
        await layer.group_send(ANNOUNCEMENTS, {"type": "announcement", "message": message})
        return True


# --8<-- [start:subscriptions]
@strawberry.type
class Announcement:
    message: str


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def countdown(self, start: int = 3) -> AsyncGenerator[int, None]:
        for value in range(start, -1, -1):
            yield value
            await asyncio.sleep(0.1)

    @strawberry.subscription
    async def announcements(
        self, info: strawberry.Info
    ) -> AsyncGenerator[Announcement | None, None]:
        consumer = info.context["request"].consumer
        async with consumer.listen_to_channel("announcement", groups=[ANNOUNCEMENTS]) as messages:
            yield None  # listening now: the client may publish
            async for message in messages:
                yield Announcement(message=message["message"])


# --8<-- [end:subscriptions]

schema = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)
