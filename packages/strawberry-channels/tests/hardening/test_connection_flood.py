"""Sockets opened and never initialised are closed with 4408 after the init timeout."""

from __future__ import annotations

import asyncio
import os
import resource
import sys
from typing import Any

import pytest
import websockets
from conftest import serve
from hardening_helpers import TRANSPORT_WS, ws_url
from hardening_schema import make_schema
from websockets.typing import Subprotocol

from strawberry_channels import GraphQLProtocolTypeRouter

# Reduced in the default run; `nox -s soak` opens the 5,000.
FLOOD = int(os.environ.get("HARDENING_FLOOD", "200"))


def rss_kib() -> int:
    """Peak resident memory of this process (server and clients share it)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


async def test_uninitialised_sockets_close_with_4408(capsys: pytest.CaptureFixture[str]) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = FLOOD * 2 + 200  # client and server end of each socket, in this process
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, needed), hard))
    app = GraphQLProtocolTypeRouter(make_schema(), ws_options={"connection_init_wait_timeout": 2})
    async with serve(app, ws_ping_interval=None) as url:
        before = rss_kib()
        sockets: list[Any] = []
        for start in range(0, FLOOD, 100):
            sockets += await asyncio.gather(
                *(
                    websockets.connect(
                        ws_url(url), subprotocols=[Subprotocol(TRANSPORT_WS)], open_timeout=30
                    )
                    for _ in range(min(100, FLOOD - start))
                )
            )
        pending = rss_kib()
        await asyncio.wait_for(asyncio.gather(*(s.wait_closed() for s in sockets)), 60)
        codes = [s.protocol.close_rcvd.code if s.protocol.close_rcvd else None for s in sockets]
    assert codes == [4408] * FLOOD
    with capsys.disabled():
        per_socket = (pending - before) * 1024 / FLOOD
        print(
            f"\n{FLOOD} pending sockets: about {per_socket / 1024:.1f} KiB each (client + server)"
        )
