"""The ASGI application: GraphQL at /graphql over HTTP and WebSockets."""

# ruff: noqa: E402 (the schema is imported after Django is set up)

import os

from django.core.asgi import get_asgi_application

from strawberry_channels import GraphQLProtocolTypeRouter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
django_asgi_app = get_asgi_application()

from newsroom.schema import schema

application = GraphQLProtocolTypeRouter(schema, django_application=django_asgi_app)
