"""Arbitrary input to the sans-IO HTTP parsers: a clean HTTPError or a result, nothing else."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from strawberry_channels.protocols.graphql_http import (
    APPLICATION_JSON,
    EVENT_STREAM,
    GRAPHQL_RESPONSE_JSON,
    MULTIPART_MIXED,
    TEXT_HTML,
    HTTPError,
    negotiate,
    params_from_json,
    params_from_query_string,
    parse_accept,
    parse_content_type,
)
from strawberry_channels.protocols.multipart_upload import parse_form_data, parse_upload_request


def outcome(function: Any, *args: Any) -> Any:
    """The function's result, or the status of the HTTPError it raised."""
    try:
        return function(*args)
    except HTTPError as error:
        return error.status


OFFERS = (APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, EVENT_STREAM, MULTIPART_MIXED, TEXT_HTML)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=10,
)


@settings(max_examples=300)
@given(st.text())
def test_accept_and_content_type_never_fail(header: str) -> None:
    ranges = parse_accept(header)
    assert all(0.0 <= r.q <= 1.0 or r.q != r.q for r in ranges)
    assert negotiate(header, OFFERS) in (None, *OFFERS)
    media, _ = parse_content_type(header)
    assert media == media.lower()


@settings(max_examples=300)
@given(
    st.dictionaries(
        st.sampled_from(["query", "variables", "operationName", "extensions", "x"]), json_values
    )
    | json_values
)
def test_json_params_are_checked_or_refused(body: object) -> None:
    params = outcome(params_from_json, body)
    if not isinstance(params, int):
        assert isinstance(params.query, str)
        assert params.variables is None or isinstance(params.variables, dict)
        assert params.operation_name is None or isinstance(params.operation_name, str)
    else:
        assert params == 400


@settings(max_examples=300)
@given(st.binary() | st.text())
def test_query_strings(query_string: bytes | str) -> None:
    result = outcome(params_from_query_string, query_string)
    assert result == 400 or isinstance(result.query, str)


def test_deeply_nested_variables_are_a_400() -> None:
    nested = "[" * 100_000 + "]" * 100_000
    assert outcome(params_from_query_string, f"query=%7Ba%7D&variables={nested}") == 400


@settings(max_examples=300)
@given(st.binary(max_size=400), st.sampled_from(["XyZ", "b", ""]))
def test_form_data_never_crashes(body: bytes, boundary: str) -> None:
    result = outcome(parse_form_data, body, boundary)
    assert result == 400 or isinstance(result, list)


@settings(max_examples=200)
@given(json_values, json_values, st.lists(st.binary(max_size=20), max_size=3))
def test_upload_requests_never_crash(
    operations: object, mapping: object, files: list[bytes]
) -> None:
    body = b""
    fields: list[tuple[str, bytes, str | None]] = [
        ("operations", json.dumps(operations).encode(), None),
        ("map", json.dumps(mapping).encode(), None),
    ]
    fields += [(str(i), data, f"{i}.txt") for i, data in enumerate(files)]
    for name, data, filename in fields:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--XyZ\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    body += b"--XyZ--\r\n"
    result = outcome(parse_upload_request, body, "XyZ", json.loads)
    assert result == 400 or isinstance(result.query, str)
