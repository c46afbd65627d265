"""The default cap on operations per WebSocket, over a real socket, both protocols."""

from __future__ import annotations

import pytest
from conftest import serve
from hardening_helpers import LEGACY_WS, TRANSPORT_WS, ws_client
from hardening_schema import make_schema

from strawberry_channels import GraphQLProtocolTypeRouter
from strawberry_channels.limits import DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION


@pytest.mark.parametrize("subprotocol", [TRANSPORT_WS, LEGACY_WS])
async def test_operations_beyond_the_default_cap_are_refused(subprotocol: str) -> None:
    assert DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION == 100
    async with (
        serve(GraphQLProtocolTypeRouter(make_schema())) as url,
        ws_client(url, subprotocol) as client,
    ):
        for n in range(100):
            await client.start(
                str(n), "subscription { listen(group: $g) }".replace("$g", f'"cap-{n}"')
            )
        for _ in range(100):  # every one confirmed (its first result: null)
            message = await client.next_payload()
            assert message["type"] in {"next", "data"}, message
        await client.start("over", "subscription { count(to: 1) }")
        refused = await client.next_payload()
        assert refused["type"] == "error", refused
        assert refused["id"] == "over"
        assert "limit 100" in str(refused["payload"])
        # The socket and the other operations carry on; once one ends,
        # there is room for another.
        stop = "complete" if subprotocol == TRANSPORT_WS else "stop"
        await client.send({"type": stop, "id": "0"})
        if subprotocol == LEGACY_WS:
            assert (await client.next_payload())["type"] == "complete"
        await client.start("q", "{ hello }")
        answer = await client.next_payload()
        assert answer["id"] == "q"
        assert answer["payload"] == {"data": {"hello": "Hello world"}}
