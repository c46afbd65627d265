"""ASGI entry point: one HTTP consumer with every HTTP option switched on."""

# ruff: noqa: E402 (the schema is imported once Django is set up)
# --8<-- [start:consumer]
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "httpoptions.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import re_path

from httpoptions.schema import schema
from strawberry_channels import GraphQLHTTPConsumer

graphql_http = GraphQLHTTPConsumer.as_asgi(
    schema=schema,
    graphql_ide="graphiql",
    allow_queries_via_get=True,
    multipart_uploads_enabled=True,
    max_upload_size=1024 * 1024,
    subscription_protocols=("sse", "multipart"),
    heartbeat_interval=15.0,
)

application = ProtocolTypeRouter(
    {"http": URLRouter([re_path(r"^graphql/?$", graphql_http), re_path(r"", django_asgi_app)])}
)
# --8<-- [end:consumer]
