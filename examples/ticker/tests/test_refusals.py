"""Selections that cannot be shared run unshared, with a debug log line saying why; a shared
resolver that reads the connection fails loudly (docs: shared-subscriptions.md, "What is
not shared")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import Server, WSClient, sequence_of


def prices(fields: str) -> str:
    return (
        "subscription Prices($symbol: String!) {"
        f" prices(symbol: $symbol) {{ symbol price sequence {fields} }} }}"
    )


#: (what is refused, the document, the client's extensions, a word of the log line)
REFUSED = {
    "permission class": (prices("volume"), None, "permission"),
    "field extension": (prices("rounded"), None, "extension"),
    "resolver taking info": (prices("quote"), None, "info"),
    "client extensions": (prices(""), {"trace": True}, "extensions"),
}

#: What the refused field answers (the permission lets these clients in).
EXPECTED: dict[str, dict[str, Any]] = {
    "permission class": {"volume": None},  # filled in with the tick below
    "field extension": {"rounded": 101.0},
    "resolver taking info": {"quote": "101.00 EUR"},  # read from this connection
    "client extensions": {},
}


@pytest.mark.parametrize("case", REFUSED)
async def test_refused_selection_runs_unshared_and_says_why(server: Server, case: str) -> None:
    query, extensions, reason = REFUSED[case]
    params = {"plan": "pro", "currency": "EUR"}  # the permission lets these clients in
    async with (
        WSClient.connect(server.url, params=params) as first,
        WSClient.connect(server.url, params=params) as second,
    ):
        for client in (first, second):
            await client.subscribe("1", query, {"symbol": "REFUSE"}, extensions)
        # Two operations in the group, each on its own channel: nothing is shared.
        state = await server.wait_for_listeners("REFUSE", 2)
        assert state["stats"]["executions"] == 0
        assert state["stats"]["subscribers"] == 0
        tick = await server.publish_price("REFUSE", 101)
        frames = [await client.frame() for client in (first, second)]

    assert [sequence_of(frame) for frame in frames] == [tick, tick]
    data = json.loads(frames[0])["payload"]["data"]["prices"]
    expected = dict(EXPECTED[case])
    if "volume" in expected:
        expected["volume"] = tick * 100
    assert expected.items() <= data.items()
    lines = [line for line in state["log"] if reason in line.lower()]
    assert len(lines) == 2, state["log"]  # one line per refused operation


async def test_shared_resolver_reading_the_connection_raises_shared_context_error(
    server: Server,
) -> None:
    query = 'subscription { myPrices(symbol: "WRONG") { symbol sequence } }'
    async with WSClient.connect(
        server.url, path="/_test/nosy/graphql", params={"currency": "EUR"}
    ) as client:
        await client.subscribe("1", query)
        frames = await client.until_done("1")
    messages = [json.loads(frame) for frame in frames]
    # The resolver raised on its first read: the error reaches the client as any resolver
    # error does (and the server logs it with its traceback), and the operation ends.
    assert [m["type"] for m in messages] == ["next", "complete"]
    assert messages[0]["payload"]["data"] is None
    (error,) = messages[0]["payload"]["errors"]
    assert error["message"].startswith("info.context['connection_params'] is per-connection state")
