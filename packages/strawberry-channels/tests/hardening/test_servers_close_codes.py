"""Binary and oversized frames under uvicorn and daphne: a close code each server can send."""

from __future__ import annotations

from pathlib import Path

import pytest
import websockets
from hardening_helpers import LEGACY_WS, TRANSPORT_WS
from websockets.typing import Subprotocol

from strawberry_channels.testing import run_server

APP = """
import django
from django.conf import settings

settings.configure(ALLOWED_HOSTS=["*"], CHANNEL_LAYERS={})
django.setup()

import strawberry
from strawberry_channels import GraphQLProtocolTypeRouter


@strawberry.type
class Query:
    hello: str = "world"


application = GraphQLProtocolTypeRouter(
    strawberry.Schema(query=Query), ws_options={"max_message_size": 1000}
)
"""

# (subprotocol, frame) -> {server: expected close code}
EXPECTED = {
    (TRANSPORT_WS, "binary"): {"uvicorn": 4400, "daphne": 4400},
    (TRANSPORT_WS, "oversized"): {"uvicorn": 1009, "daphne": 4413},
    (LEGACY_WS, "binary"): {"uvicorn": 1003, "daphne": 4400},
    (LEGACY_WS, "oversized"): {"uvicorn": 1009, "daphne": 4413},
}


@pytest.fixture(scope="module", params=["uvicorn", "daphne"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> object:
    folder: Path = tmp_path_factory.mktemp(f"closecodes-{request.param}")
    (folder / "closecodes_app.py").write_text(APP)
    with run_server("closecodes_app:application", server=request.param, cwd=folder) as url:
        yield request.param, url


@pytest.mark.parametrize(("subprotocol", "frame"), list(EXPECTED))
async def test_refused_frames_close_with_a_code_the_server_can_send(
    server: tuple[str, str], subprotocol: str, frame: str
) -> None:
    kind, url = server
    async with websockets.connect(
        url.replace("http://", "ws://") + "/graphql", subprotocols=[Subprotocol(subprotocol)]
    ) as socket:
        await socket.send('{"type": "connection_init"}')
        assert "connection_ack" in await socket.recv()
        if frame == "binary":
            await socket.send(b"\x00\x01")
        else:
            await socket.send("x" * 2000)
        await socket.wait_closed()
    received = socket.protocol.close_rcvd
    assert received is not None, f"{kind}: no close frame (abnormal closure)"
    assert received.code == EXPECTED[subprotocol, frame][kind]
