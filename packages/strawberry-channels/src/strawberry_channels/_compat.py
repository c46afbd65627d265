"""What differs between the supported Python versions (3.10 to 3.13), in one place."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

__all__ = ["uncancel"]


def uncancel(task: asyncio.Task[Any]) -> None:
    """Withdraw one cancellation request of ``task`` (``Task.uncancel()``, Python 3.11+).

    Python 3.10 does not count cancellation requests, so a caught
    ``CancelledError`` leaves nothing behind to withdraw: there it does nothing.
    """
    if sys.version_info >= (3, 11):
        task.uncancel()
