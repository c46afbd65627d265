"""gql's AIOHTTPTransport uploads files over a real socket (GraphQL multipart request spec)."""

from __future__ import annotations

import io

import pytest
from conftest import serve
from gql import Client, FileVar, GraphQLRequest, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import TransportQueryError
from http_schema import make_schema

from strawberry_channels import GraphQLHTTPConsumer

APP = GraphQLHTTPConsumer.as_asgi(schema=make_schema(), multipart_uploads_enabled=True)


def upload_request() -> GraphQLRequest:
    request = gql("mutation Read($f: Upload!) { readFile(file: $f) }")
    request.variable_values = {"f": FileVar(io.BytesIO(b"uploaded by gql"), filename="gql.txt")}
    return request


async def test_gql_upload_with_preflight_header() -> None:
    async with serve(APP) as url:
        transport = AIOHTTPTransport(
            url=f"{url}/graphql", headers={"apollo-require-preflight": "true"}
        )
        async with Client(transport=transport) as session:
            result = await session.execute(upload_request(), upload_files=True)
    assert result == {"readFile": "uploaded by gql"}


async def test_gql_upload_without_preflight_header_is_refused() -> None:
    async with serve(APP) as url:
        transport = AIOHTTPTransport(url=f"{url}/graphql")
        async with Client(transport=transport) as session:
            with pytest.raises(TransportQueryError, match="CSRF"):
                await session.execute(upload_request(), upload_files=True)
