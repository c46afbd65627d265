"""Publishing prices: one channel-layer group per symbol."""

# --8<-- [start:feed]
import itertools

from strawberry_channels import broadcast

#: The message type the ticker's subscriptions wait for.
TICK = "price.tick"

_sequence = itertools.count(1)


def symbol_group(symbol: str) -> str:
    """The group of a symbol's ticks (letters, digits, ``-``, ``_`` and ``.``)."""
    return f"ticker.{symbol}"


async def publish_price(
    symbol: str, price: float, *, open: float = 100.0, sequence: int | None = None
) -> int:
    """Send one tick to every subscriber of ``symbol``, in every process; its sequence number."""
    number = next(_sequence) if sequence is None else sequence
    await broadcast(
        symbol_group(symbol),
        {"price": price, "open": open, "sequence": number},
        type=TICK,
    )
    return number


async def halt_trading(symbol: str) -> None:
    """Tell the subscriptions of ``symbol`` that trading stopped: their resolver raises."""
    await broadcast(symbol_group(symbol), {"halted": True}, type=TICK)


# --8<-- [end:feed]
