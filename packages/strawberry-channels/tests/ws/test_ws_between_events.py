"""Between two events a subscription holds nothing of the event it sent.

Whatever a waiting subscription keeps, the garbage collector walks at every
collection until the next event; on 10,000 subscriptions three objects each
are 30,000 more.
"""

from __future__ import annotations

import gc

from channels.layers import get_channel_layer
from ws_helpers import client
from ws_schema import SEEN_CONSUMERS

from strawberry_channels.protocols.operations import Send


async def test_a_waiting_subscription_holds_no_sent_message() -> None:
    async with client() as ws:
        await ws.start('subscription { listen(groups: ["between"]) }', id="held")
        assert (await ws.receive_json_from())["payload"]["data"] == {"listen": None}
        layer = get_channel_layer()
        assert layer is not None
        await layer.group_send("between", {"type": "test.message", "text": "first"})
        assert (await ws.receive_json_from())["payload"]["data"] == {"listen": "first"}
        gc.collect()
        held = [
            o
            for o in gc.get_objects()
            if type(o) is Send and isinstance(o.message, dict) and o.message.get("id") == "held"
        ]
        assert held == []
        await ws.complete("held")
    SEEN_CONSUMERS.clear()
