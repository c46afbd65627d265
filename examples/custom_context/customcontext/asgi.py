"""ASGI entry point: both GraphQL consumers behind Channels' AuthMiddlewareStack."""

# ruff: noqa: E402 (the schema is imported once Django is set up)
# --8<-- [start:routing]
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "customcontext.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import re_path

from customcontext.consumers import ContextHTTPConsumer, ContextWSConsumer
from customcontext.schema import schema
from customcontext.sync_api import sync_schema
from strawberry_channels import SyncGraphQLHTTPConsumer

application = ProtocolTypeRouter(
    {
        "http": AuthMiddlewareStack(
            URLRouter(
                [
                    re_path(r"^graphql/?$", ContextHTTPConsumer.as_asgi(schema=schema)),
                    re_path(
                        r"^graphql/sync/?$",
                        SyncGraphQLHTTPConsumer.as_asgi(schema=sync_schema, graphql_ide=None),
                    ),
                    re_path(r"", django_asgi_app),
                ]
            )
        ),
        "websocket": AuthMiddlewareStack(
            URLRouter([re_path(r"^graphql/?$", ContextWSConsumer.as_asgi(schema=schema))])
        ),
    }
)
# --8<-- [end:routing]
