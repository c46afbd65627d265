"""The default IDE's assets, served by the HTTP consumer from the package (`?asset=`)."""

from __future__ import annotations

import hashlib
import json
import re
from importlib.resources import files
from typing import Any

import httpx
import pytest
from http_schema import make_schema

from strawberry_channels import GraphQLHTTPConsumer, SyncGraphQLHTTPConsumer
from strawberry_channels.ide import ide_assets

SCHEMA = make_schema()
VENDOR = files("strawberry_channels") / "static" / "vendor"


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://testserver")


def test_manifest_matches_the_files_and_names_their_licences() -> None:
    manifest = json.loads((VENDOR / "manifest.json").read_text("utf-8"))
    assert set(manifest["packages"]) == {"graphiql", "react", "react-dom"}
    for name, package in manifest["packages"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"]), name
        assert "MIT" in (VENDOR / package["license_file"]).read_text("utf-8")
    for key, entry in manifest["files"].items():
        content = (VENDOR / entry["path"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == entry["sha256"], key
        assert key.startswith(
            f"{entry['package']}@{manifest['packages'][entry['package']]['version']}/"
        )


@pytest.mark.parametrize("consumer", [GraphQLHTTPConsumer, SyncGraphQLHTTPConsumer])
async def test_the_ide_page_loads_every_asset_from_its_own_path(consumer: type[Any]) -> None:
    app = consumer.as_asgi(schema=SCHEMA)
    async with client(app) as c:
        page = (await c.get("/api/graphql/", headers={"accept": "text/html"})).text
        urls = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert urls
        assert all(url.startswith("/api/graphql/?asset=") for url in urls), urls
        assert "{asset:" not in page
        assert "{integrity:" not in page
        assert len(urls) == len(ide_assets()) == 4
        for url in urls:
            response = await c.get(url)
            assert response.status_code == 200
            name = url.split("?asset=", 1)[1]
            asset = ide_assets()[name]
            assert response.content == asset.content
            assert f'integrity="{asset.integrity}"' in page
            expected = "text/css" if name.endswith(".css") else "text/javascript"
            assert response.headers["content-type"] == f"{expected}; charset=utf-8"
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert response.headers["x-content-type-options"] == "nosniff"
            etag = response.headers["etag"]
            again = await c.get(url, headers={"if-none-match": etag})
            assert (again.status_code, again.content) == (304, b"")


@pytest.mark.parametrize(
    "name",
    [
        "manifest.json",
        "react/LICENSE",
        "graphiql/graphiql.min.js",  # a path on disk, not a manifest name
        "../ide.py",
        "graphiql@3.9.0/../../ide.py",
        "graphiql@0.0.1/graphiql.min.js",
        "",
    ],
)
async def test_only_the_manifest_names_are_served(name: str) -> None:
    async with client(GraphQLHTTPConsumer.as_asgi(schema=SCHEMA)) as c:
        response = await c.get("/graphql", params={"asset": name})
    if name:
        assert response.status_code == 404
        assert "No such IDE asset" in response.text
    else:  # an empty asset= is not an asset request: an ordinary GET without a query
        assert response.status_code == 400


async def test_no_assets_when_the_ide_is_disabled() -> None:
    name = next(iter(ide_assets()))
    async with client(GraphQLHTTPConsumer.as_asgi(schema=SCHEMA, graphql_ide=None)) as c:
        response = await c.get("/graphql", params={"asset": name})
    assert response.status_code == 404
