"""An HTTP consumer that serves its own page instead of the bundled IDEs."""

# --8<-- [start:consumer]
from __future__ import annotations

from django.template.loader import render_to_string

from strawberry_channels import ChannelsRequest, ChannelsResponse, GraphQLHTTPConsumer


class PlaygroundHTTPConsumer(GraphQLHTTPConsumer):
    async def render_graphql_ide(self, request: ChannelsRequest) -> ChannelsResponse:
        page = render_to_string(
            "customide/playground.html",
            {"endpoint": request.consumer.scope["path"], "title": "Bookshelf playground"},
        )
        return ChannelsResponse(content=page.encode(), content_type="text/html; charset=utf-8")


# --8<-- [end:consumer]
