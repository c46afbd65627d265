"""A least-recently-used mapping bounded by entry count and by total weight.

The document cache keys its entries by query text and weighs each by the
text's length: a parsed document holds about 50 to 100 bytes of AST per byte
of text, so a bound on the count alone lets a few very long documents keep
gigabytes alive.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

__all__ = ["WeightedLRU"]


class WeightedLRU:
    """A thread-safe LRU mapping holding at most ``maxsize`` entries and
    ``max_weight`` total weight (``None``: no weight bound).

    An entry heavier than ``max_weight`` on its own is not stored.
    """

    def __init__(self, maxsize: int, max_weight: int | None = None) -> None:
        self.maxsize = maxsize
        self.max_weight = max_weight
        self.weight = 0
        self._data: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            try:
                self._data.move_to_end(key)
            except KeyError:
                return None
            return self._data[key][0]

    def put(self, key: Any, value: Any, weight: int = 0) -> None:
        if self.maxsize <= 0 or (self.max_weight is not None and weight > self.max_weight):
            return
        with self._lock:
            previous = self._data.pop(key, None)
            if previous is not None:
                self.weight -= previous[1]
            self._data[key] = (value, weight)
            self.weight += weight
            while len(self._data) > self.maxsize or (
                self.max_weight is not None and self.weight > self.max_weight
            ):
                _, (_, evicted) = self._data.popitem(last=False)
                self.weight -= evicted

    def __len__(self) -> int:
        return len(self._data)
