"""A variant of asgi.py that builds the protocol router by hand.

Use ``DJANGO_SETTINGS_MODULE=mysite.settings daphne mysite.asgi_custom:application``
(or set ``ASGI_APPLICATION`` to it) to serve it. Compared with ``asgi.py`` it wraps
both GraphQL consumers in Channels' ``AuthMiddlewareStack``, so resolvers find the
Django user and session in the connection's scope.
"""

# ruff: noqa: E402 (the schema is imported after Django is set up)

# --8<-- [start:application]
import os

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application
from django.urls import re_path

from strawberry_channels import GraphQLHTTPConsumer, GraphQLWSConsumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
django_asgi_app = get_asgi_application()

# Import the schema once Django is set up: resolvers may use the ORM.
from chat import routing
from gqlchat.schema import schema

gql_http_consumer = AuthMiddlewareStack(GraphQLHTTPConsumer.as_asgi(schema=schema))
gql_ws_consumer = GraphQLWSConsumer.as_asgi(schema=schema)

websocket_urlpatterns = [
    *routing.websocket_urlpatterns,
    re_path(r"^graphql", gql_ws_consumer),
]

application = ProtocolTypeRouter(
    {
        "http": URLRouter(
            [
                re_path(r"^graphql", gql_http_consumer),
                re_path(r"^", django_asgi_app),  # everything else: the Django views
            ]
        ),
        "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
    }
)
# --8<-- [end:application]
