"""Each page names the example project it comes from, and each example's README names its pages.

The rules, simple enough for new pages to follow:

* The first line after a page's `# Title` starts with `*Example project:` and names the
  examples it shows, as `examples/<name>` (a link to the folder on GitHub), separated by
  commas; a page that shows none says `*Example project: none*` (a reason may follow).
* A page names every example it includes snippets from.
* Each `examples/<name>/README.md` names, as `docs/<page>.md`, exactly the pages that name
  `examples/<name>`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docs_blocks import DOCS, EXAMPLES, ROOT, includes, pages

#: Pages another part of the repository keeps, exempt from the line, and why.
EXEMPT = {
    "performance.md": "written from the benchmark results (benchmarks/), not from an example",
}

_LINE = re.compile(r"^\*Example projects?: (?P<names>.+)\*$")
_EXAMPLE = re.compile(r"`examples/(?P<name>[\w-]+)`")


def declared(page: Path) -> set[str] | None:
    """The examples a page names under its title; None when the line is missing."""
    lines = [line for line in page.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].startswith("# "):
        return None
    found = _LINE.match(lines[1].strip())
    if not found:
        return None
    names = {match["name"] for match in _EXAMPLE.finditer(found["names"])}
    if not names and not found["names"].startswith("none"):
        return None
    return names


def readme_pages(example: Path) -> set[str]:
    text = (example / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"docs/([\w/.-]+\.md)", text))


DOC_PAGES = [page for page in pages() if str(page.relative_to(DOCS)) not in EXEMPT]
EXAMPLE_DIRS = sorted(path for path in EXAMPLES.iterdir() if (path / "README.md").is_file())


@pytest.mark.parametrize("page", DOC_PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_page_names_its_example_projects(page: Path) -> None:
    names = declared(page)
    assert names is not None, (
        f"{page.relative_to(ROOT)}: put `*Example project: `examples/<name>`*` (or "
        "`*Example project: none*`) on the line after the title"
    )
    for name in names:
        assert (EXAMPLES / name).is_dir(), f"{page.relative_to(ROOT)} names missing examples/{name}"
    shown = {i.path.split("/")[1] for i in includes(page) if i.path.startswith("examples/")}
    assert shown <= names, (
        f"{page.relative_to(ROOT)} shows examples it does not name: {shown - names}"
    )


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=lambda p: p.name)
def test_readme_names_the_pages_that_name_the_example(example: Path) -> None:
    naming = {
        str(page.relative_to(DOCS)) for page in DOC_PAGES if example.name in (declared(page) or ())
    }
    listed = readme_pages(example)
    assert listed == naming, (
        f"examples/{example.name}/README.md names {sorted(listed)}; "
        f"the pages naming examples/{example.name} are {sorted(naming)}"
    )


def test_the_rules_can_fail(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n\nNo line here.\n", encoding="utf-8")
    assert declared(page) is None
    page.write_text("# Title\n\n*Example project: somewhere*\n", encoding="utf-8")
    assert declared(page) is None
    page.write_text("# Title\n\n*Example project: none*\n", encoding="utf-8")
    assert declared(page) == set()
    page.write_text("# T\n\n*Example project: [`examples/a`](x), [`examples/b`](y)*\n", "utf-8")
    assert declared(page) == {"a", "b"}
