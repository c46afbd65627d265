"""The ASGI application `manage.py runserver` (and any ASGI server) runs.

``GraphQLProtocolTypeRouter`` answers ``/graphql`` over HTTP and WebSockets and
hands every other HTTP request to Django. The chat room pages open WebSockets
of their own (``/ws/chat/<room>/``); those are routed next to it.
"""

# ruff: noqa: E402 (the schema is imported after Django is set up)

# --8<-- [start:application]
import os

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application
from django.urls import re_path

from strawberry_channels import GraphQLProtocolTypeRouter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
django_asgi_app = get_asgi_application()

# Import the schema once Django is set up: resolvers may use the ORM.
from chat.routing import websocket_urlpatterns
from gqlchat.schema import schema

graphql_app = GraphQLProtocolTypeRouter(schema, django_application=django_asgi_app)

application = ProtocolTypeRouter(
    {
        # /graphql to Strawberry, everything else to Django.
        "http": graphql_app,
        # The chat rooms' sockets, then the router (it answers /graphql).
        "websocket": URLRouter([*websocket_urlpatterns, re_path(r"^", graphql_app)]),
    }
)
# --8<-- [end:application]
