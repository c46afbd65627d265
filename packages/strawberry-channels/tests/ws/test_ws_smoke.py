from __future__ import annotations

from ws_helpers import client, layer  # noqa: F401


async def test_query_and_subscription(layer):  # noqa: F811
    async with client() as ws:
        result = await ws.execute("{ hello }")
        assert result.data == {"hello": "Hello world"}
        results = [r.data async for r in ws.subscribe("subscription { count(to: 3) }")]
        assert results == [{"count": 1}, {"count": 2}, {"count": 3}]
