"""What differs between the supported Python versions (3.10 to 3.13), in one place."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

__all__ = ["cancelling", "uncancel"]


def uncancel(task: asyncio.Task[Any]) -> None:
    """Withdraw one cancellation request of ``task`` (``Task.uncancel()``, Python 3.11+).

    Python 3.10 does not count cancellation requests, so a caught
    ``CancelledError`` leaves nothing behind to withdraw: there it does nothing.
    """
    if sys.version_info >= (3, 11):
        task.uncancel()


def cancelling(task: asyncio.Task[Any]) -> int:
    """How many cancellation requests ``task`` has pending (``Task.cancelling()``, 3.11+).

    Python 3.10 keeps no count: there it is always 0.
    """
    method = getattr(task, "cancelling", None)
    return int(method()) if method is not None else 0
