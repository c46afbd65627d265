"""Model changes and management commands reach subscribers held by another process.

A uvicorn subprocess holds the subscriptions. This test process saves an
article through the ORM (its post_save signal broadcasts it), runs
``manage.py publish_article`` and ``manage.py close_desk`` in processes of
their own, and sends a mutation to the server. (docs: broadcasts.md)
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.websockets import WebsocketsTransport
from newsroom.models import Article
from newsroom.schema import close_desk
from newsroom.signals import desk_group

from strawberry_channels.testing import run_server
from tests.conftest import ENV, PROJECT

WAIT = 20
SUBSCRIBE = """
subscription Desk($desk: String!) { articleSaved(desk: $desk) { id title created } }
"""


def manage(*args: str) -> str:
    finished = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=True,
    )
    return finished.stdout.strip()


async def members(desk: str) -> int:
    """Channels in the desk's group (channels_redis.core keeps them in a sorted set)."""
    layer: Any = get_channel_layer()
    connection = layer.connection(layer.consistent_hash(desk_group(desk)))
    count: int = await connection.zcard(layer._group_key(desk_group(desk)))
    return count


async def until_members(desk: str, count: int) -> None:
    for _ in range(WAIT * 20):
        if await members(desk) == count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the {desk} desk never had {count} subscriber(s)")


async def next_event(results: Any) -> Any:
    return (await asyncio.wait_for(anext(results), WAIT))["articleSaved"]


# --8<-- [start:test]
async def test_model_changes_reach_subscribers_in_another_process(
    redis: None, database: str
) -> None:
    with run_server("newsroom.asgi:application", cwd=PROJECT, env=ENV) as url:
        ws_url = "ws" + url.removeprefix("http") + "/graphql"
        sports = Client(transport=WebsocketsTransport(url=ws_url))
        news = Client(transport=WebsocketsTransport(url=ws_url))
        async with (
            sports as sports_session,
            news as news_session,
            contextlib.aclosing(
                sports_session.subscribe(
                    GraphQLRequest(SUBSCRIBE, variable_values={"desk": "sports"})
                )
            ) as sports_events,
            contextlib.aclosing(
                news_session.subscribe(GraphQLRequest(SUBSCRIBE, variable_values={"desk": "news"}))
            ) as news_events,
        ):
            sports_next = asyncio.ensure_future(next_event(sports_events))
            news_next = asyncio.ensure_future(next_event(news_events))
            await until_members("sports", 1)
            await until_members("news", 1)

            # A model saved in this process: post_save broadcasts it.
            article = await sync_to_async(Article.objects.create)(
                title="Final score", desk="sports"
            )
            assert await sports_next == {"id": article.pk, "title": "Final score", "created": True}

            # A management command saves one in a process of its own.
            saved = manage("publish_article", "Transfer news", "--desk", "sports")
            pk = int(saved.removeprefix("saved "))
            assert await next_event(sports_events) == {
                "id": pk,
                "title": "Transfer news",
                "created": True,
            }

            # A mutation on the server: the signal runs there.
            async with Client(transport=AIOHTTPTransport(url=f"{url}/graphql")) as http:
                reply = await http.execute(
                    GraphQLRequest('mutation { saveArticle(title: "Election night") }')
                )
            assert await news_next == {
                "id": reply["saveArticle"],
                "title": "Election night",
                "created": True,
            }

            # Closing the sports desk ends its subscription normally...
            assert manage("close_desk", "sports") == "closed sports"
            remaining = [event async for event in sports_events]
            assert remaining == []
            await until_members("sports", 0)

            # ...and leaves the news desk alone; server code may close it too.
            await sync_to_async(Article.objects.create)(title="Weather", desk="news")
            assert (await next_event(news_events))["title"] == "Weather"
            await close_desk("news")
            assert [event async for event in news_events] == []


# --8<-- [end:test]
