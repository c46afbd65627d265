"""One ASGI application for a GraphQL endpoint next to a Django project."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import re_path

from .http_consumer import GraphQLHTTPConsumer
from .ws import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL, GraphQLWSConsumer

if TYPE_CHECKING:
    from strawberry import Schema

__all__ = ["GraphQLProtocolTypeRouter"]

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def _route(pattern: str, app: Any) -> Any:
    return re_path(pattern, app)


async def _not_found(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer what no route matched: HTTP ``404``, WebSocket close ``1000`` before accept."""
    if scope["type"] == "http":
        body = b"Not Found"
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
    elif scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1000})


class GraphQLProtocolTypeRouter(ProtocolTypeRouter):
    """Route GraphQL HTTP and WebSocket traffic to Strawberry, the rest to Django.

    HTTP requests whose path matches ``url_pattern`` go to
    :class:`~strawberry_channels.GraphQLHTTPConsumer`, WebSocket connections
    matching it to :class:`~strawberry_channels.ws.GraphQLWSConsumer`; anything
    else goes to ``django_application``, or answers ``404`` when there is none.

    Args:
        schema: the Strawberry schema to serve.
        django_application: the ASGI application for every other request
            (usually ``django.core.asgi.get_asgi_application()``).
        url_pattern: a regular expression matched against the path without its
            leading slash.
        http_consumer_class: the HTTP consumer to use (a subclass of
            ``GraphQLHTTPConsumer`` with your hooks, for example).
        ws_consumer_class: the WebSocket consumer to use.
        http_options: extra ``as_asgi()`` options for the HTTP consumer.
        ws_options: extra ``as_asgi()`` options for the WebSocket consumer.
        subscription_protocols: the WebSocket subprotocols served, most
            preferred first (see :class:`~strawberry_channels.GraphQLWSConsumer`).
        allowed_origins: origins allowed to open a WebSocket from a browser
            (``None``: same-origin only; see
            :class:`~strawberry_channels.GraphQLWSConsumer`).

    An entry of the same name in ``ws_options`` wins over
    ``subscription_protocols`` and ``allowed_origins``.
    """

    def __init__(
        self,
        schema: Schema,
        django_application: ASGIApp | None = None,
        url_pattern: str = "^graphql",
        *,
        http_consumer_class: type[GraphQLHTTPConsumer] = GraphQLHTTPConsumer,
        ws_consumer_class: type[GraphQLWSConsumer] = GraphQLWSConsumer,
        http_options: dict[str, Any] | None = None,
        ws_options: dict[str, Any] | None = None,
        subscription_protocols: Sequence[str] = (
            GRAPHQL_TRANSPORT_WS_PROTOCOL,
            GRAPHQL_WS_PROTOCOL,
        ),
        allowed_origins: Sequence[str] | None = None,
    ) -> None:
        fallback: ASGIApp = django_application if django_application is not None else _not_found
        http_app = http_consumer_class.as_asgi(schema=schema, **(http_options or {}))
        ws_settings: dict[str, Any] = {
            "subscription_protocols": tuple(subscription_protocols),
            "allowed_origins": allowed_origins,
            **(ws_options or {}),
        }
        ws_app = ws_consumer_class.as_asgi(schema=schema, **ws_settings)
        super().__init__(
            {
                "http": URLRouter([_route(url_pattern, http_app), _route("^", fallback)]),
                "websocket": URLRouter([_route(url_pattern, ws_app), _route("^", _not_found)]),
            }
        )
