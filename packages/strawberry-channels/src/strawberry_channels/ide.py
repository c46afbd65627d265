"""The in-browser GraphQL IDE pages served on ``GET`` with ``Accept: text/html``.

The pages live in ``static/`` as HTML templates. Each has one placeholder,
``__STRAWBERRY_CHANNELS_CONFIG__``, replaced with a JSON object holding the
HTTP endpoint path (queries and mutations) and the WebSocket endpoint path
(subscriptions); the page turns the WebSocket path into a ``ws://`` or
``wss://`` URL from ``window.location``. The IDE's scripts are loaded from a
CDN by the browser.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib.resources import files
from typing import Literal

__all__ = ["GRAPHQL_IDES", "GraphQL_IDE", "ide_template", "render_ide_page"]

#: The IDE names accepted by the ``graphql_ide`` option.
GraphQL_IDE = Literal["graphiql", "apollo-sandbox", "pathfinder"]
GRAPHQL_IDES: tuple[GraphQL_IDE, ...] = ("graphiql", "apollo-sandbox", "pathfinder")

PLACEHOLDER = "__STRAWBERRY_CHANNELS_CONFIG__"


@functools.cache
def ide_template(ide: GraphQL_IDE) -> str:
    """The raw HTML template of ``ide`` (read once, then cached)."""
    if ide not in GRAPHQL_IDES:
        raise ValueError(f"unknown GraphQL IDE {ide!r}: use one of {', '.join(GRAPHQL_IDES)}")
    return (files("strawberry_channels") / "static" / f"{ide}.html").read_text("utf-8")


def render_ide_page(
    ide: GraphQL_IDE,
    *,
    endpoint: str,
    subscriptions_endpoint: str,
    encode_json: Callable[[object], str],
) -> str:
    """The HTML page of ``ide`` wired to ``endpoint`` and ``subscriptions_endpoint``."""
    config = encode_json({"endpoint": endpoint, "subscriptionsEndpoint": subscriptions_endpoint})
    # Inside a <script> element "</" must not appear literally.
    config = config.replace("<", "\\u003c").replace(">", "\\u003e")
    return ide_template(ide).replace(PLACEHOLDER, config)
