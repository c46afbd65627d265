"""The ticker's schema: prices per symbol, published by a mutation."""

# --8<-- [start:types]
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission

from strawberry_channels import SharedSubscription
from ticker.feed import TICK, halt_trading, publish_price, symbol_group


class TradingHalted(Exception):
    """Raised by the subscription resolver when trading in a symbol stops."""


class ProPlan(BasePermission):
    """Only connections that said ``{"plan": "pro"}`` in their connection params."""

    message = "The volume needs the pro plan"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        params = info.context.get("connection_params") or {}
        return bool(params.get("plan") == "pro")


class Rounded(FieldExtension):
    """Rounds a float field to one decimal."""

    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        return round(next_(source, info, **kwargs), 1)


@strawberry.type
class Price:
    symbol: str
    price: float
    open: float
    sequence: int

    @strawberry.field
    def percent_change(self) -> float | None:
        """Change since the open, in percent (an error when the open is 0)."""
        return (self.price - self.open) / self.open * 100

    # Each of the three fields below makes a selection that reaches it run
    # unshared (with a debug log line saying why).
    @strawberry.field(permission_classes=[ProPlan])
    def volume(self) -> int:
        return self.sequence * 100

    @strawberry.field(extensions=[Rounded()])
    def rounded(self) -> float:
        return self.price

    @strawberry.field
    def quote(self, info: strawberry.Info) -> str:
        """The price in the connection's currency: it reads the connection."""
        params = info.context.get("connection_params") or {}
        return f"{self.price:.2f} {params.get('currency', 'USD')}"


# --8<-- [end:types]


# --8<-- [start:subscription]
@strawberry.type
class Subscription:
    @strawberry.subscription(extensions=[SharedSubscription()])
    async def prices(self, info: strawberry.Info, symbol: str) -> AsyncGenerator[Price, None]:
        """Every tick of ``symbol`` from now on: one execution for all its subscribers."""
        ws = info.context["ws"]
        async with ws.listen_to_channel(TICK, groups=[symbol_group(symbol)]) as ticks:
            async for tick in ticks:
                if tick.get("halted"):
                    raise TradingHalted(f"Trading in {symbol} is halted")
                yield Price(
                    symbol=symbol,
                    price=tick["price"],
                    open=tick["open"],
                    sequence=tick["sequence"],
                )

    # --8<-- [end:subscription]


# --8<-- [start:mutation]
@strawberry.type
class Query:
    @strawberry.field
    def tick_group(self, symbol: str) -> str:
        """The channel-layer group a symbol's ticks go to."""
        return symbol_group(symbol)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def publish_price(self, symbol: str, price: float, open: float = 100.0) -> int:
        """Publish a tick; its sequence number."""
        return await publish_price(symbol, price, open=open)

    @strawberry.mutation
    async def halt_trading(self, symbol: str) -> bool:
        """End every subscription of ``symbol`` with an error."""
        await halt_trading(symbol)
        return True


schema = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)
# --8<-- [end:mutation]


# --8<-- [start:wrong]
@strawberry.type
class NosySubscription(Subscription):
    @strawberry.subscription(extensions=[SharedSubscription()])
    async def my_prices(self, info: strawberry.Info, symbol: str) -> AsyncGenerator[Price, None]:
        """Wrong: a shared resolver reads the connection (SharedContextError)."""
        currency = info.context["connection_params"]["currency"]
        async with info.context["ws"].listen_to_channel(
            TICK, groups=[symbol_group(symbol)]
        ) as ticks:
            async for tick in ticks:
                yield Price(
                    symbol=f"{symbol} ({currency})",
                    price=tick["price"],
                    open=tick["open"],
                    sequence=tick["sequence"],
                )


# Wrong on purpose (see the docs page): the example serves it to its tests only.
nosy_schema = strawberry.Schema(query=Query, mutation=Mutation, subscription=NosySubscription)
# --8<-- [end:wrong]
