"""The schema the HTTP tests serve."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry
from strawberry.file_uploads import Upload

from strawberry_channels import ChannelsRequest, TemporalResponse


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"Hello {name}"

    @strawberry.field
    def context_keys(self, info: strawberry.Info) -> list[str]:
        return sorted(info.context)

    @strawberry.field
    def request_info(self, info: strawberry.Info) -> str:
        request: ChannelsRequest = info.context["request"]
        return f"{request.method} {request.content_type} {request.headers.get('x-test', '')}"

    @strawberry.field
    def teapot(self, info: strawberry.Info) -> str:
        response: TemporalResponse = info.context["response"]
        response.status_code = 418
        response.headers["x-brewed"] = "yes"
        return "short and stout"

    @strawberry.field
    def root_name(self, info: strawberry.Info) -> str:
        return str(getattr(info.root_value, "name", None))

    @strawberry.field
    def boom(self) -> str:
        raise ValueError("boom")

    @strawberry.field
    def user(self, info: strawberry.Info) -> str:
        scope = info.context["request"].consumer.scope
        user = scope.get("user")
        return "none" if user is None else ("anonymous" if user.is_anonymous else user.username)


@strawberry.type
class Mutation:
    @strawberry.mutation
    def shout(self, text: str) -> str:
        return text.upper()

    @strawberry.mutation
    async def read_file(self, file: Upload) -> str:
        return file.read().decode()  # type: ignore[attr-defined,no-any-return]

    @strawberry.mutation
    async def read_files(self, files: list[Upload]) -> list[str]:
        return [f.read().decode() for f in files]  # type: ignore[attr-defined]


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def count(self, to: int = 3) -> AsyncGenerator[int, None]:
        for number in range(1, to + 1):
            yield number
            await asyncio.sleep(0)

    @strawberry.subscription
    async def room(self, info: strawberry.Info, name: str) -> AsyncGenerator[str, None]:
        consumer = info.context["request"].consumer
        async with consumer.listen_to_channel("chat.message", groups=[f"room_{name}"]) as messages:
            yield "joined"
            async for message in messages:
                yield message["text"]
                if message.get("last"):
                    return


def make_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)
