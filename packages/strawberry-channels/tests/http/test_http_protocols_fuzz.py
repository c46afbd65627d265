"""Arbitrary input to the sans-IO HTTP parsers: a clean HTTPError or a result, nothing else."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from strawberry_channels.protocols.graphql_http import (
    APPLICATION_JSON,
    EVENT_STREAM,
    GRAPHQL_RESPONSE_JSON,
    MULTIPART_MIXED,
    TEXT_HTML,
    GraphQLRequestParams,
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
    # The GraphQL-over-HTTP rules: query a string, variables and extensions objects,
    # operationName a string; absent (null) is allowed for all but query.
    valid = (
        isinstance(body, dict)
        and isinstance(body.get("query"), str)
        and isinstance(body.get("variables"), (dict, type(None)))
        and isinstance(body.get("operationName"), (str, type(None)))
        and isinstance(body.get("extensions"), (dict, type(None)))
    )
    params = outcome(params_from_json, body)
    if valid:
        assert isinstance(body, dict)
        assert params == GraphQLRequestParams(
            body["query"], body.get("variables"), body.get("operationName"), body.get("extensions")
        )
    else:
        assert params == 400


@settings(max_examples=300)
@given(st.binary() | st.text())
def test_query_strings(query_string: bytes | str) -> None:
    result = outcome(params_from_query_string, query_string)
    assert result == 400 or isinstance(result.query, str)


INVALID = object()


def _json_param(raw: str | None) -> object:
    """What a JSON query-string parameter decodes to (``INVALID`` when it is no JSON)."""
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return INVALID


@settings(max_examples=300)
@given(
    st.dictionaries(
        st.sampled_from(["query", "variables", "operationName", "extensions", "x"]),
        st.text(max_size=8) | json_values.map(json.dumps),
    )
)
def test_query_string_parameters_are_decoded_or_refused(params: dict[str, str]) -> None:
    variables, extensions = (
        _json_param(params.get("variables")),
        _json_param(params.get("extensions")),
    )
    valid = (
        "query" in params
        and isinstance(variables, (dict, type(None)))
        and isinstance(extensions, (dict, type(None)))
    )
    result = outcome(params_from_query_string, urlencode(params))
    if valid:
        assert isinstance(variables, (dict, type(None)))
        assert isinstance(extensions, (dict, type(None)))
        operation_name = params.get("operationName") or None
        assert result == GraphQLRequestParams(
            params["query"], variables, operation_name, extensions
        )
    else:
        assert result == 400


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
