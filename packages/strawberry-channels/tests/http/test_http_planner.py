"""The sans-IO HTTP planner: what a request turns into, without a consumer."""

from __future__ import annotations

import json

import pytest
from strawberry.types.graphql import OperationType

from strawberry_channels.protocols.graphql_http import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    HTTPError,
)
from strawberry_channels.protocols.http_planner import (
    Execute,
    HTTPOptions,
    ReadBody,
    ServeIDE,
    Stream,
    plan_head,
    plan_request,
)
from strawberry_channels.protocols.multipart_mixed import MultipartMixedEncoder
from strawberry_channels.protocols.multipart_upload import UploadFile
from strawberry_channels.protocols.sse import SSEEncoder

QUERY = json.dumps({"query": "{ a }"}).encode()
SUBSCRIPTION = json.dumps({"query": "subscription { s }"}).encode()
JSON_HEADERS = {"content-type": "application/json"}
STREAMING = HTTPOptions(stream_protocols=("sse", "multipart"))


def kind_of(query: str, operation_name: str | None) -> OperationType | None:
    if query.startswith("subscription"):
        return OperationType.SUBSCRIPTION
    if query.startswith("mutation"):
        return OperationType.MUTATION
    return OperationType.QUERY


def refuse_lookup(query: str, operation_name: str | None) -> OperationType | None:
    raise AssertionError("the fast path must not look the operation type up")


def status_of(plan: object) -> int:
    assert isinstance(plan, HTTPError), plan
    return plan.status


@pytest.mark.parametrize(
    ("method", "headers", "options", "expected"),
    [
        ("PUT", {}, HTTPOptions(), 405),
        ("DELETE", JSON_HEADERS, HTTPOptions(), 405),
        ("POST", JSON_HEADERS, HTTPOptions(max_body_size=7), ReadBody(7)),
        ("GET", {}, HTTPOptions(max_body_size=None), ReadBody(None)),
        (
            "POST",
            {"content-type": "multipart/form-data; boundary=x"},
            HTTPOptions(max_upload_size=9, max_body_size=1),
            ReadBody(9),
        ),
    ],
)
def test_plan_head(
    method: str, headers: dict[str, str], options: HTTPOptions, expected: object
) -> None:
    plan = plan_head(method, headers, options)
    if isinstance(expected, int):
        assert status_of(plan) == expected
        assert isinstance(plan, HTTPError)
        assert plan.headers == {"allow": "GET, POST"}
    else:
        assert plan == expected


def test_post_query_executes_with_the_negotiated_media_type() -> None:
    headers = {**JSON_HEADERS, "accept": GRAPHQL_RESPONSE_JSON}
    plan = plan_request("POST", headers, b"", QUERY, HTTPOptions(), refuse_lookup)
    assert isinstance(plan, Execute)
    assert plan.params.query == "{ a }"
    assert plan.media_type == GRAPHQL_RESPONSE_JSON
    assert plan.allowed == (OperationType.QUERY, OperationType.MUTATION)
    assert not plan.streaming


def test_get_query_allows_only_queries() -> None:
    plan = plan_request("GET", {}, b"query=%7Ba%7D", b"", HTTPOptions(), refuse_lookup)
    assert isinstance(plan, Execute)
    assert plan.params.query == "{a}"
    assert plan.media_type == APPLICATION_JSON
    assert plan.allowed == (OperationType.QUERY,)
    refusal = plan.refusal(OperationType.MUTATION)
    assert (refusal.status, refusal.headers) == (405, {"allow": "POST"})


@pytest.mark.parametrize(
    ("method", "headers", "query_string", "body", "options", "status"),
    [
        ("GET", {"accept": "text/html"}, b"", b"", HTTPOptions(ide_available=False), 404),
        ("GET", {}, b"query=%7Ba%7D", b"", HTTPOptions(allow_queries_via_get=False), 405),
        ("GET", {}, b"", b"", HTTPOptions(), 400),
        ("POST", {}, b"", QUERY, HTTPOptions(), 415),
        ("POST", {"content-type": "text/plain"}, b"", QUERY, HTTPOptions(), 415),
        (
            "POST",
            {"content-type": "application/json; charset=latin-1"},
            b"",
            QUERY,
            HTTPOptions(),
            415,
        ),
        ("POST", JSON_HEADERS, b"", b"", HTTPOptions(), 400),
        ("POST", JSON_HEADERS, b"", b"{nope", HTTPOptions(), 400),
        ("POST", {**JSON_HEADERS, "accept": "text/csv"}, b"", QUERY, HTTPOptions(), 406),
        (
            "POST",
            {"content-type": "multipart/form-data; boundary=x"},
            b"",
            b"--x--\r\n",
            HTTPOptions(),
            415,
        ),
        (
            "POST",
            {"content-type": "multipart/form-data; boundary=x"},
            b"",
            b"--x--\r\n",
            HTTPOptions(multipart_uploads_enabled=True),
            400,  # no CSRF preflight header
        ),
    ],
)
def test_refusals(
    method: str,
    headers: dict[str, str],
    query_string: bytes,
    body: bytes,
    options: HTTPOptions,
    status: int,
) -> None:
    assert status_of(plan_request(method, headers, query_string, body, options, kind_of)) == status


def test_browser_get_serves_the_ide() -> None:
    headers = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    assert plan_request("GET", headers, b"", b"", HTTPOptions(), refuse_lookup) == ServeIDE()


@pytest.mark.parametrize(
    ("accept", "encoder"),
    [
        ("text/event-stream", SSEEncoder),
        ('multipart/mixed;subscriptionSpec="1.0", application/json', MultipartMixedEncoder),
    ],
)
def test_subscription_streams_with_the_accepted_encoder(accept: str, encoder: type) -> None:
    headers = {**JSON_HEADERS, "accept": accept}
    plan = plan_request("POST", headers, b"", SUBSCRIPTION, STREAMING, kind_of)
    assert isinstance(plan, Stream)
    assert isinstance(plan.encoder, encoder)
    assert plan.operation_type is OperationType.SUBSCRIPTION
    # A fresh encoder per request.
    again = plan_request("POST", headers, b"", SUBSCRIPTION, STREAMING, kind_of)
    assert isinstance(again, Stream)
    assert again.encoder is not plan.encoder


def test_query_prefers_json_even_when_a_stream_is_accepted() -> None:
    headers = {**JSON_HEADERS, "accept": "application/json, text/event-stream"}
    plan = plan_request("POST", headers, b"", QUERY, STREAMING, kind_of)
    assert isinstance(plan, Execute)
    assert plan.streaming
    assert plan.refusal(OperationType.SUBSCRIPTION).status == 400


def test_only_enabled_stream_protocols_are_offered() -> None:
    headers = {**JSON_HEADERS, "accept": "text/event-stream"}
    options = HTTPOptions(stream_protocols=("multipart",))
    assert status_of(plan_request("POST", headers, b"", SUBSCRIPTION, options, kind_of)) == 406


def test_mutation_over_get_with_a_stream_accept_is_405() -> None:
    plan = plan_request(
        "GET",
        {"accept": "text/event-stream"},
        b"query=mutation%7Bm%7D",
        b"",
        STREAMING,
        kind_of,
    )
    assert status_of(plan) == 405


def test_without_streaming_subscriptions_are_refused_as_not_enabled() -> None:
    headers = {**JSON_HEADERS, "accept": "text/event-stream, application/json"}
    plan = plan_request("POST", headers, b"", SUBSCRIPTION, HTTPOptions(), refuse_lookup)
    assert isinstance(plan, Execute)
    refusal = plan.refusal(OperationType.SUBSCRIPTION)
    assert refusal.status == 400
    assert "not enabled" in refusal.message


def test_uploads_are_made_by_the_file_factory() -> None:
    operations = json.dumps(
        {"query": "mutation($f: Upload!) { a(f: $f) }", "variables": {"f": None}}
    )
    body = (
        b'--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        + operations.encode()
        + b'\r\n--x\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        + b'{"0": ["variables.f"]}'
        + b'\r\n--x\r\nContent-Disposition: form-data; name="0"; filename="a.txt"\r\n'
        + b"Content-Type: text/plain\r\n\r\nhi\r\n--x--\r\n"
    )
    headers = {"content-type": "multipart/form-data; boundary=x", "x-csrftoken": "1"}
    made: list[tuple[str, bytes, str]] = []

    def make_file(name: str, data: bytes, content_type: str) -> object:
        made.append((name, data, content_type))
        return UploadFile(name, data, content_type)

    options = HTTPOptions(multipart_uploads_enabled=True, make_file=make_file)
    plan = plan_request("POST", headers, b"", body, options, refuse_lookup)
    assert isinstance(plan, Execute)
    assert made == [("a.txt", b"hi", "text/plain")]
    assert plan.params.variables is not None
    upload = plan.params.variables["f"]
    assert isinstance(upload, UploadFile)
    assert (upload.name, upload.read(), upload.size) == ("a.txt", b"hi", 2)
