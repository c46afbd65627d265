"""The ASGI application `manage.py runserver` (and any ASGI server) runs.

``GraphQLProtocolTypeRouter`` answers ``/graphql`` over HTTP and WebSockets and
hands every other HTTP request to Django. The chat room pages open WebSockets
of their own (``/ws/chat/<room>/``); those are routed next to it.
"""

# --8<-- [start:application]
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
django_asgi_app = get_asgi_application()

# Import the schema once Django is set up: resolvers may use the ORM.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from chat.routing import websocket_urlpatterns  # noqa: E402
from gqlchat.schema import schema  # noqa: E402
from strawberry_channels import GraphQLProtocolTypeRouter  # noqa: E402

graphql_app = GraphQLProtocolTypeRouter(schema, django_application=django_asgi_app)

application = ProtocolTypeRouter(
    {
        # /graphql to Strawberry, the rest to Django.
        "http": graphql_app,
        # The chat rooms' sockets, then the router (it answers /graphql).
        "websocket": URLRouter([*websocket_urlpatterns, re_path(r"^", graphql_app)]),
    }
)
# --8<-- [end:application]
