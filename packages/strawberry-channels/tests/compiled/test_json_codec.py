"""orjson and the standard library write the same text for GraphQL results."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strawberry_channels import json_codec
from strawberry_channels.json_codec import encode_json_bytes, encode_json_stdlib

orjson = pytest.importorskip("orjson")

# What a GraphQL result holds: string keys, lists, strings, booleans, null, 32-bit
# integers (custom scalars may return wider ones) and finite floats.
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.text(),
)
results = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=30,
)


def test_orjson_is_the_backend_when_installed() -> None:
    assert json_codec.JSON_BACKEND == "orjson"


@settings(max_examples=100, deadline=None)
@given(results)
def test_same_text_without_floats(value: Any) -> None:
    assert encode_json_bytes(value) == encode_json_stdlib(value)


@settings(max_examples=100, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_are_the_same_number(value: float) -> None:
    """The spelling may differ (1e-07 / 1e-7); the number never does."""
    ours, stdlib = encode_json_bytes([value]), encode_json_stdlib([value])
    assert json.loads(ours) == json.loads(stdlib) == [value]
    if ours != stdlib:
        assert "e" in stdlib.decode()


def test_documented_float_spelling() -> None:
    assert encode_json_stdlib(1.5e-7) == b"1.5e-07"
    assert encode_json_bytes(1.5e-7) == b"1.5e-7"


@pytest.mark.parametrize(
    "value",
    [{1: "int key"}, 2**70, {"when": datetime(2020, 1, 1, tzinfo=timezone.utc)}, math.nan],
)
def test_what_orjson_refuses_goes_to_the_standard_library(value: Any) -> None:
    try:
        expected: Any = encode_json_stdlib(value)
    except TypeError as error:
        expected = type(error)
    try:
        actual: Any = encode_json_bytes(value)
    except TypeError as error:
        actual = type(error)
    if value is math.nan or (isinstance(value, float) and math.isnan(value)):
        assert actual == b"null"  # orjson's; never in a GraphQL result (Float refuses NaN)
    else:
        assert actual == expected
