"""Messages nobody listens for are logged once per thousand, not once each (real socket)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from channels.layers import get_channel_layer
from conftest import serve
from hardening_helpers import ws_client
from hardening_schema import make_schema

from strawberry_channels import GraphQLProtocolTypeRouter


async def test_no_listener_drops_are_throttled(caplog: pytest.LogCaptureFixture) -> None:
    layer: Any = get_channel_layer()
    await layer.flush()
    with caplog.at_level(logging.WARNING, logger="strawberry_channels"):
        async with (
            serve(GraphQLProtocolTypeRouter(make_schema())) as url,
            ws_client(url) as client,
        ):
            await client.start("1", 'subscription { listen(group: "floods") }')
            await client.next_payload()
            # 1,500 messages of a type the subscription does not listen for:
            # 1,000 wait (the buffer), 500 are dropped.
            for n in range(1500):
                await layer.group_send("floods", {"type": "other.message", "n": n})
                if n % 100 == 0:
                    await asyncio.sleep(0.01)
            await layer.group_send("floods", {"type": "test.message", "text": "last"})
            assert (await client.next_payload())["payload"]["data"]["listen"] == "last"
    lines = [r for r in caplog.records if "No listener reads" in r.getMessage()]
    assert 1 <= len(lines) <= 2, f"{len(lines)} log lines for 500 dropped messages"
    await layer.flush()
