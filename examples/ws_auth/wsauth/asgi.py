"""ASGI entry point: HTTP to the stock consumer, WebSockets to the password-checking one."""

# ruff: noqa: E402 (the schema is imported once Django is set up)
# --8<-- [start:routing]
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wsauth.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import re_path

from strawberry_channels import GraphQLHTTPConsumer
from wsauth.consumers import PasswordWSConsumer
from wsauth.schema import schema

application = ProtocolTypeRouter(
    {
        "http": URLRouter(
            [
                re_path(r"^graphql/?$", GraphQLHTTPConsumer.as_asgi(schema=schema)),
                re_path(r"", django_asgi_app),
            ]
        ),
        "websocket": URLRouter(
            [
                re_path(
                    r"^graphql/?$",
                    PasswordWSConsumer.as_asgi(
                        schema=schema,
                        keep_alive=True,
                        keep_alive_interval=15,
                        # A front end served by a dev server on another port.
                        allowed_origins=["http://localhost:3000"],
                        max_subscriptions_per_connection=20,
                    ),
                )
            ]
        ),
    }
)
# --8<-- [end:routing]
