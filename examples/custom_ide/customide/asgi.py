"""ASGI entry point: /graphql answers with the playground page when a browser asks."""

# ruff: noqa: E402 (the schema is imported once Django is set up)
# --8<-- [start:routing]
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "customide.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import re_path

from customide.consumers import PlaygroundHTTPConsumer
from customide.schema import schema

application = ProtocolTypeRouter(
    {
        "http": URLRouter(
            [
                re_path(r"^graphql/?$", PlaygroundHTTPConsumer.as_asgi(schema=schema)),
                re_path(r"", django_asgi_app),
            ]
        )
    }
)
# --8<-- [end:routing]
