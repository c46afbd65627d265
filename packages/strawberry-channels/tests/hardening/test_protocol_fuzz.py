"""Protocol fuzzing over a real socket: valid, reordered, truncated and random messages.

Each example plays a generated sequence on a fresh connection to a uvicorn server,
then checks the invariants: no traceback in the server log, no abnormal (1006) or
internal-error (1011, 4500) close, no group membership or task left once the
socket is gone, and a fresh client answered within 100 ms afterwards (see
:func:`fresh_client_answers_within`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import websockets
from channels.layers import get_channel_layer
from conftest import serve
from hardening_helpers import LEGACY_WS, TRANSPORT_WS, ws_client, ws_url
from hardening_schema import make_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.typing import Subprotocol

from strawberry_channels import GraphQLProtocolTypeRouter

EXAMPLES = int(os.environ.get("HARDENING_FUZZ_EXAMPLES", "10"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)

QUERIES = [
    "{ hello }",
    "subscription { count(to: 3) }",
    'subscription { listen(group: "fuzz") }',
    "{ nope }",
    "subscription {",
    "query A { hello } query B { hello }",
    "{ node { child { child { name } } } }",
]
# Over HTTP a subscription that never ends would stream for ever: only finite ones.
HTTP_QUERIES = [query for query in QUERIES if "listen" not in query]
ids = st.sampled_from(["1", "2", "a", ""])


def transport_ws_message() -> st.SearchStrategy[Any]:
    payload = st.fixed_dictionaries({"query": st.sampled_from(QUERIES)})
    return st.one_of(
        st.just({"type": "connection_init"}),
        st.just({"type": "connection_init", "payload": "not an object"}),
        st.builds(lambda i, p: {"type": "subscribe", "id": i, "payload": p}, ids, payload),
        st.builds(lambda i: {"type": "complete", "id": i}, ids),
        st.just({"type": "ping"}),
        st.just({"type": "pong"}),
        st.dictionaries(st.sampled_from(["type", "id", "payload"]), st.text(max_size=5)),
        st.text(max_size=20),
    )


def legacy_ws_message() -> st.SearchStrategy[Any]:
    payload = st.fixed_dictionaries({"query": st.sampled_from(QUERIES)})
    return st.one_of(
        st.just({"type": "connection_init"}),
        st.builds(lambda i, p: {"type": "start", "id": i, "payload": p}, ids, payload),
        st.builds(lambda i: {"type": "stop", "id": i}, ids),
        st.just({"type": "connection_terminate"}),
        st.dictionaries(st.sampled_from(["type", "id", "payload"]), st.text(max_size=5)),
        st.text(max_size=20),
    )


def frames(messages: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    def encode(message: Any, mode: str, cut: int) -> Any:
        text = json.dumps(message)
        if mode == "truncated":
            return text[: cut % max(1, len(text))]
        if mode == "binary":
            return text.encode()
        return text

    frame = st.builds(
        encode, messages, st.sampled_from(["json"] * 6 + ["truncated", "binary"]), st.integers()
    )
    return st.lists(frame, max_size=12)


#: The issue's invariant: a fresh client is answered within 100 ms after the fuzzing.
FRESH_ANSWER_S = 0.1
FRESH_ATTEMPTS = 10
#: Seconds between attempts, so that the attempts span a second or more.
FRESH_PAUSE_S = 0.1
#: The best answer time of each example, and the attempts it took (reported at the end).
FRESH_BEST: list[float] = []
FRESH_TRIES: list[int] = []


@pytest.fixture(scope="module", autouse=True)
def report_fresh_answers(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if FRESH_BEST and capture is not None:
        ordered = sorted(FRESH_BEST)
        with capture.global_and_fixture_disabled():
            print(
                f"\nfresh client after fuzzing, best of up to {FRESH_ATTEMPTS}: median "
                f"{ordered[len(ordered) // 2] * 1000:.1f} ms, slowest "
                f"{ordered[-1] * 1000:.1f} ms ({len(ordered)} examples; more than one "
                f"attempt {sum(tries > 1 for tries in FRESH_TRIES)} times, at most "
                f"{max(FRESH_TRIES)})"
            )


async def fresh_client_answers_within(client: Callable[[], Awaitable[None]]) -> float:
    """The best of a few fresh clients' answer times (connect, handshake, query), in seconds.

    This is a stated invariant of the issue (the server is responsive again after
    the fuzzing), not a benchmark, and it must not be flaky on the shared 2-core
    machine the tests run on. So it is measured only once the fuzzed connection is
    closed and its tasks and memberships have settled (the caller waited for that),
    and it is the best of up to ``FRESH_ATTEMPTS`` clients, each a new connection,
    ``FRESH_PAUSE_S`` apart. The client runs in the server's process and on a
    shared machine, so one round trip (about 16 ms of CPU for client and server
    together) can lose scheduler slices to other processes at any time; a burst of
    load does not last the second or more the attempts span. A server still busy
    with the fuzzed session (a runaway task, a stuck loop) is slow on every
    attempt, and that is what fails.
    """
    best = float("inf")
    tries = 0
    while tries < FRESH_ATTEMPTS:
        tries += 1
        started = time.perf_counter()
        await client()
        best = min(best, time.perf_counter() - started)
        if best < FRESH_ANSWER_S:
            break
        await asyncio.sleep(FRESH_PAUSE_S)
    assert best < FRESH_ANSWER_S, f"no fresh client answered within 100 ms (best {best:.3f} s)"
    FRESH_BEST.append(best)
    FRESH_TRIES.append(tries)
    return best


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def play(subprotocol: str, sequence: list[Any]) -> None:
    layer: Any = get_channel_layer()
    await layer.flush()
    errors = Errors()
    loggers = [logging.getLogger(name) for name in ("strawberry_channels", "uvicorn.error")]
    for logger in loggers:
        logger.addHandler(errors)
    try:
        async with serve(GraphQLProtocolTypeRouter(make_schema())) as url:
            baseline = len(asyncio.all_tasks())
            async with websockets.connect(
                ws_url(url), subprotocols=[Subprotocol(subprotocol)]
            ) as socket:
                for frame in sequence:
                    with contextlib.suppress(websockets.ConnectionClosed):
                        await socket.send(frame)
                    await layer.group_send("fuzz", {"type": "test.message", "text": "x"})
                with contextlib.suppress(asyncio.TimeoutError, websockets.ConnectionClosed):
                    while True:
                        await asyncio.wait_for(socket.recv(), 0.05)
                if socket.protocol.close_rcvd is not None:
                    code = socket.protocol.close_rcvd.code
                    assert code not in {1006, 1011, 4500}, code
            # Everything the connection started is gone with it.
            for _ in range(100):
                if not layer.groups and len(asyncio.all_tasks()) <= baseline:
                    break
                await asyncio.sleep(0.01)
            assert layer.groups == {}, layer.groups
            assert len(asyncio.all_tasks()) <= baseline

            async def fresh_client() -> None:
                async with ws_client(url, subprotocol) as fresh:
                    await fresh.start("f", "{ hello }")
                    answer = await fresh.next_payload(timeout=5)
                    assert answer["payload"] == {"data": {"hello": "Hello world"}}

            await fresh_client_answers_within(fresh_client)
    finally:
        for logger in loggers:
            logger.removeHandler(errors)
    tracebacks = [r for r in errors.records if r.exc_info]
    assert not tracebacks, [r.getMessage() for r in tracebacks]


@FUZZ
@given(frames(transport_ws_message()))
def test_fuzz_graphql_transport_ws(sequence: list[Any]) -> None:
    asyncio.run(play(TRANSPORT_WS, sequence))


@FUZZ
@given(frames(legacy_ws_message()))
def test_fuzz_graphql_ws(sequence: list[Any]) -> None:
    asyncio.run(play(LEGACY_WS, sequence))


http_request = st.tuples(
    st.sampled_from(["GET", "POST", "PUT"]),
    st.sampled_from(
        ["application/json", "application/graphql", "multipart/form-data; boundary=x", "text/plain"]
    ),
    st.one_of(
        st.builds(lambda q: json.dumps({"query": q}), st.sampled_from(HTTP_QUERIES)),
        st.text(max_size=40),
        st.builds(
            lambda q, n: json.dumps({"query": q})[: n % 30],
            st.sampled_from(HTTP_QUERIES),
            st.integers(),
        ),
    ),
    st.sampled_from(["application/json", "text/event-stream", "*/*", "text/html"]),
)


@FUZZ
@given(st.lists(http_request, min_size=1, max_size=5))
def test_fuzz_http(requests: list[tuple[str, str, str, str]]) -> None:
    async def run() -> None:
        errors = Errors()
        logger = logging.getLogger("strawberry_channels")
        logger.addHandler(errors)
        try:
            app = GraphQLProtocolTypeRouter(
                make_schema(), http_options={"subscription_protocols": ["sse"]}
            )
            async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=5) as http:
                for method, content_type, body, accept in requests:
                    response = await http.request(
                        method,
                        "/graphql",
                        content=body.encode(),
                        headers={"content-type": content_type, "accept": accept},
                    )
                    assert response.status_code < 500, (
                        response.status_code,
                        response.text,
                        [logging.Formatter().format(r) for r in errors.records],
                    )

                async def fresh_client() -> None:
                    # A bare connection: building an httpx client costs ~40 ms of
                    # client-side CPU (an SSL context), which is not the server's answer.
                    host, port = url.removeprefix("http://").split(":")
                    reader, writer = await asyncio.open_connection(host, int(port))
                    body = b'{"query": "{ hello }"}'
                    writer.write(
                        b"POST /graphql HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
                        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                        % (host.encode(), len(body), body)
                    )
                    answer = await asyncio.wait_for(reader.read(), 5)
                    writer.close()
                    assert answer.startswith(b"HTTP/1.1 200"), answer
                    assert answer.endswith(b'{"data":{"hello":"Hello world"}}'), answer

                await fresh_client_answers_within(fresh_client)
        finally:
            logger.removeHandler(errors)
        assert not [r for r in errors.records if r.exc_info]

    asyncio.run(run())
