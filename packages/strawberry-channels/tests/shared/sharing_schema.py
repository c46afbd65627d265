"""The schema of the shared-subscription tests: shared fields, their unshared twins, refusals."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission

from strawberry_channels import SharedSubscription


class Allow(BasePermission):
    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return True


class Passthrough(FieldExtension):
    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        return await next_(source, info, **kwargs)


@strawberry.type
class Tick:
    symbol: str
    price: float
    seq: int

    @strawberry.field
    def label(self) -> str:  # a custom resolver without info: shareable
        return f"{self.symbol}@{self.price}"

    @strawberry.field
    def viewer(self, info: strawberry.Info) -> str:  # takes info: refused
        return str(info.context["connection_params"])

    @strawberry.field(permission_classes=[Allow])
    def guarded(self) -> int:
        return self.seq

    @strawberry.field(extensions=[Passthrough()])
    def wrapped(self) -> int:
        return self.seq


@strawberry.interface
class Node:
    seq: int


@strawberry.type
class PlainNode(Node):
    pass


@strawberry.type
class InfoNode(Node):
    @strawberry.field
    def seq(self, info: strawberry.Info) -> int:  # type: ignore[override]
        return 0


async def _ticks(info: strawberry.Info, symbol: str) -> AsyncGenerator[Tick, None]:
    context = info.context
    # (Unshared over HTTP the context has the request; shared, always ws.)
    ws = context["ws"] if "ws" in context else context["request"].consumer
    async with ws.listen_to_channel("tick", groups=[f"ticks_{symbol}"]) as listener:
        async for message in listener:
            if message.get("fail"):
                raise ValueError("the ticker broke")
            yield Tick(symbol=symbol, price=message["price"], seq=message["seq"])


@strawberry.type
class Query:
    hello: str = "world"


@strawberry.type
class Subscription:
    @strawberry.subscription(extensions=[SharedSubscription()])
    async def ticks(self, info: strawberry.Info, symbol: str) -> AsyncGenerator[Tick, None]:
        async for tick in _ticks(info, symbol):
            yield tick

    @strawberry.subscription
    async def unshared_ticks(
        self, info: strawberry.Info, symbol: str
    ) -> AsyncGenerator[Tick, None]:
        async for tick in _ticks(info, symbol):
            yield tick

    @strawberry.subscription(extensions=[SharedSubscription()])
    async def nodes(self, info: strawberry.Info) -> AsyncGenerator[Node, None]:
        yield PlainNode(seq=1)

    @strawberry.subscription(extensions=[SharedSubscription()], permission_classes=[Allow])
    async def guarded_ticks(self, info: strawberry.Info) -> AsyncGenerator[int, None]:
        yield 1

    @strawberry.subscription(extensions=[SharedSubscription()])
    async def nosy(self, info: strawberry.Info) -> AsyncGenerator[str, None]:
        yield str(info.context["connection_params"])

    @strawberry.subscription(extensions=[SharedSubscription()])
    async def nosy_ws(self, info: strawberry.Info) -> AsyncGenerator[str, None]:
        yield str(info.context["ws"].scope)


schema = strawberry.Schema(Query, subscription=Subscription, types=[PlainNode, InfoNode])
