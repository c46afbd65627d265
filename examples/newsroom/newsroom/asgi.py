"""The ASGI application: GraphQL at /graphql over HTTP and WebSockets, 404 elsewhere."""

# ruff: noqa: E402 (the schema is imported after Django is set up)

# --8<-- [start:application]
import os

import django

from strawberry_channels import GraphQLProtocolTypeRouter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
django.setup()  # loads the apps, so NewsroomConfig.ready() connects the signal

from newsroom.schema import schema

application = GraphQLProtocolTypeRouter(schema)
# --8<-- [end:application]
