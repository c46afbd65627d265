"""channels_redis through Redis Sentinel: a master, a replica and a sentinel of the test's own.

The layers find the master through the sentinel (``hosts=[{"sentinels": [...],
"master_name": ...}]``); when the master dies and the sentinel promotes the
replica, the core layer's subscriptions end with ``CHANNEL_LAYER_UNAVAILABLE``
and subscribing again reaches the new master. The sentinel is
``redis-server --sentinel``, the binary Debian's ``redis-sentinel`` package
links to.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
import redis.asyncio
from scaleout_helpers import (
    LISTEN,
    PUBLISH,
    WAIT,
    RedisServer,
    Subscriber,
    graphql,
    servers,
    unique,
)
from test_redis_faults import assert_unavailable

MASTER = "scmaster"


class Sentinel(RedisServer):
    """``redis-server sentinel.conf --sentinel`` watching ``master_port``."""

    def __init__(self, tmp: Path, master_port: int) -> None:
        super().__init__(tmp)
        self.master_port = master_port

    def start(self, *extra: str) -> None:
        config = self.tmp / "sentinel.conf"
        config.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.tmp}\n"
            f"sentinel monitor {MASTER} 127.0.0.1 {self.master_port} 1\n"
            f"sentinel down-after-milliseconds {MASTER} 500\n"
            f"sentinel failover-timeout {MASTER} 2000\n"
        )
        self.process = subprocess.Popen(
            [self.binary, str(config), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        from scaleout_helpers import wait_for_port

        wait_for_port(self.port, self.process)


async def resubscribe(subscriber: Subscriber, group: str) -> None:
    payload = {"query": LISTEN, "variables": {"groups": [group]}}
    for attempt in range(WAIT * 5):
        id = f"retry-{attempt}"
        await subscriber.send({"type": "subscribe", "id": id, "payload": payload})
        message = await subscriber.receive()
        if message == {"type": "next", "id": id, "payload": {"data": {"listen": None}}}:
            return
        assert_unavailable(message, id=id)
        if message["type"] == "next":
            assert await subscriber.receive() == {"type": "complete", "id": id}
        await asyncio.sleep(0.2)
    raise AssertionError("never subscribed again after the failover")


@pytest.mark.parametrize("layer", ["redis-sentinel"])
async def test_sentinel_configuration_and_failover(tmp_path: Path, layer: str) -> None:
    group, prefix = unique("room"), unique("sc-sentinel")
    (tmp_path / "master").mkdir()
    (tmp_path / "replica").mkdir()
    (tmp_path / "sentinel").mkdir()
    master = RedisServer(tmp_path / "master")
    replica = RedisServer(tmp_path / "replica")
    master.start()
    replica.start("--replicaof", "127.0.0.1", str(master.port))
    sentinel = Sentinel(tmp_path / "sentinel", master.port)
    sentinel.start()
    try:
        url = f"127.0.0.1:{sentinel.port}"
        env = {"SC_PREFIX": prefix, "SC_SENTINEL_MASTER": MASTER}
        with servers(layer, url, "uvicorn", "daphne", **env) as (a, b):
            async with Subscriber(a) as on_a, Subscriber(b) as on_b:
                await on_a.listen(group)
                await on_b.listen(group)
                await graphql(b, PUBLISH, group=group, text="through the sentinel")
                assert await on_a.next_text() == "through the sentinel"
                assert await on_b.next_text() == "through the sentinel"
                # The group lives on the master the sentinel named.
                direct = redis.asyncio.Redis(port=master.port)
                try:
                    assert await direct.zcard(f"{prefix}:group:{group}") == 2
                finally:
                    await direct.aclose()

                master.stop()  # the sentinel promotes the replica
                for subscriber in (on_a, on_b):
                    assert_unavailable(await subscriber.receive(timeout=WAIT))
                    assert await subscriber.receive() == {"type": "complete", "id": "1"}
                watcher = redis.asyncio.Redis(port=sentinel.port)
                try:
                    for _ in range(WAIT * 10):
                        address = await watcher.execute_command(  # type: ignore[no-untyped-call]
                            "SENTINEL", "get-master-addr-by-name", MASTER
                        )
                        if int(address[1]) == replica.port:
                            break
                        await asyncio.sleep(0.1)
                    else:
                        raise AssertionError("the sentinel never promoted the replica")
                finally:
                    await watcher.aclose()
                # Subscribing again reaches the new master, once it has taken
                # the role (a client retries with a back-off, as here).
                await resubscribe(on_a, group)
                await resubscribe(on_b, group)
                await graphql(a, PUBLISH, group=group, text="after the failover")
                assert await on_a.next_text() == "after the failover"
                assert await on_b.next_text() == "after the failover"
    finally:
        sentinel.stop()
        replica.stop()
        master.stop()
