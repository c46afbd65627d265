"""Every code block of the docs is included from an example or run here.

The rules are listed in `docs_blocks.py`. These tests check the wiring between `docs/` and
`examples/` and run the standalone blocks; each example's own tests run in `nox -s examples`.
"""

from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest
from docs_blocks import (
    DOCS,
    EXAMPLES,
    ROOT,
    Block,
    blocks,
    example_sources,
    includes,
    marked_files,
    pages,
    sections,
    shell_commands,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib
from graphql import build_schema, parse, validate

ALL_BLOCKS = [block for page in pages() for block in blocks(page)]
ALL_INCLUDES = [include for page in pages() for include in includes(page)]
INCLUDED = {(include.path, include.section) for include in ALL_INCLUDES}

#: Which example schema the `graphql` blocks of a page are validated against. A page may name
#: another one just before a block with `<!-- graphql-schema: examples/<name> module:attribute -->`.
GRAPHQL_SCHEMAS = {
    "tutorial/": ("examples/chat", "gqlchat.schema:schema"),
    "testing.md": ("examples/chat", "gqlchat.schema:schema"),
    "index.md": ("examples/chat", "gqlchat.schema:schema"),
    "http.md": ("examples/http_options", "httpoptions.schema:schema"),
    "websockets.md": ("examples/ws_auth", "wsauth.schema:schema"),
    "custom-context.md": ("examples/custom_context", "customcontext.schema:schema"),
    "shared-subscriptions.md": ("examples/ticker", "ticker.schema:schema"),
}

#: Commands that shell blocks may show but these tests do not run or check, and why.
NOT_EXECUTED = {
    "curl": "talks to a server the reader started; the example tests make the same requests",
    "redis-server": "a service the reader runs; the tests use the Redis at 127.0.0.1:6379",
    "docker": "starts a service container; not available in every environment",
    "npm": "installs the JavaScript clients of tests/node, checked by their lockfile",
    "git": "a clone of this repository is where the docs tests run",
}

LANGUAGES = {"python", "graphql", "shell", "bash", "sh", "console"}


def block_id(block: Block) -> str:
    return f"{block.page.relative_to(DOCS)}:{block.line}"


def include_id(include: object) -> str:
    return getattr(include, "where", "?")


# Includes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("include", ALL_INCLUDES, ids=include_id)
def test_include_points_at_an_existing_file_and_section(include: object) -> None:
    target: str = include.target  # type: ignore[attr-defined]
    assert not target.startswith("<unsupported"), f"{include_id(include)}: {target}"
    parts = target.split(":")
    assert len(parts) <= 2, f"{include_id(include)}: include a named section, not line numbers"
    path = ROOT / parts[0]
    assert path.is_file(), f"{include_id(include)}: no file {parts[0]}"
    if len(parts) == 2:
        assert parts[1] in sections(path), f"{include_id(include)}: no section {parts[1]!r}"


def test_there_are_includes_and_blocks() -> None:
    assert len(ALL_INCLUDES) > 20
    assert len(ALL_BLOCKS) > 20


@pytest.mark.parametrize("source", example_sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_file_is_shown_on_a_page(source: Path) -> None:
    relative = str(source.relative_to(ROOT))
    assert any(path == relative for path, _ in INCLUDED), f"no page includes {relative}"


@pytest.mark.parametrize("marked", marked_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_marked_section_is_shown_on_a_page(marked: Path) -> None:
    relative = str(marked.relative_to(ROOT))
    unused = sorted(name for name in sections(marked) if (relative, name) not in INCLUDED)
    assert not unused, f"sections of {relative} no page includes: {unused}"


@pytest.mark.parametrize(
    "example", sorted(p for p in EXAMPLES.iterdir() if p.is_dir()), ids=lambda p: p.name
)
def test_example_project_layout(example: Path) -> None:
    readme = example / "README.md"
    assert readme.is_file(), f"{example.name} has no README.md"
    assert (example / "tests").is_dir(), f"{example.name} has no tests/"
    assert (example / "pytest.ini").is_file() or (example / "pyproject.toml").is_file()
    linked = re.findall(r"docs/([\w/.-]+\.md)", readme.read_text(encoding="utf-8"))
    assert linked, f"{readme.relative_to(ROOT)} names no docs page"
    for page in linked:
        assert (DOCS / page).is_file(), f"{readme.relative_to(ROOT)} names missing docs/{page}"
    assert any(include.path.startswith(f"examples/{example.name}/") for include in ALL_INCLUDES), (
        f"no page includes anything from examples/{example.name}"
    )


# Blocks -------------------------------------------------------------------------------------


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=block_id)
def test_block_is_included_or_runnable(block: Block) -> None:
    targets = block.includes
    if targets:
        files = {target.split(":")[0] for target in targets}
        assert len(files) == 1, f"{block.where}: the includes of a block name one file"
        assert block.title == targets[0].split(":")[0], (
            f'{block.where}: give the block title="{targets[0].split(":")[0]}"'
        )
        return
    assert "--8<--" not in block.body, f"{block.where}: a block mixes an include with other code"
    assert block.language in LANGUAGES, (
        f"{block.where}: a {block.language or 'plain'} block is neither an include nor run by the "
        "docs tests: include it from an example or make it a python/graphql/shell block"
    )


PYTHON_BLOCKS = [b for b in ALL_BLOCKS if b.language == "python" and not b.includes]
GRAPHQL_BLOCKS = [b for b in ALL_BLOCKS if b.language == "graphql" and not b.includes]
#: Shell blocks the tutorial tests (`test_tutorial_as_read.py`) run instead of checking.
RUN_BY_TUTORIAL_TESTS = {"tutorial-start"}
SHELL_BLOCKS = [
    b
    for b in ALL_BLOCKS
    if b.language in {"shell", "bash", "sh", "console"}
    and not b.includes
    and b.mark not in RUN_BY_TUTORIAL_TESTS
]


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=block_id)
def test_python_block_runs(block: Block, tmp_path: Path) -> None:
    script = tmp_path / "block.py"
    script.write_text(block.body, encoding="utf-8")
    finished = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, f"{block.where} failed:\n{finished.stderr}"
    expected = [line.split("#>", 1)[1].strip() for line in block.body.splitlines() if "#>" in line]
    if expected:
        printed = [line.strip() for line in finished.stdout.splitlines()]
        assert printed == expected, f"{block.where}: printed output differs from its #> lines"


@functools.cache
def example_schema_sdl(example: str, spec: str) -> str:
    finished = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("schema_sdl.py")), example, spec],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, f"loading {spec} from {example}:\n{finished.stderr}"
    return finished.stdout


def schema_for(block: Block) -> tuple[str, str]:
    if block.schema_hint:
        return block.schema_hint
    page = str(block.page.relative_to(DOCS))
    for prefix, schema in GRAPHQL_SCHEMAS.items():
        if page.startswith(prefix):
            return schema
    pytest.fail(
        f"{block.where}: no schema for graphql blocks of {page}; add one to GRAPHQL_SCHEMAS"
    )


@pytest.mark.parametrize("block", GRAPHQL_BLOCKS, ids=block_id)
def test_graphql_block_validates_against_the_example_schema(block: Block) -> None:
    example, spec = schema_for(block)
    schema = build_schema(example_schema_sdl(example, spec))
    errors = validate(schema, parse(block.body))
    assert not errors, f"{block.where} against {example} {spec}: {[e.message for e in errors]}"


@functools.cache
def nox_sessions() -> frozenset[str]:
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = call.func if call else decorator
            if ast.unparse(target) != "nox.session":
                continue
            name = node.name
            for keyword in call.keywords if call else []:
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    name = str(keyword.value.value)
            names.add(name)
    return frozenset(names)


def _normalise(requirement: str) -> tuple[str, set[str]]:
    found = re.match(r"^([A-Za-z0-9_.-]+)(?:\[([^\]]*)\])?", requirement)
    assert found, requirement
    extras = {e.strip() for e in (found[2] or "").split(",") if e.strip()}
    return re.sub(r"[-_.]+", "-", found[1]).lower(), extras


@functools.cache
def known_requirements() -> dict[str, set[str]]:
    """Distribution name -> extras, from the package's and the repository's pyproject files."""
    package = tomllib.loads(
        (ROOT / "packages/strawberry-channels/pyproject.toml").read_text(encoding="utf-8")
    )
    root = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    known: dict[str, set[str]] = {
        "strawberry-channels": set(package["project"].get("optional-dependencies", {}))
    }
    requirements = list(package["project"]["dependencies"])
    for extra in package["project"].get("optional-dependencies", {}).values():
        requirements.extend(extra)
    for group in root.get("dependency-groups", {}).values():
        requirements.extend(item for item in group if isinstance(item, str))
    for requirement in requirements:
        name, extras = _normalise(requirement)
        known.setdefault(name, set()).update(extras)
    known.setdefault("nox", set())
    known.setdefault("uv", set())
    return known


def _local_requirement(requirement: str, cwd: Path, where: str) -> str:
    """`./packages/<dir>[extras]` or `dist/<wheel>[extras]` as `<name>[extras]`."""
    path, _, extras = requirement.partition("[")
    extras = f"[{extras}" if extras else ""
    package = tomllib.loads(
        (ROOT / "packages/strawberry-channels/pyproject.toml").read_text(encoding="utf-8")
    )["project"]
    if path.startswith("dist/"):
        # Made by `nox -s build`: the wheel of the package's current version.
        wheel = f"dist/{package['name'].replace('-', '_')}-{package['version']}-py3-none-any.whl"
        assert cwd == ROOT, f"{where}: {path} is relative to the repository's root"
        assert path == wheel, f"{where}: `nox -s build` makes {wheel}, not {path}"
        assert "build" in nox_sessions()
        return f"{package['name']}{extras}"
    folder = (cwd / path).resolve()
    assert (folder / "pyproject.toml").is_file(), f"{where}: no Python project at {path}"
    name = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return f"{name['name']}{extras}"


def check_command(words: list[str], cwd: Path, where: str) -> Path:
    """Check one shell command; return the working directory after it."""
    program = words[0]
    if program == "cd":
        target = (cwd / words[1]).resolve()
        assert target.is_dir(), f"{where}: no directory {words[1]}"
        return target
    if program == "nox":
        chosen = []
        for index, word in enumerate(words):
            if word in {"-s", "--session", "--sessions"}:
                for name in words[index + 1 :]:
                    if name.startswith("-"):
                        break
                    chosen.append(name)
        for name in chosen:
            assert name in nox_sessions(), f"{where}: no nox session {name!r}"
        return cwd
    if program in {"pip", "uv"} or words[:3] == ["python", "-m", "pip"]:
        arguments = words[words.index("install") + 1 :]
        for requirement in arguments:
            if requirement.startswith("-"):
                continue
            if requirement.startswith(("./", "dist/")):
                requirement = _local_requirement(requirement, cwd, where)
            name, extras = _normalise(requirement)
            known = known_requirements()
            assert name in known, f"{where}: {name} is not a dependency of the project"
            assert extras <= known[name], f"{where}: {name} has no extras {extras - known[name]}"
        return cwd
    if program == "pytest":
        assert (cwd / "pytest.ini").is_file() or (cwd / "pyproject.toml").is_file(), (
            f"{where}: no pytest configuration in {cwd.relative_to(ROOT)}"
        )
        for word in words[1:]:
            if not word.startswith("-"):
                assert (cwd / word.split("::")[0]).exists(), f"{where}: no {word}"
        return cwd
    if program == "python" and len(words) > 1 and words[1] == "manage.py":
        assert (cwd / "manage.py").is_file(), f"{where}: no manage.py in {cwd.relative_to(ROOT)}"
        return cwd
    if program in {"uvicorn", "daphne", "gunicorn"}:
        apps = [w for w in words[1:] if re.fullmatch(r"[\w.]+:[\w.]+", w)]
        assert apps, f"{where}: {program} without an application"
        module = apps[0].split(":")[0].replace(".", "/")
        assert (cwd / f"{module}.py").is_file(), (
            f"{where}: no {module}.py in {cwd.relative_to(ROOT)}"
        )
        for word in words:
            if word.startswith("uvicorn.workers"):
                assert "uvicorn" in known_requirements()
        return cwd
    assert program in NOT_EXECUTED, (
        f"{where}: the docs tests do not know how to check {program!r}; "
        "add it to NOT_EXECUTED with a reason, or check it here"
    )
    return cwd


@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=block_id)
def test_shell_block_names_things_that_exist(block: Block) -> None:
    cwd = ROOT
    commands = list(shell_commands(block.body))
    assert commands, f"{block.where}: an empty shell block"
    for words in commands:
        cwd = check_command(words, cwd, block.where)


def test_nav_lists_every_page() -> None:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r"([\w/-]+\.md)\s*$", text, flags=re.MULTILINE))
    on_disk = {str(page.relative_to(DOCS)) for page in pages()}
    assert on_disk <= listed, f"pages missing from the nav: {sorted(on_disk - listed)}"
    assert listed <= on_disk, f"nav entries without a page: {sorted(listed - on_disk)}"


def test_the_checks_can_fail(tmp_path: Path) -> None:
    assert {"docs", "docs-tests", "examples"} <= nox_sessions()
    assert "redis" in known_requirements()["strawberry-channels"]
    check_command(["pip", "install", "./packages/strawberry-channels[redis]"], ROOT, "self-test")
    for bad in (
        ["nox", "-s", "no-such-session"],
        ["pip", "install", "strawberry-channels[nope]"],
        ["pip", "install", "left-pad"],
        ["cd", "examples/no-such-example"],
        ["uvicorn", "nowhere.asgi:application"],
        ["pip", "install", "./packages/no-such-package"],
        ["pip", "install", "./packages/strawberry-channels[nope]"],
        ["pip", "install", "dist/strawberry_channels-9.9.9-py3-none-any.whl"],
        ["rm", "-rf", "/"],
    ):
        with pytest.raises(AssertionError):
            check_command(bad, ROOT, "self-test")
    page = tmp_path / "page.md"
    page.write_text(
        '```python title="examples/x/y.py"\n--8<-- "examples/x/y.py:part"\n```\n\n'
        "```text\nplain\n```\n",
        encoding="utf-8",
    )
    include_block, text_block = blocks(page)
    assert include_block.includes == ["examples/x/y.py:part"]
    assert include_block.title == "examples/x/y.py"
    assert text_block.language == "text"
    assert not text_block.includes
    with pytest.raises(AssertionError):
        example_schema_sdl.__wrapped__("examples/no-such-example", "nothing:schema")


README_BLOCKS = [
    block
    for readme in sorted(EXAMPLES.glob("*/README.md"))
    for block in blocks(readme)
    if block.language in {"shell", "bash", "sh", "console"}
]


@pytest.mark.parametrize(
    "block", README_BLOCKS, ids=lambda b: f"{b.page.relative_to(EXAMPLES)}:{b.line}"
)
def test_example_readme_commands_name_things_that_exist(block: Block) -> None:
    cwd = block.page.parent
    for words in shell_commands(block.body):
        cwd = check_command(words, cwd, block.where)


def test_api_reference_lists_every_public_name() -> None:
    import strawberry_channels
    import strawberry_channels.testing

    text = (DOCS / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^::: ([\w.]+)\s*$", text, flags=re.MULTILINE))
    public = {f"strawberry_channels.{name}" for name in strawberry_channels.__all__}
    public |= {
        f"strawberry_channels.testing.{name}"
        for name in getattr(
            strawberry_channels.testing, "__all__", ["GraphQLWebsocketCommunicator"]
        )
    }
    assert public <= documented, f"missing from docs/api.md: {sorted(public - documented)}"
    assert documented <= public, f"docs/api.md documents non-public names: {documented - public}"
