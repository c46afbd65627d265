"""Code blocks as the built site shows them: snippet includes resolved by pymdownx.snippets.

The extension runs with the options of `mkdocs.yml`, so a block read here is the text a reader
sees (and copies) on the page, not the file it was cut from.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import markdown
import yaml
from docs_blocks import DOCS, ROOT, Block


class _MkdocsLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, whose `!relative` and `!!python/name:` tags plain YAML does not know."""


_MkdocsLoader.add_constructor("!relative", lambda loader, node: str(ROOT))
_MkdocsLoader.add_multi_constructor(
    "tag:yaml.org,2002:python/name:", lambda loader, suffix, node: suffix
)


@functools.cache
def mkdocs_config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.load(
        (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_MkdocsLoader
    )
    return config


def _snippets_options() -> dict[str, Any]:
    for extension in mkdocs_config()["markdown_extensions"]:
        if isinstance(extension, dict) and "pymdownx.snippets" in extension:
            options = dict(extension["pymdownx.snippets"])
            options["base_path"] = [str(ROOT)]  # `!relative $config_dir`
            return options
    raise AssertionError("mkdocs.yml does not configure pymdownx.snippets")


def nav_pages(section: str | None = None) -> list[Path]:
    """The pages of the nav in reading order (only those under `section`, a nav title)."""

    def walk(items: list[Any], inside: bool) -> list[Path]:
        found: list[Path] = []
        for item in items:
            if isinstance(item, str):
                found += [DOCS / item] if inside else []
                continue
            for title, value in item.items():
                if isinstance(value, str):
                    found += [DOCS / value] if inside else []
                else:
                    found += walk(value, inside or title == section)
        return found

    return walk(mkdocs_config()["nav"], section is None)


def rendered(block: Block) -> str:
    """The text of ``block`` on the site: each `--8<--` line replaced by what it includes."""
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"],
        extension_configs={"pymdownx.snippets": _snippets_options()},
    )
    processor: Any = md.preprocessors["snippet"]
    lines = processor.run(block.body.splitlines())
    return "\n".join(lines).strip("\n") + "\n"
