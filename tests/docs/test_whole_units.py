"""Python blocks a reader types in are whole: every name they use is imported or defined.

The tutorial has its own, stronger test (`test_tutorial_as_read.py`). On the other pages, the
blocks of one example file are read in page order as one file (a page may show a file in
pieces: the first piece brings the imports), and that text must define or import every name it
uses (ruff's F821, undefined name). Blocks from examples' `tests/` show how something is tested
and are not typed in; they are exempt.
"""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from docs_blocks import DOCS, blocks, pages
from rendered import nav_pages, rendered

TUTORIAL = set(nav_pages("Tutorial"))
RUFF = Path(sys.executable).with_name("ruff")


def typed_files() -> dict[tuple[Path, str], str]:
    """(page, example file) -> the text of its blocks on the page, in order."""
    found: dict[tuple[Path, str], list[str]] = defaultdict(list)
    for page in pages():
        if page in TUTORIAL:
            continue
        for block in blocks(page):
            title = block.title or ""
            typed = title.startswith("examples/") and title.endswith(".py")
            if block.includes and typed and "/tests/" not in title:
                found[(page, title)].append(rendered(block))
    return {key: "\n\n".join(parts) for key, parts in found.items()}


def undefined_names(text: str) -> list[str]:
    finished = subprocess.run(
        [str(RUFF), "check", "--isolated", "--select", "F821", "--output-format", "concise",
         "--stdin-filename", "block.py", "-"],
        input=text,
        capture_output=True,
        text=True,
    )  # fmt: skip
    return [line for line in finished.stdout.splitlines() if "F821" in line]


TYPED = typed_files()


@pytest.mark.parametrize(
    "key", sorted(TYPED), ids=lambda key: f"{key[0].relative_to(DOCS)}:{key[1]}"
)
def test_blocks_of_a_file_define_every_name_they_use(key: tuple[Path, str]) -> None:
    assert RUFF.is_file(), "ruff is needed (the docs group installs it)"
    missing = undefined_names(TYPED[key])
    assert not missing, f"{key[0].relative_to(DOCS)} shows {key[1]} without: {missing}"


def test_the_check_can_fail() -> None:
    assert undefined_names("def view(request: HttpRequest) -> None: ...\n")
    assert not undefined_names("import os\n\nprint(os.sep)\n")
