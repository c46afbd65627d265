"""GraphQLHTTPConsumer and SyncGraphQLHTTPConsumer: options, hooks, context, bad input."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import strawberry
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from django.contrib.auth.models import AnonymousUser
from http_schema import make_schema
from strawberry.types import ExecutionResult

from strawberry_channels import (
    ChannelsConsumer,
    ChannelsRequest,
    ChannelsResponse,
    GraphQLHTTPConsumer,
    SyncGraphQLHTTPConsumer,
    TemporalResponse,
)

GRJSON = "application/graphql-response+json"


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://testserver")


async def post(app: Any, body: object, **kwargs: Any) -> httpx.Response:
    async with client(app) as c:
        return await c.post("/graphql", json=body, **kwargs)


SCHEMA = make_schema()
APP = GraphQLHTTPConsumer.as_asgi(schema=SCHEMA)


# -- queries, mutations, media types -------------------------------------------------


@pytest.mark.parametrize("consumer", [GraphQLHTTPConsumer, SyncGraphQLHTTPConsumer])
async def test_query_and_mutation_over_post_and_get(consumer: type[Any]) -> None:
    app = consumer.as_asgi(schema=SCHEMA)
    async with client(app) as c:
        response = await c.post("/graphql", json={"query": '{ hello(name: "you") }'})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"data": {"hello": "Hello you"}}

        response = await c.post(
            "/graphql",
            json={"query": "mutation M($t: String!) { shout(text: $t) }", "variables": {"t": "a"}},
            headers={"accept": GRJSON},
        )
        assert response.headers["content-type"] == GRJSON
        assert response.json() == {"data": {"shout": "A"}}

        response = await c.get(
            "/graphql",
            params={"query": "query Q($n: String!) { hello(name: $n) }", "variables": '{"n": "g"}'},
        )
        assert response.json() == {"data": {"hello": "Hello g"}}

        response = await c.post(
            "/graphql",
            content=b"{ hello }",
            headers={"content-type": "application/graphql"},
        )
        assert response.json() == {"data": {"hello": "Hello world"}}


async def test_an_empty_graphql_body_is_a_request_error() -> None:
    # Found by the HTTP fuzzer: Strawberry raises on an empty document (a 500 before).
    async with client(GraphQLHTTPConsumer.as_asgi(schema=make_schema())) as c:
        for accept in ("application/json", GRJSON):
            response = await c.post(
                "/graphql",
                content=b"",
                headers={"content-type": "application/graphql", "accept": accept},
            )
            assert response.status_code == (200 if accept == "application/json" else 400)
            assert response.json() == {
                "errors": [{"message": 'Request data is missing a "query" value'}]
            }


async def test_document_cache_serves_http() -> None:
    schema = make_schema()
    app = GraphQLHTTPConsumer.as_asgi(schema=schema)
    async with client(app) as c:
        for _ in range(3):
            assert (await c.post("/graphql", json={"query": "{ hello }"})).status_code == 200
    consumer = GraphQLHTTPConsumer(schema=schema)
    assert consumer.document_cache.misses == 1
    assert consumer.document_cache.hits >= 2


async def test_request_errors_by_media_type() -> None:
    bad = {"query": "{ doesNotExist }"}
    as_json = await post(APP, bad)
    assert as_json.status_code == 200
    assert "data" not in as_json.json()
    as_graphql = await post(APP, bad, headers={"accept": GRJSON})
    assert as_graphql.status_code == 400
    assert as_graphql.json()["errors"][0]["message"].startswith("Cannot query field")

    coercion = {"query": "query($n: String!) { hello(name: $n) }", "variables": {"n": None}}
    assert (await post(APP, coercion)).status_code == 200
    assert (await post(APP, coercion, headers={"accept": GRJSON})).status_code == 400

    syntax = await post(APP, {"query": "{"}, headers={"accept": GRJSON})
    assert syntax.status_code == 400
    assert "Syntax Error" in syntax.json()["errors"][0]["message"]


async def test_unknown_operation_name_is_a_request_error_not_a_500() -> None:
    query = {"query": "query A { hello }", "operationName": "Nope"}
    strict = await post(APP, query, headers={"accept": GRJSON})
    assert strict.status_code == 400
    assert strict.json() == {"errors": [{"message": 'Unknown operation named "Nope".'}]}
    legacy = await post(APP, query)
    assert legacy.status_code == 200
    assert legacy.json()["errors"][0]["message"] == 'Unknown operation named "Nope".'


async def test_resolver_error_is_a_200_with_data_and_path() -> None:
    response = await post(APP, {"query": "{ hello boom }"}, headers={"accept": GRJSON})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["path"] == ["boom"]


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        (
            {"content": b'{ "not a JSON', "headers": {"content-type": "application/json"}},
            400,
            "not valid JSON",
        ),
        ({"content": b"", "headers": {"content-type": "application/json"}}, 400, "empty"),
        ({"json": {"notquery": "{ hello }"}}, 400, "No GraphQL query"),
        ({"json": {"query": 1}}, 400, "must be a string"),
        ({"json": {"query": None}}, 400, "No GraphQL query"),
        ({"json": {"query": "{ hello }", "variables": "x"}}, 400, "'variables'"),
        ({"json": {"query": "{ hello }", "variables": [1]}}, 400, "'variables'"),
        ({"json": {"query": "{ hello }", "operationName": 1}}, 400, "'operationName'"),
        ({"json": {"query": "{ hello }", "extensions": "x"}}, 400, "'extensions'"),
        ({"json": [{"query": "{ hello }"}]}, 400, "JSON object"),
        (
            {"content": b"query={hello}", "headers": {"content-type": "text/plain"}},
            415,
            "Unsupported Content-Type",
        ),
        (
            {
                "content": b"query={hello}",
                "headers": {"content-type": "application/x-www-form-urlencoded"},
            },
            415,
            "Unsupported",
        ),
        ({"content": b'{"query": "{ hello }"}'}, 415, "no Content-Type"),
        (
            {
                "content": b'{"query": "{ hello }"}',
                "headers": {"content-type": "application/json; charset=latin-1"},
            },
            415,
            "charset",
        ),
        ({"json": {"query": "{ hello }"}, "headers": {"accept": "text/plain"}}, 406, "Accept"),
        ({"json": {"query": "subscription { count }"}}, 400, "not enabled"),
        (
            {
                "content": b"--x--\r\n",
                "headers": {"content-type": "multipart/form-data; boundary=x"},
            },
            415,
            "uploads are not enabled",
        ),
    ],
)
async def test_bad_post_requests(kwargs: dict[str, Any], status: int, message: str) -> None:
    async with client(APP) as c:
        response = await c.post("/graphql", **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    errors = response.json()["errors"]
    assert message in errors[0]["message"]
    assert "data" not in response.json()


async def test_bad_get_requests_and_methods() -> None:
    async with client(APP) as c:
        response = await c.get("/graphql", params={"query": 'mutation { shout(text: "x") }'})
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert "Mutations cannot be sent over GET" in response.json()["errors"][0]["message"]

        response = await c.get("/graphql")
        assert response.status_code == 400
        response = await c.get("/graphql", params={"query": "{ hello }", "variables": "{x"})
        assert response.status_code == 400
        assert "'variables' parameter is not valid JSON" in response.json()["errors"][0]["message"]

        response = await c.put("/graphql", json={"query": "{ hello }"})
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST"
        response = await c.delete("/graphql")
        assert response.status_code == 405

        response = await c.post(
            "/graphql", json={"query": "{ nope }"}, headers={"accept": f"{GRJSON}, text/plain"}
        )
        assert response.headers["content-type"] == GRJSON


async def test_allow_queries_via_get_off() -> None:
    app = GraphQLHTTPConsumer.as_asgi(schema=SCHEMA, allow_queries_via_get=False)
    async with client(app) as c:
        response = await c.get("/graphql", params={"query": "{ hello }"})
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert (await c.post("/graphql", json={"query": "{ hello }"})).status_code == 200


# -- context and hooks ------------------------------------------------------------------


async def test_default_context_request_and_response() -> None:
    seen: dict[str, Any] = {}

    @strawberry.type
    class Query:
        @strawberry.field
        def inspect(self, info: strawberry.Info) -> str:
            seen.update(info.context)
            return "ok"

    app = GraphQLHTTPConsumer.as_asgi(schema=strawberry.Schema(query=Query))
    async with client(app) as c:
        body = json.dumps({"query": "{ inspect }"}).encode()
        response = await c.post(
            "/graphql?x=1",
            content=body,
            headers={"content-type": "application/json", "x-test": "yes"},
        )
    assert response.json() == {"data": {"inspect": "ok"}}
    assert set(seen) == {"request", "response"}
    request = seen["request"]
    assert isinstance(request, ChannelsRequest)
    assert isinstance(request.consumer, GraphQLHTTPConsumer)
    assert isinstance(request.consumer, ChannelsConsumer)
    assert request.body == body
    assert request.headers["x-test"] == "yes"
    assert request.method == "POST"
    assert request.content_type == "application/json"
    assert request.query_params == {"x": "1"}
    assert request.path == "/graphql"
    assert isinstance(seen["response"], TemporalResponse)


async def test_temporal_response_sets_status_and_headers() -> None:
    response = await post(APP, {"query": "{ teapot }"})
    assert response.status_code == 418
    assert response.headers["x-brewed"] == "yes"
    assert response.json() == {"data": {"teapot": "short and stout"}}


async def test_request_fields_visible_to_resolvers() -> None:
    response = await post(APP, {"query": "{ requestInfo contextKeys }"}, headers={"x-test": "t"})
    assert response.json() == {
        "data": {"requestInfo": "POST application/json t", "contextKeys": ["request", "response"]}
    }


# The custom context example of the spec, over HTTP.
@dataclasses.dataclass
class ChannelsContext:
    request: ChannelsRequest
    response: TemporalResponse

    @property
    def user(self) -> Any:
        if "user" in self.request.consumer.scope:
            return self.request.consumer.scope["user"]
        return AnonymousUser()

    @property
    def session(self) -> Any:
        if "session" in self.request.consumer.scope:
            return self.request.consumer.scope["session"]
        return None


class ContextConsumer(GraphQLHTTPConsumer):
    async def get_context(
        self, request: ChannelsRequest, response: TemporalResponse
    ) -> ChannelsContext:
        return ChannelsContext(request=request, response=response)


@strawberry.type
class ContextQuery:
    @strawberry.field
    def whoami(self, info: strawberry.Info[ChannelsContext, None]) -> str:
        context = info.context
        assert isinstance(context, ChannelsContext)
        kind = "anonymous" if context.user.is_anonymous else context.user.username
        session = "no session" if context.session is None else "session"
        return f"{kind}, {session}"

    @strawberry.field
    def status(self, info: strawberry.Info[ChannelsContext, None]) -> str:
        info.context.response.status_code = 201
        return "created"


async def test_custom_context_example() -> None:
    app = ContextConsumer.as_asgi(schema=strawberry.Schema(query=ContextQuery))
    response = await post(app, {"query": "{ whoami status }"})
    assert response.status_code == 201
    assert response.json() == {"data": {"whoami": "anonymous, no session", "status": "created"}}


async def test_root_value_process_result_and_json_hooks() -> None:
    class Root:
        name = "the root"

    calls: list[str] = []

    class Hooked(GraphQLHTTPConsumer):
        async def get_root_value(self, request: ChannelsRequest) -> Root:
            return Root()

        async def process_result(
            self, request: ChannelsRequest, result: ExecutionResult
        ) -> dict[str, Any]:
            body = await super().process_result(request, result)
            body["extensions"] = {"processed": request.method}
            return body

        def decode_json(self, data: str | bytes) -> object:
            calls.append("decode")
            return super().decode_json(data)

        def encode_json(self, data: object) -> bytes:
            calls.append("encode")
            return json.dumps(data, indent=2).encode()

    app = Hooked.as_asgi(schema=SCHEMA)
    response = await post(app, {"query": "{ rootName }"})
    assert response.json() == {
        "data": {"rootName": "the root"},
        "extensions": {"processed": "POST"},
    }
    assert "\n  " in response.text
    assert calls == ["decode", "encode"]


# -- IDE ----------------------------------------------------------------------------


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("ide", "marker"),
    [
        ("graphiql", "graphiql.min.js"),
        ("apollo-sandbox", "EmbeddedSandbox"),
        ("pathfinder", "renderPathfinder"),
    ],
)
async def test_ide_pages(ide: str, marker: str) -> None:
    app = GraphQLHTTPConsumer.as_asgi(schema=SCHEMA, graphql_ide=ide, subscriptions_path="/ws")
    async with client(app) as c:
        response = await c.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert marker in html
    assert '{"endpoint":"/graphql","subscriptionsEndpoint":"/ws"}' in html
    assert "__STRAWBERRY_CHANNELS_CONFIG__" not in html


async def test_default_ide_is_graphiql_wired_to_this_path() -> None:
    async with client(APP) as c:
        response = await c.get("/api/graphql/", headers={"accept": "text/html"})
        html = response.text
        assert "graphiql.min.js" in html
        assert '{"endpoint":"/api/graphql/","subscriptionsEndpoint":"/api/graphql/"}' in html
        # Clients asking for JSON never get the page.
        response = await c.get("/graphql", params={"query": "{ hello }"})
        assert response.json() == {"data": {"hello": "Hello world"}}


async def test_ide_disabled_answers_404() -> None:
    app = GraphQLHTTPConsumer.as_asgi(schema=SCHEMA, graphql_ide=None)
    async with client(app) as c:
        response = await c.get("/graphql", headers={"accept": BROWSER_ACCEPT})
        assert response.status_code == 404
        response = await c.get("/graphql", params={"query": "{ hello }"})
        assert response.status_code == 200


async def test_render_graphql_ide_override() -> None:
    class Custom(GraphQLHTTPConsumer):
        async def render_graphql_ide(self, request: ChannelsRequest) -> ChannelsResponse:
            return ChannelsResponse(
                content="<h1>Custom GraphQL IDE</h1>",
                content_type="text/html",
                headers={"x-ide": "custom"},
            )

    class SyncCustom(SyncGraphQLHTTPConsumer):
        def render_graphql_ide(self, request: ChannelsRequest) -> ChannelsResponse:
            return ChannelsResponse(content=b"<h1>Sync IDE</h1>", status=203)

    async with client(Custom.as_asgi(schema=SCHEMA)) as c:
        response = await c.get("/graphql", headers={"accept": "text/html"})
        assert (response.text, response.headers["x-ide"]) == (
            "<h1>Custom GraphQL IDE</h1>",
            "custom",
        )
    async with client(SyncCustom.as_asgi(schema=SCHEMA, graphql_ide=None)) as c:
        response = await c.get("/graphql", headers={"accept": "text/html"})
        assert (response.status_code, response.text) == (203, "<h1>Sync IDE</h1>")


def test_unknown_options_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown subscription protocols"):
        GraphQLHTTPConsumer(schema=SCHEMA, subscription_protocols=["websocket"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="unknown graphql_ide"):
        GraphQLHTTPConsumer(schema=SCHEMA, graphql_ide="playground")  # type: ignore[arg-type]


# -- uploads ------------------------------------------------------------------------


UPLOAD_APP = GraphQLHTTPConsumer.as_asgi(schema=SCHEMA, multipart_uploads_enabled=True)
UPLOAD_OPERATIONS = json.dumps(
    {"query": "mutation($f: Upload!) { readFile(file: $f) }", "variables": {"f": None}}
)


async def upload(app: Any, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
    data = kwargs.pop("data", {"operations": UPLOAD_OPERATIONS, "map": '{"0": ["variables.f"]}'})
    files = kwargs.pop("files", {"0": ("a.txt", b"file contents", "text/plain")})
    async with client(app) as c:
        return await c.post("/graphql", data=data, files=files, headers=headers or {})


async def test_upload_with_preflight_header() -> None:
    response = await upload(UPLOAD_APP, {"apollo-require-preflight": "true"})
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"readFile": "file contents"}}


async def test_upload_list_of_files() -> None:
    operations = json.dumps(
        {
            "query": "mutation($f: [Upload!]!) { readFiles(files: $f) }",
            "variables": {"f": [None, None]},
        }
    )
    response = await upload(
        UPLOAD_APP,
        {"x-csrftoken": "token"},
        data={"operations": operations, "map": '{"a": ["variables.f.0"], "b": ["variables.f.1"]}'},
        files={"a": ("a.txt", b"one"), "b": ("b.txt", b"two")},
    )
    assert response.json() == {"data": {"readFiles": ["one", "two"]}}


async def test_cross_site_simple_multipart_request_is_refused() -> None:
    # What a form on another site can send: a simple request, no custom header.
    response = await upload(UPLOAD_APP, {"origin": "https://evil.example"})
    assert response.status_code == 400
    assert "CSRF" in response.json()["errors"][0]["message"]


async def test_upload_disabled_by_default() -> None:
    response = await upload(APP, {"apollo-require-preflight": "true"})
    assert response.status_code == 415


async def test_upload_malformed_map_and_operations() -> None:
    headers = {"apollo-require-preflight": "1"}
    response = await upload(UPLOAD_APP, headers, data={"operations": "{x", "map": "{}"})
    assert response.status_code == 400
    assert "'operations' field is not valid JSON" in response.json()["errors"][0]["message"]
    response = await upload(
        UPLOAD_APP, headers, data={"operations": UPLOAD_OPERATIONS, "map": '{"0": ["nope"]}'}
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["errors"][0]["message"]
    response = await upload(
        UPLOAD_APP, headers, data={"operations": UPLOAD_OPERATIONS, "map": '{"1": ["variables.f"]}'}
    )
    assert response.status_code == 400


async def test_upload_size_limit_413() -> None:
    app = GraphQLHTTPConsumer.as_asgi(
        schema=SCHEMA, multipart_uploads_enabled=True, max_upload_size=1000
    )
    response = await upload(
        app, {"apollo-require-preflight": "1"}, files={"0": ("big.bin", b"x" * 5000)}
    )
    assert response.status_code == 413
    small = await upload(app, {"apollo-require-preflight": "1"})
    assert small.json() == {"data": {"readFile": "file contents"}}


async def test_json_body_size_limit_413() -> None:
    app = GraphQLHTTPConsumer.as_asgi(schema=SCHEMA, max_body_size=200)
    padding = " " * 300
    response = await post(app, {"query": "{ hello }", "extensions": {"pad": padding}})
    assert response.status_code == 413
    assert "larger than 200 bytes" in response.json()["errors"][0]["message"]
    assert (await post(app, {"query": "{ hello }"})).status_code == 200
    unlimited = GraphQLHTTPConsumer.as_asgi(schema=SCHEMA, max_body_size=None)
    response = await post(unlimited, {"query": "{ hello }", "extensions": {"pad": padding}})
    assert response.status_code == 200


# -- auth and the ORM ------------------------------------------------------------------


@pytest.fixture(scope="module")
def database() -> Iterator[None]:
    from django.test.utils import setup_databases, teardown_databases

    old = setup_databases(verbosity=0, interactive=False)
    try:
        yield None
    finally:
        teardown_databases(old, verbosity=0)


def _login_session(username: str) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    user = User.objects.create_user(username=username, password="pw-" + username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    assert session.session_key is not None
    return session.session_key


async def test_auth_middleware_stack_user_and_session(database: None) -> None:
    session_key = await sync_to_async(_login_session)("alice")
    app = AuthMiddlewareStack(ContextConsumer.as_asgi(schema=strawberry.Schema(query=ContextQuery)))
    async with client(app) as c:
        anonymous = await c.post("/graphql", json={"query": "{ whoami }"})
        assert anonymous.json() == {"data": {"whoami": "anonymous, session"}}
        c.cookies.set("sessionid", session_key)
        alice = await c.post("/graphql", json={"query": "{ whoami }"})
        assert alice.json() == {"data": {"whoami": "alice, session"}}

    plain = AuthMiddlewareStack(APP)
    async with client(plain) as c:
        c.cookies.set("sessionid", session_key)
        assert (await c.post("/graphql", json={"query": "{ user }"})).json() == {
            "data": {"user": "alice"}
        }
    assert (await post(APP, {"query": "{ user }"})).json() == {"data": {"user": "none"}}


@strawberry.type
class OrmQuery:
    @strawberry.field
    def usernames(self, info: strawberry.Info) -> list[str]:
        from django.contrib.auth.models import User

        return list(User.objects.order_by("username").values_list("username", flat=True))

    @strawberry.field
    def sync_context(self, info: strawberry.Info) -> str:
        return str(info.context["marker"])


@strawberry.type
class OrmMutation:
    @strawberry.mutation
    def add_user(self, username: str) -> int:
        from django.contrib.auth.models import User

        User.objects.create_user(username=username)
        count: int = User.objects.count()
        return count


class SyncOrmConsumer(SyncGraphQLHTTPConsumer):
    def get_context(self, request: ChannelsRequest, response: TemporalResponse) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(request, response)
        context["marker"] = f"sync {request.method}"
        return context

    def get_root_value(self, request: ChannelsRequest) -> None:
        return None

    def process_result(self, request: ChannelsRequest, result: ExecutionResult) -> dict[str, Any]:
        body = super().process_result(request, result)
        body["extensions"] = {"sync": True}
        return body


async def test_sync_consumer_runs_orm_resolvers(database: None) -> None:
    app = SyncOrmConsumer.as_asgi(schema=strawberry.Schema(query=OrmQuery, mutation=OrmMutation))
    async with client(app) as c:
        response = await c.post("/graphql", json={"query": 'mutation { addUser(username: "zed") }'})
        assert response.json()["data"]["addUser"] >= 1
        response = await c.post("/graphql", json={"query": "{ usernames syncContext }"})
    body = response.json()
    assert "zed" in body["data"]["usernames"]
    assert body["data"]["syncContext"] == "sync POST"
    assert body["extensions"] == {"sync": True}
    # The async consumer refuses ORM access from the event loop: the error is a GraphQL error.
    async_app = GraphQLHTTPConsumer.as_asgi(schema=strawberry.Schema(query=OrmQuery))
    failed = await post(async_app, {"query": "{ usernames }"})
    assert "async context" in failed.json()["errors"][0]["message"]


async def test_sync_consumer_refuses_subscriptions() -> None:
    app = SyncGraphQLHTTPConsumer.as_asgi(schema=SCHEMA, subscription_protocols=["sse"])
    response = await post(
        app, {"query": "subscription { count }"}, headers={"accept": "text/event-stream"}
    )
    assert response.status_code == 406


@pytest.mark.parametrize(
    ("consumer", "streaming"),
    [
        (GraphQLHTTPConsumer, ()),
        (GraphQLHTTPConsumer, ("sse", "multipart")),
        (SyncGraphQLHTTPConsumer, ()),
    ],
)
async def test_operation_types_refused_per_method(
    consumer: type[Any], streaming: tuple[str, ...]
) -> None:
    app = consumer.as_asgi(schema=SCHEMA, subscription_protocols=streaming)
    for accept in ("application/json", "text/event-stream, application/json"):
        async with client(app) as c:
            response = await c.get(
                "/graphql",
                params={"query": 'mutation { shout(text: "x") }'},
                headers={"accept": accept},
            )
            assert response.status_code == 405
            assert response.headers["allow"] == "POST"
            response = await c.post(
                "/graphql",
                json={"query": "subscription { count }"},
                headers={"accept": "application/json"},
            )
            assert response.status_code == 400
            message = response.json()["errors"][0]["message"]
            assert ("text/event-stream" if streaming else "not enabled") in message


async def test_hostile_bodies_are_clean_400s(caplog: pytest.LogCaptureFixture) -> None:
    async with client(APP) as c:
        for content in (b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe\x00garbage", b"null"):
            response = await c.post(
                "/graphql", content=content, headers={"content-type": "application/json"}
            )
            assert response.status_code == 400
            assert response.json()["errors"][0]["message"]
    assert [r for r in caplog.records if r.name.startswith("strawberry_channels")] == []
