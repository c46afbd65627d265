"""The headers of an ASGI scope as a mapping, for every consumer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["Headers"]


class Headers(dict[str, str]):
    """Request headers by lower-case name.

    A header sent more than once is one entry, its values joined with
    ``", "`` in the order they came (RFC 9110, section 5.3).
    """

    @classmethod
    def from_raw(cls, raw: Iterable[tuple[bytes, bytes]]) -> Headers:
        """Decode ASGI header pairs (latin-1 bytes).

        Args:
            raw: the ``(name, value)`` pairs, as in ``scope["headers"]``.
        """
        headers = cls()
        for raw_name, raw_value in raw:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            previous = headers.get(name)
            headers[name] = value if previous is None else f"{previous}, {value}"
        return headers

    @classmethod
    def from_scope(cls, scope: Mapping[str, Any]) -> Headers:
        """The headers of an ASGI ``http`` or ``websocket`` scope.

        Args:
            scope: the ASGI connection scope.
        """
        return cls.from_raw(scope.get("headers", ()))
