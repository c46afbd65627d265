"""Sans-IO protocol pieces of the HTTP transport, without a server."""

from __future__ import annotations

import json

import pytest
from graphql import GraphQLError

from strawberry_channels.protocols.graphql_http import (
    APPLICATION_JSON,
    EVENT_STREAM,
    GRAPHQL_RESPONSE_JSON,
    MULTIPART_MIXED,
    TEXT_HTML,
    HTTPError,
    format_result,
    is_request_error,
    negotiate,
    params_from_json,
    params_from_query_string,
    parse_accept,
    parse_content_type,
    result_status,
)
from strawberry_channels.protocols.multipart_mixed import MultipartMixedEncoder
from strawberry_channels.protocols.multipart_upload import (
    check_csrf_preflight,
    parse_form_data,
    parse_upload_request,
)
from strawberry_channels.protocols.sse import SSEEncoder

JSON_OFFERS = (APPLICATION_JSON, GRAPHQL_RESPONSE_JSON)
ALL_OFFERS = (*JSON_OFFERS, EVENT_STREAM, MULTIPART_MIXED)


# -- Accept negotiation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "offers", "expected"),
    [
        (None, JSON_OFFERS, APPLICATION_JSON),
        ("", JSON_OFFERS, APPLICATION_JSON),
        ("*/*", JSON_OFFERS, APPLICATION_JSON),
        ("application/*", JSON_OFFERS, APPLICATION_JSON),
        ("application/graphql-response+json", JSON_OFFERS, GRAPHQL_RESPONSE_JSON),
        ("application/json", JSON_OFFERS, APPLICATION_JSON),
        (
            "application/json;q=0.9, application/graphql-response+json",
            JSON_OFFERS,
            GRAPHQL_RESPONSE_JSON,
        ),
        ("application/graphql-response+json;q=0.1, */*;q=0.5", JSON_OFFERS, APPLICATION_JSON),
        ("application/json;q=0, */*", JSON_OFFERS, GRAPHQL_RESPONSE_JSON),
        ("text/plain", JSON_OFFERS, None),
        ("application/json;q=0", JSON_OFFERS, None),
        ("APPLICATION/JSON", JSON_OFFERS, APPLICATION_JSON),
        (
            "garbage, application/json;q=abc, application/graphql-response+json",
            JSON_OFFERS,
            GRAPHQL_RESPONSE_JSON,
        ),
        # Streaming and HTML types must be named, */* never selects them.
        ("*/*", ALL_OFFERS, APPLICATION_JSON),
        ("text/*", (TEXT_HTML, EVENT_STREAM), None),
        ("text/event-stream", ALL_OFFERS, EVENT_STREAM),
        (
            'multipart/mixed;subscriptionSpec="1.0", application/json',
            (MULTIPART_MIXED, *JSON_OFFERS),
            MULTIPART_MIXED,
        ),
        ('multipart/mixed;subscriptionSpec="1.0", application/json', ALL_OFFERS, APPLICATION_JSON),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            (*JSON_OFFERS, TEXT_HTML),
            TEXT_HTML,
        ),
        ("*/*", (*JSON_OFFERS, TEXT_HTML), APPLICATION_JSON),
    ],
)
def test_negotiate(accept: str | None, offers: tuple[str, ...], expected: str | None) -> None:
    assert negotiate(accept, offers) == expected


def test_parse_accept_reads_q_values_and_parameters() -> None:
    (first, second) = parse_accept('multipart/mixed; subscriptionSpec="1.0"; q=0.5, text/html')
    assert (first.type, first.subtype, first.q) == ("multipart", "mixed", 0.5)
    assert first.params == {"subscriptionspec": "1.0"}
    assert (second.type, second.subtype, second.q) == ("text", "html", 1.0)
    assert parse_accept("application/json;q=7")[0].q == 1.0


def test_parse_content_type() -> None:
    assert parse_content_type("Application/JSON; charset=UTF-8") == (
        "application/json",
        {"charset": "UTF-8"},
    )
    assert parse_content_type('multipart/form-data; boundary="a b"') == (
        "multipart/form-data",
        {"boundary": "a b"},
    )
    assert parse_content_type(None) == ("", {})


# -- request parameters ---------------------------------------------------------------


def test_params_from_json_accepts_all_fields() -> None:
    params = params_from_json(
        {"query": "{ a }", "variables": {"x": 1}, "operationName": "A", "extensions": {"e": 1}}
    )
    assert (params.query, params.variables, params.operation_name, params.extensions) == (
        "{ a }",
        {"x": 1},
        "A",
        {"e": 1},
    )
    nulls = params_from_json(
        {"query": "{ a }", "variables": None, "operationName": None, "extensions": None}
    )
    assert (nulls.variables, nulls.operation_name, nulls.extensions) == (None, None, None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([{"query": "{ a }"}], "must be a JSON object"),
        ("{ a }", "must be a JSON object"),
        ({}, "No GraphQL query"),
        ({"qeury": "{ a }"}, "No GraphQL query"),
        ({"query": 1}, "'query' parameter must be a string"),
        ({"query": ["{ a }"]}, "'query' parameter must be a string"),
        ({"query": "{ a }", "variables": "x"}, "'variables'"),
        ({"query": "{ a }", "variables": [1]}, "'variables'"),
        ({"query": "{ a }", "operationName": 0}, "'operationName'"),
        ({"query": "{ a }", "extensions": False}, "'extensions'"),
    ],
)
def test_params_from_json_refuses_bad_parameters(body: object, message: str) -> None:
    with pytest.raises(HTTPError) as caught:
        params_from_json(body)
    assert caught.value.status == 400
    assert message in caught.value.message
    assert caught.value.body() == {"errors": [{"message": caught.value.message}]}


def test_params_from_query_string() -> None:
    params = params_from_query_string(
        b"query=query%20Q(%24n%3A%20String)%20%7B%20a%20%7D&variables=%7B%22n%22%3A%22%C3%A9%22%7D"
        b"&operationName=Q"
    )
    assert params.query == "query Q($n: String) { a }"
    assert params.variables == {"n": "é"}
    assert params.operation_name == "Q"
    blank = params_from_query_string("query={a}&variables=&operationName=")
    assert (blank.variables, blank.operation_name) == (None, None)


@pytest.mark.parametrize(
    "query_string",
    [
        "",
        "variables=%7B%7D",
        "query={a}&variables=%7Bnot",
        "query={a}&variables=[1]",
        "query={a}&extensions=1",
    ],
)
def test_params_from_query_string_refuses_bad_input(query_string: str) -> None:
    with pytest.raises(HTTPError) as caught:
        params_from_query_string(query_string)
    assert caught.value.status == 400


# -- results --------------------------------------------------------------------------


def test_request_errors_have_no_data_and_answer_400_with_graphql_response_json() -> None:
    errors = [GraphQLError("Syntax Error")]
    assert is_request_error(errors, None)
    body = format_result(None, errors)
    assert "data" not in body
    assert body["errors"][0]["message"] == "Syntax Error"
    assert result_status(body, GRAPHQL_RESPONSE_JSON) == 400
    assert result_status(body, APPLICATION_JSON) == 200


def test_field_errors_keep_data_and_status() -> None:
    errors = [GraphQLError("boom", path=["boom"])]
    assert not is_request_error(errors, None)
    body = format_result(None, errors, {"cost": 1})
    assert body["data"] is None
    assert body["extensions"] == {"cost": 1}
    assert result_status(body, GRAPHQL_RESPONSE_JSON) == 200
    assert result_status({"data": {"a": 1}}, GRAPHQL_RESPONSE_JSON, 418) == 418
    assert format_result({"a": 1}, None) == {"data": {"a": 1}}


# -- SSE ------------------------------------------------------------------------------


def test_sse_framing() -> None:
    encoder = SSEEncoder()
    assert encoder.next(b'{"data":1}') == b'event: next\ndata: {"data":1}\n\n'
    assert encoder.next(b'{"a":\n1}') == b'event: next\ndata: {"a":\ndata: 1}\n\n'
    assert encoder.heartbeat() == b":\n\n"
    assert encoder.complete() == b"event: complete\ndata:\n\n"
    with pytest.raises(RuntimeError):
        encoder.next(b"{}")
    with pytest.raises(RuntimeError):
        encoder.complete()


# -- multipart/mixed ------------------------------------------------------------------


def _parts(stream: bytes) -> list[bytes]:
    """Split a multipart/mixed body the way a reader does, checking it is well formed."""
    assert stream.endswith(b"\r\n--graphql--\r\n")
    chunks = stream.split(b"\r\n--graphql")
    assert chunks[0] == b""
    assert chunks[-1] == b"--\r\n"
    bodies = []
    for chunk in chunks[1:-1]:
        head, _, body = chunk.partition(b"\r\n\r\n")
        assert head == (
            b"\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: %d" % len(body)
        )
        bodies.append(body)
    return bodies


def test_multipart_mixed_framing_closes_every_part() -> None:
    encoder = MultipartMixedEncoder()
    first = encoder.part(b'{"payload":{"data":1}}')
    assert first.endswith(b"\r\n--graphql")  # readable at once, no need to wait for more
    stream = first + encoder.heartbeat() + encoder.part(b'{"payload":null}') + encoder.end()
    assert [json.loads(body) for body in _parts(stream)] == [
        {"payload": {"data": 1}},
        {},
        {"payload": None},
    ]
    with pytest.raises(RuntimeError):
        encoder.part(b"{}")
    with pytest.raises(RuntimeError):
        encoder.end()


def test_multipart_mixed_empty_stream() -> None:
    assert _parts(MultipartMixedEncoder().end()) == []


# -- multipart uploads ----------------------------------------------------------------


def form(*fields: tuple[str, bytes, str | None], boundary: str = "XyZ") -> bytes:
    out = b""
    for name, data, filename in fields:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: text/plain\r\n"
        out += b"\r\n" + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


OPERATIONS = json.dumps(
    {"query": "mutation($f: Upload!) { readFile(file: $f) }", "variables": {"f": None}}
).encode()


def test_upload_request_puts_files_in_place() -> None:
    body = form(
        ("operations", OPERATIONS, None),
        ("map", b'{"0": ["variables.f"]}', None),
        ("0", b"hello\r\n--not-the-boundary", "a;b.txt"),
    )
    params = parse_upload_request(body, "XyZ", json.loads)
    upload = params.variables["f"]  # type: ignore[index]
    assert upload.name == "a;b.txt"
    assert upload.content_type == "text/plain"
    assert upload.read() == b"hello\r\n--not-the-boundary"


def test_upload_request_list_of_files() -> None:
    operations = json.dumps(
        {
            "query": "mutation($f: [Upload!]!) { readFiles(files: $f) }",
            "variables": {"f": [None, None]},
        }
    ).encode()
    body = form(
        ("operations", operations, None),
        ("map", b'{"a": ["variables.f.0"], "b": ["variables.f.1"]}', None),
        ("a", b"one", "1.txt"),
        ("b", b"two", "2.txt"),
    )
    params = parse_upload_request(body, "XyZ", json.loads)
    assert [f.read() for f in params.variables["f"]] == [b"one", b"two"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([("map", b"{}", None)], "no 'operations'"),
        ([("operations", OPERATIONS, None)], "no 'map'"),
        ([("operations", b"{bad", None), ("map", b"{}", None)], "'operations' field is not valid"),
        ([("operations", OPERATIONS, None), ("map", b"[1", None)], "'map' field is not valid"),
        ([("operations", b"[]", None), ("map", b"{}", None)], "Batched"),
        ([("operations", b"1", None), ("map", b"{}", None)], "'operations' field must be"),
        ([("operations", OPERATIONS, None), ("map", b"[]", None)], "'map' field must be"),
        (
            [("operations", OPERATIONS, None), ("map", b'{"0": "variables.f"}', None)],
            "must be a list",
        ),
        (
            [("operations", OPERATIONS, None), ("map", b'{"0": ["variables.f"]}', None)],
            "'0' named in 'map' is missing",
        ),
        (
            [
                ("operations", OPERATIONS, None),
                ("map", b'{"0": ["variables.g"]}', None),
                ("0", b"x", "x.txt"),
            ],
            "does not exist",
        ),
        (
            [
                ("operations", OPERATIONS, None),
                ("map", b'{"0": ["variables.f.3"]}', None),
                ("0", b"x", "x.txt"),
            ],
            "does not exist",
        ),
    ],
)
def test_upload_request_refuses_malformed_input(
    fields: list[tuple[str, bytes, str | None]], message: str
) -> None:
    with pytest.raises(HTTPError) as caught:
        parse_upload_request(form(*fields), "XyZ", json.loads)
    assert caught.value.status == 400
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("body", "boundary"),
    [
        (b"no parts at all", "XyZ"),
        (b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated', "XyZ"),
        (b"--XyZ\r\nno header end--XyZ--\r\n", "XyZ"),
        (b"--XyZ\r\nContent-Disposition: attachment\r\n\r\nx\r\n--XyZ--\r\n", "XyZ"),
        (b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--\r\n", "XyZ"),
        (b"--XyZ--\r\n", ""),
    ],
)
def test_form_data_refuses_malformed_bodies(body: bytes, boundary: str) -> None:
    with pytest.raises(HTTPError) as caught:
        parse_form_data(body, boundary)
    assert caught.value.status == 400


def test_upload_size_limit() -> None:
    body = form(("operations", OPERATIONS, None), ("map", b"{}", None))
    with pytest.raises(HTTPError) as caught:
        parse_upload_request(body, "XyZ", json.loads, max_size=10)
    assert caught.value.status == 413


def test_csrf_preflight_header_required() -> None:
    with pytest.raises(HTTPError) as caught:
        check_csrf_preflight({"content-type": "multipart/form-data"})
    assert caught.value.status == 400
    with pytest.raises(HTTPError):
        check_csrf_preflight({"apollo-require-preflight": ""})
    check_csrf_preflight({"apollo-require-preflight": "true"})
    check_csrf_preflight({"x-csrftoken": "abc"})
