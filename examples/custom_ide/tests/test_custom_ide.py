"""The overridden render_graphql_ide: browsers get the playground, clients still get GraphQL."""

from __future__ import annotations

import json
from typing import Any

import httpx
from channels.testing import HttpCommunicator
from customide.asgi import application
from gql import Client, gql
from gql.transport.aiohttp import AIOHTTPTransport


async def get(path: str, accept: str) -> dict[str, Any]:
    communicator = HttpCommunicator(
        application, "GET", path, headers=[(b"accept", accept.encode())]
    )
    return dict(await communicator.get_response())


async def test_browser_gets_the_playground_page() -> None:
    response = await get("/graphql", "text/html,application/xhtml+xml,*/*;q=0.8")
    assert response["status"] == 200
    headers = {k.decode().lower(): v.decode() for k, v in response["headers"]}
    assert headers["content-type"].startswith("text/html")
    page = response["body"].decode()
    assert "<title>Bookshelf playground</title>" in page
    assert 'fetch("/graphql"' in page
    assert "8<" not in page  # the docs' section markers are template comments


async def test_queries_over_get_still_answer_json() -> None:
    response = await get(
        "/graphql?query=%7B%20books%20%7B%20author%20%7D%20%7D", "application/json"
    )
    assert response["status"] == 200
    assert json.loads(response["body"]) == {
        "data": {"books": [{"author": "Ursula K. Le Guin"}, {"author": "Octavia E. Butler"}]}
    }


async def test_live_server(live_server: str) -> None:
    async with httpx.AsyncClient() as http:
        page = await http.get(f"{live_server}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "Bookshelf playground" in page.text

    async with Client(transport=AIOHTTPTransport(url=f"{live_server}/graphql")) as session:
        result = await session.execute(gql("{ books { title } }"))
    assert result == {"books": [{"title": "The Left Hand of Darkness"}, {"title": "Kindred"}]}
