"""Griffe extension: render Sphinx cross-reference roles in docstrings as inline code.

The package's docstrings use roles such as ``:class:`~strawberry_channels.ChannelsConsumer```,
which Markdown would show literally. This turns each into a code span: the last component of
the target when it starts with ``~`` (as Sphinx displays it), the whole target otherwise.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|data|mod|exc|obj|const):`(?P<target>[^`]+)`")


def _code_span(found: re.Match[str]) -> str:
    target = found["target"].strip()
    if target.startswith("~"):
        target = target[1:].rsplit(".", 1)[-1]
    return f"`{target}`"


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring once it is loaded."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(_code_span, obj.docstring.value)
