"""The in-browser GraphQL IDE pages served on ``GET`` with ``Accept: text/html``.

The pages live in ``static/`` as HTML templates with two kinds of placeholder:

* ``__STRAWBERRY_CHANNELS_CONFIG__``, replaced with a JSON object holding the HTTP
  endpoint path (queries and mutations) and the WebSocket endpoint path
  (subscriptions); the page turns the WebSocket path into a ``ws://`` or ``wss://``
  URL from ``window.location``;
* ``{asset:<file>}`` and ``{integrity:<file>}``, replaced with the URL of one of the
  package's own copies of the IDE's scripts and stylesheets, and its
  ``sha256-...`` subresource integrity.

GraphiQL, the default IDE, needs no network: its pinned assets (GraphiQL, React and
ReactDOM from npm, fetched by ``nox -s ide-assets``) are in ``static/vendor/`` with
their licences, listed with versions and hashes in ``static/vendor/manifest.json``.
The HTTP consumer serves them at ``<graphql path>?asset=<name>@<version>/<file>``,
and nothing else: names not in the manifest are not found. Apollo Sandbox and
Pathfinder are hosted by their vendors and load from their CDNs.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import re
from collections.abc import Callable
from importlib.resources import files
from typing import Literal
from urllib.parse import quote

from .protocols.http_planner import ASSET_PARAMETER

__all__ = [
    "GRAPHQL_IDES",
    "GraphQL_IDE",
    "IDEAsset",
    "ide_asset",
    "ide_assets",
    "ide_template",
    "render_ide_page",
]

#: The IDE names accepted by the ``graphql_ide`` option.
GraphQL_IDE = Literal["graphiql", "apollo-sandbox", "pathfinder"]
GRAPHQL_IDES: tuple[GraphQL_IDE, ...] = ("graphiql", "apollo-sandbox", "pathfinder")

PLACEHOLDER = "__STRAWBERRY_CHANNELS_CONFIG__"
_ASSET_PLACEHOLDER = re.compile(r"\{(?P<kind>asset|integrity):(?P<file>[\w.-]+)\}")


_CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}


@dataclasses.dataclass(frozen=True)
class IDEAsset:
    """One file of the IDE served by the HTTP consumer, as listed in the manifest."""

    name: str  # "<package>@<version>/<file>", the value of ?asset=
    path: str  # relative to static/vendor/
    sha256: str
    content_type: str

    @property
    def file(self) -> str:
        return self.name.rsplit("/", 1)[1]

    @property
    def integrity(self) -> str:
        """The ``integrity`` attribute value: ``sha256-<base64 digest>``."""
        return "sha256-" + base64.b64encode(bytes.fromhex(self.sha256)).decode()

    @functools.cached_property
    def content(self) -> bytes:
        return (files("strawberry_channels") / "static" / "vendor" / self.path).read_bytes()


@functools.cache
def ide_assets() -> dict[str, IDEAsset]:
    """The assets of ``static/vendor/manifest.json``, by name."""
    manifest = json.loads(
        (files("strawberry_channels") / "static" / "vendor" / "manifest.json").read_text("utf-8")
    )
    found = {}
    for name, entry in manifest["files"].items():
        suffix = "." + name.rsplit(".", 1)[-1]
        content_type = _CONTENT_TYPES.get(suffix, "application/octet-stream")
        found[name] = IDEAsset(name, entry["path"], entry["sha256"], content_type)
    return found


def ide_asset(name: str) -> IDEAsset | None:
    """The asset called ``name`` in the manifest, or None: no other file is ever served."""
    return ide_assets().get(name)


@functools.cache
def _assets_by_file() -> dict[str, IDEAsset]:
    return {asset.file: asset for asset in ide_assets().values()}


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
    """The HTML page of ``ide`` wired to ``endpoint`` and ``subscriptions_endpoint``.

    Its assets are loaded from ``endpoint`` itself (``?asset=...``).
    """
    config = encode_json({"endpoint": endpoint, "subscriptionsEndpoint": subscriptions_endpoint})
    # Inside a <script> element "</" must not appear literally.
    config = config.replace("<", "\\u003c").replace(">", "\\u003e")
    by_file = _assets_by_file()
    base = quote(endpoint, safe="/:@-._~%!$&'()*+,;=")

    def asset(found: re.Match[str]) -> str:
        known = by_file[found["file"]]  # a template naming a missing asset is a packaging bug
        if found["kind"] == "integrity":
            return known.integrity
        return f"{base}?{ASSET_PARAMETER}={quote(known.name, safe='@/')}"

    page = _ASSET_PLACEHOLDER.sub(asset, ide_template(ide))
    return page.replace(PLACEHOLDER, config)
