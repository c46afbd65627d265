"""The tutorial as a reader follows it: its blocks, typed into an empty folder, make the chat.

The tutorial pages are read in nav order and their blocks taken as the site shows them
(snippets resolved, `rendered.py`). In an empty folder the test runs the commands of the block
marked `<!-- docs-test: tutorial-start -->` (`django-admin startproject`, `startapp`, ...), then
writes every block titled `examples/chat/<path>` to `<path>`: whole files, except blocks for
`mysite/settings.py`, which the pages say to add at the end of the settings `startproject`
wrote. Blocks from `examples/chat/tests/` show the example's tests and are not typed in.

Then, in that folder: every file of the example is there and is the same code as the example's
(so a block that loses a line fails), `manage.py check` passes, and the chat example's own test
suite passes against the folder. One folder is built per run and shared by the tests here.

`PROJECT_PAGES` lists the other pages whose blocks build a project, checked the same way.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from docs_blocks import EXAMPLES, Block, blocks, shell_commands
from rendered import nav_pages, rendered

CHAT = EXAMPLES / "chat"
TUTORIAL = nav_pages("Tutorial")

#: Files of the example that the reader's folder need not reproduce, and why.
NOT_TYPED_IN = {
    "README.md": "the example's own notes",
    "pytest.ini": "the example's test configuration (copied with its tests)",
    "manage.py": "written by startproject (the same but for the docstring)",
    "mysite/settings.py": "startproject's settings plus the blocks a reader adds at the end",
}


@dataclass(frozen=True)
class Typed:
    """One block a reader writes into the project."""

    block: Block
    path: str  # relative to the project
    text: str
    append: bool


def typed_blocks(pages: list[Path], example: str) -> list[Typed]:
    prefix = f"examples/{example}/"
    found = []
    for page in pages:
        for block in blocks(page):
            title = block.title or ""
            if not block.includes or not title.startswith(prefix):
                continue
            path = title.removeprefix(prefix)
            if path.startswith("tests/"):
                continue
            found.append(Typed(block, path, rendered(block), path.endswith("settings.py")))
    return found


def start_commands(pages: list[Path]) -> list[list[str]]:
    marked = [b for page in pages for b in blocks(page) if b.mark == "tutorial-start"]
    assert len(marked) == 1, f"one tutorial-start block expected, found {len(marked)}"
    return list(shell_commands(marked[0].body))


def run_start(commands: list[list[str]], folder: Path) -> Path:
    """Run the reader's first commands in ``folder``; return the folder they end in."""
    cwd = folder
    for words in commands:
        program, arguments = words[0], words[1:]
        if program == "cd":
            cwd = (cwd / arguments[0]).resolve()
            continue
        if program == "django-admin":
            command = [sys.executable, "-m", "django", *arguments]
        elif program == "python":
            command = [sys.executable, *arguments]
        elif program in {"mkdir", "touch"}:
            command = words
        else:
            pytest.fail(f"the tutorial's start runs {program!r}, which this test does not know")
        subprocess.run(command, cwd=cwd, check=True, capture_output=True, timeout=60)
    return cwd


def type_in(typed: list[Typed], project: Path) -> None:
    for item in typed:
        target = project / item.path
        assert target.parent.is_dir(), f"{item.block.where}: no folder {target.parent.name}/ yet"
        if item.append:
            assert target.is_file(), f"{item.block.where}: adds to {item.path}, which is missing"
            with target.open("a", encoding="utf-8") as file:
                file.write("\n" + item.text)
        else:
            target.write_text(item.text, encoding="utf-8")


def example_files(example: Path) -> list[str]:
    return sorted(
        str(path.relative_to(example))
        for path in example.rglob("*")
        if path.is_file()
        and not {"tests", "__pycache__"} & set(path.relative_to(example).parts)
        and not any(part.startswith(".") for part in path.relative_to(example).parts)
        and path.suffix not in {".pyc", ".sqlite3"}
    )


def same_code(reader: str, example: str) -> bool:
    """Same Python code, module docstrings and comments aside."""

    def tree(text: str) -> str:
        module = ast.parse(text)
        body = module.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        return ast.dump(ast.Module(body=body, type_ignores=[]))

    return tree(reader) == tree(example)


def differences(project: Path, example: Path) -> list[str]:
    problems = []
    for relative in example_files(example):
        if relative in NOT_TYPED_IN:
            continue
        mine, theirs = project / relative, example / relative
        if not mine.is_file():
            problems.append(f"{relative}: no page shows it")
            continue
        if relative.endswith(".py"):
            original = theirs.read_text(encoding="utf-8")
            if relative.endswith("__init__.py") and not ast.parse(original).body[1:]:
                continue  # a package marker: an empty file is the same
            if not same_code(mine.read_text(encoding="utf-8"), original):
                problems.append(f"{relative}: the pages show different code than the example")
        elif mine.read_text(encoding="utf-8").strip() != theirs.read_text(encoding="utf-8").strip():
            problems.append(f"{relative}: the pages show a different file than the example")
    return problems


def environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["REDIS_URL"] = ""
    env.pop("PYTHONPATH", None)
    return env


@pytest.fixture(scope="module")
def tutorial_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder a reader ends the tutorial with (built once per test run)."""
    folder = tmp_path_factory.mktemp("reader")
    project = run_start(start_commands(TUTORIAL), folder)
    type_in(typed_blocks(TUTORIAL, "chat"), project)
    return project


def test_the_tutorial_pages_are_read_in_nav_order() -> None:
    assert [page.name for page in TUTORIAL[:2]] == ["index.md", "types.md"]
    assert TUTORIAL[-1].name == "confirming.md"
    assert len(typed_blocks(TUTORIAL, "chat")) > 10


def test_every_example_file_is_typed_in_as_the_example_has_it(tutorial_project: Path) -> None:
    problems = differences(tutorial_project, CHAT)
    assert not problems, "\n".join(problems)


def test_manage_py_check_passes(tutorial_project: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=tutorial_project,
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr


def test_the_chat_examples_tests_pass_against_the_readers_project(tutorial_project: Path) -> None:
    shutil.copytree(CHAT / "tests", tutorial_project / "tests", dirs_exist_ok=True)
    shutil.copy(CHAT / "pytest.ini", tutorial_project / "pytest.ini")
    # The IDE's browser test checks the package's pages, not what the tutorial typed in.
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
         "--ignore=tests/test_ide_browser.py"],
        cwd=tutorial_project,
        capture_output=True,
        text=True,
        env=environment(),
        timeout=600,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stdout[-6000:] + finished.stderr[-3000:]


def test_a_block_that_loses_a_line_fails(tmp_path: Path) -> None:
    """What the checks above catch: a block without one of its imports."""
    typed = typed_blocks(TUTORIAL, "chat")
    views = next(item for item in typed if item.path == "chat/views.py")
    shortened = "\n".join(
        line for line in views.text.splitlines() if not line.startswith("from django.http")
    )
    assert shortened != views.text
    project = run_start(start_commands(TUTORIAL), tmp_path)
    type_in(
        [*typed[: typed.index(views)], Typed(views.block, views.path, shortened, False)], project
    )
    assert any(problem.startswith("chat/views.py") for problem in differences(project, CHAT))
