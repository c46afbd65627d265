"""Reading the docs: fenced code blocks, snippet includes, and the example files they point at.

The rules the docs tests enforce (`tests/docs/test_docs_pages.py`):

* A fenced block is either an *include* (its lines are only `--8<-- "path"` or
  `--8<-- "path:section"` lines, and its `title="..."` names that path), or a block the
  tests run: `python` blocks are executed, `graphql` blocks are validated against an example's
  schema, `shell` blocks have every command checked. Any other language fails.
* Includes name a file under `examples/` (or elsewhere in the repository) and, optionally, a
  section marked in that file with `--8<-- [start:name]` / `--8<-- [end:name]`.
* Every Python file of an example is included by some page, except the files that are the same
  in every Django project or are not meant to be read: anything under `tests/` or `migrations/`,
  `__init__.py`, `manage.py` and `settings.py`. A settings file may still be included (section by
  section) where a page discusses settings. Every section marked in an example file is included
  by some page.
* The shell blocks of the examples' READMEs are checked like those of the docs, from the
  example's folder.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"

#: Example files that need not appear on any page (see the module docstring).
EXEMPT_NAMES = frozenset({"__init__.py", "manage.py", "settings.py", "conftest.py"})
EXEMPT_DIRS = frozenset({"tests", "migrations", "__pycache__"})

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_SNIPPET = re.compile(r'^\s*--8<--\s+"(?P<target>[^"]+)"\s*$')
_BARE_SNIPPET = re.compile(r"^\s*;?--8<--")
_SECTION = re.compile(r"--8<-- \[(?P<kind>start|end):(?P<name>[\w-]+)\]")
_TITLE = re.compile(r'title="(?P<title>[^"]*)"')
_SCHEMA_HINT = re.compile(r"<!--\s*graphql-schema:\s*(?P<example>\S+)\s+(?P<spec>\S+)\s*-->")
_MARK = re.compile(r"<!--\s*docs-test:\s*(?P<mark>[\w-]+)\s*-->")


@dataclasses.dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int  # 1-based line of the opening fence
    language: str
    info: str
    body: str
    schema_hint: tuple[str, str] | None = None
    #: Set by a `<!-- docs-test: <mark> -->` comment just before the block.
    mark: str | None = None

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def title(self) -> str | None:
        found = _TITLE.search(self.info)
        return found["title"] if found else None

    @property
    def hl_lines(self) -> str | None:
        found = re.search(r'hl_lines="(?P<lines>[^"]*)"', self.info)
        return found["lines"] if found else None

    @property
    def includes(self) -> list[str]:
        """The targets of a block made only of snippet lines; empty for any other block."""
        lines = [line for line in self.body.splitlines() if line.strip()]
        targets = [_SNIPPET.match(line) for line in lines]
        if not lines or not all(targets):
            return []
        return [found["target"] for found in targets if found]


@dataclasses.dataclass(frozen=True)
class Include:
    """One `--8<--` line of a page, inside or outside a code block."""

    page: Path
    line: int
    target: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def path(self) -> str:
        return self.target.split(":", 1)[0]

    @property
    def section(self) -> str | None:
        parts = self.target.split(":")
        return parts[1] if len(parts) == 2 else None


def pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def blocks(page: Path) -> Iterator[Block]:
    """The fenced blocks of a page, with the indentation of their fence removed."""
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    hint: tuple[str, str] | None = None
    mark: str | None = None
    while index < len(lines):
        line = lines[index]
        if found := _SCHEMA_HINT.search(line):
            hint = (found["example"], found["spec"])
        if found := _MARK.search(line):
            mark = found["mark"]
        opening = _FENCE_OPEN.match(line)
        if not opening:
            index += 1
            continue
        indent, fence, info = opening["indent"], opening["fence"], opening["info"].strip()
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        body: list[str] = []
        start = index
        index += 1
        while index < len(lines) and not closing.match(lines[index]):
            body.append(
                lines[index][len(indent) :] if lines[index].startswith(indent) else lines[index]
            )
            index += 1
        index += 1  # the closing fence
        language = info.split()[0].lstrip(".").lower() if info else ""
        language = language.split("{")[0]
        yield Block(page, start + 1, language, info, "\n".join(body) + "\n", hint, mark)
        hint = mark = None


def includes(page: Path) -> Iterator[Include]:
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if found := _SNIPPET.match(line):
            yield Include(page, number, found["target"])
        elif _BARE_SNIPPET.match(line):
            # Block-style or escaped snippet syntax: not something these tests can check.
            yield Include(page, number, f"<unsupported snippet syntax: {line.strip()}>")


def sections(path: Path) -> dict[str, tuple[int, int]]:
    """Named snippet sections of a file: name -> (start line, end line)."""
    starts: dict[str, int] = {}
    found: dict[str, tuple[int, int]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if marker := _SECTION.search(line):
            if marker["kind"] == "start":
                starts[marker["name"]] = number
            elif marker["name"] in starts:
                found[marker["name"]] = (starts.pop(marker["name"]), number)
    return found


def example_sources() -> list[Path]:
    """Python files of the examples that some page must include."""
    found = []
    for path in sorted(EXAMPLES.rglob("*.py")):
        relative = path.relative_to(EXAMPLES)
        if EXEMPT_DIRS.intersection(relative.parts[:-1]) or path.name in EXEMPT_NAMES:
            continue
        found.append(path)
    return found


def marked_files() -> list[Path]:
    """Every file under examples/ that marks snippet sections."""
    return [
        path
        for path in sorted(EXAMPLES.rglob("*"))
        if path.is_file()
        and "__pycache__" not in path.parts
        and "node_modules" not in path.parts
        and path.suffix in {".py", ".html", ".js", ".toml", ".ini", ".txt", ".cfg"}
        and "--8<-- [start:" in path.read_text(encoding="utf-8", errors="replace")
    ]


# Shell blocks ---------------------------------------------------------------------------------


def shell_commands(body: str) -> Iterator[list[str]]:
    """Split a shell block into commands (words), dropping comments, prompts and env prefixes."""
    text = body.replace("\\\n", " ")
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if line.startswith("$ "):
            line = line[2:]
        if not line or line.startswith("#"):
            continue
        words = shlex.split(line, comments=True)
        command: list[str] = []
        for word in [*words, "&&"]:
            if word in {"&&", "||", ";", "&"}:
                while command and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", command[0]):
                    command.pop(0)
                if command:
                    yield command
                command = []
            else:
                command.append(word)
