"""JSON encoding for every transport: orjson when installed, the standard library otherwise.

Both backends write the same text for what GraphQL results contain (objects
with string keys, lists, strings, booleans, ``null``, integers and finite
floats): compact separators and non-ASCII characters written as UTF-8, not
``\\u`` escapes. They differ only in how some floats are spelled: orjson writes
the shortest form (``1e-7``, ``1e+16`` as ``1e16``) where the standard library
writes Python's ``repr`` (``1e-07``, ``1e+16``); both are the same JSON number.
A value orjson cannot encode (a non-string key, an integer wider than 64 bits,
a ``datetime`` or dataclass) goes to the standard library, which encodes it or
raises the ``TypeError`` it always did.

Install orjson with the ``orjson`` extra: ``pip install strawberry-channels[orjson]``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["JSON_BACKEND", "encode_json_bytes", "encode_json_stdlib", "encode_json_text"]

_stdlib_encode: Callable[[Any], str] = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False
).encode


def encode_json_stdlib(data: object) -> bytes:
    """Encode ``data`` with the standard library (the fallback backend)."""
    return _stdlib_encode(data).encode()


orjson: Any
try:
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None

if orjson is not None:
    _dumps = orjson.dumps
    # Types orjson would encode but the standard library refuses go to the
    # standard library, so both backends accept and refuse the same values.
    _OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

    def encode_json_bytes(data: object) -> bytes:
        """Encode ``data`` as compact UTF-8 JSON."""
        try:
            encoded: bytes = _dumps(data, option=_OPTIONS)
            return encoded
        except TypeError:
            return encode_json_stdlib(data)

    JSON_BACKEND = "orjson"
else:  # pragma: no cover - depends on the environment
    encode_json_bytes = encode_json_stdlib
    JSON_BACKEND = "json"


def encode_json_text(data: object) -> str:
    """Encode ``data`` as compact JSON text."""
    return encode_json_bytes(data).decode()
