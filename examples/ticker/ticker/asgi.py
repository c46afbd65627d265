"""ASGI entry point: GraphQL over HTTP and WebSockets, and a tenant-aware WebSocket path."""

# ruff: noqa: E402 (the schema is imported once Django is set up)
# --8<-- [start:routing]
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticker.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import re_path

from strawberry_channels import (
    GraphQLHTTPConsumer,
    GraphQLWSConsumer,
    disable_shared_subscriptions,
)
from ticker.consumers import TenantWSConsumer
from ticker.schema import schema

application = ProtocolTypeRouter(
    {
        "http": URLRouter(
            [
                re_path(
                    r"^graphql/?$",
                    # Subscriptions over Server-Sent Events and multipart HTTP too.
                    GraphQLHTTPConsumer.as_asgi(
                        schema=schema, subscription_protocols=("sse", "multipart")
                    ),
                ),
                re_path(r"", django_asgi_app),
            ]
        ),
        "websocket": URLRouter(
            [
                # Shares with everyone (the default shared_key).
                re_path(r"^graphql/?$", GraphQLWSConsumer.as_asgi(schema=schema)),
                # Shares within a tenant only.
                re_path(r"^tenants/graphql/?$", TenantWSConsumer.as_asgi(schema=schema)),
            ]
        ),
    }
)
# --8<-- [end:routing]

# --8<-- [start:switch]
if os.environ.get("TICKER_SHARING") == "off":
    disable_shared_subscriptions(schema)  # every subscription runs unshared
# --8<-- [end:switch]
