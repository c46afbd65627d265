"""What the ASGI server in front of a consumer can do.

Daphne closes WebSockets through Autobahn, which only sends close code 1000 and
codes 3000-4999: asked for 1003 (unsupported data) or 1009 (message too big) it
logs a traceback and the client sees an abnormal 1006/1011 instead. On Daphne
those two codes are sent as their private-range counterparts below; uvicorn,
Hypercorn and the Channels test communicator get the codes the protocols name.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DAPHNE_CLOSE_CODES", "close_code_for", "served_by_daphne"]

#: The close code sent on Daphne instead of one it cannot send.
DAPHNE_CLOSE_CODES = {
    1003: 4400,  # unsupported data (a binary frame): "bad request", as graphql-transport-ws
    1009: 4413,  # message too big: "payload too large"
}


def served_by_daphne(send: Any) -> bool:
    """Whether ``send`` (the ASGI send callable a consumer was given) is Daphne's."""
    seen = 0
    target = send
    while target is not None and seen < 5:
        seen += 1
        module = getattr(target, "__module__", None) or type(target).__module__
        if module.split(".", 1)[0] == "daphne":
            return True
        owner = getattr(target, "__self__", None)
        if owner is not None and type(owner).__module__.split(".", 1)[0] == "daphne":
            return True
        target = getattr(target, "func", None) or getattr(target, "__wrapped__", None)
    return False


def close_code_for(code: int, send: Any) -> int:
    """``code``, or what replaces it on a server that cannot send it."""
    if code in DAPHNE_CLOSE_CODES and served_by_daphne(send):
        return DAPHNE_CLOSE_CODES[code]
    return code
