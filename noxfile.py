"""Developer tasks for the strawberry-channels monorepo.

`nox` with no arguments runs every session a contributor keeps green;
`nox -s demo` serves the tutorial chat example; `nox -s bench` runs the benchmarks.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PACKAGE = ROOT / "packages" / "strawberry-channels"
EXAMPLES = ROOT / "examples"
NODE_CLIENTS = ROOT / "tests" / "node"
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = not IN_CI
nox.options.sessions = ["lint", "typing", "tests", "examples", "docs", "docs-tests"]

PACKAGE_SPEC = f"{PACKAGE}[redis,rabbitmq,testing]"


def _install_groups_only(session: nox.Session, *groups: str) -> None:
    requirements: list[str] = []
    for group in groups:
        requirements.extend(nox.project.dependency_groups(PYPROJECT, group))
    session.install(*requirements)


def _install(session: nox.Session, *groups: str, editable: bool = True) -> None:
    package = ["-e", PACKAGE_SPEC] if editable else [PACKAGE_SPEC]
    _install_groups_only(session, *groups)
    session.install(*package)


def _node_clients(session: nox.Session) -> None:
    """Install the npm clients (graphql-ws, graphql-sse, graphql-http) the tests drive."""
    if shutil.which("npm") is None:
        if IN_CI:
            session.error("npm is required in CI for the third-party client tests")
        session.warn("npm not found: tests that drive JavaScript clients will skip")
        return
    session.run(
        "npm", "ci", "--no-audit", "--no-fund", "--prefix", str(NODE_CLIENTS), external=True
    )


def _example_projects() -> list[str]:
    if not EXAMPLES.is_dir():
        return []
    return sorted(p.name for p in EXAMPLES.iterdir() if (p / "tests").is_dir())


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check over the whole repository."""
    _install_groups_only(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typing(session: nox.Session) -> None:
    """mypy --strict on the package."""
    _install(session, "typing")
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    """Package tests and repository checks, with real services and real clients."""
    _install(session, "test")
    _node_clients(session)
    session.run(
        "pytest",
        str(PACKAGE / "tests"),
        str(ROOT / "tests" / "repo"),
        *session.posargs,
    )


@nox.session
def examples(session: nox.Session) -> None:
    """Each example project's tests, each in a pytest process of its own (`-- chat` picks one)."""
    projects = _example_projects()
    chosen = [name for name in session.posargs if not name.startswith("-")] or projects
    unknown = sorted(set(chosen) - set(projects))
    if not projects or unknown:
        session.error(f"no such example project(s): {unknown or 'none found under examples/'}")
    _install(session, "examples")
    _node_clients(session)
    options = [arg for arg in session.posargs if arg.startswith("-")]
    for name in chosen:
        with session.chdir(EXAMPLES / name):
            session.run("pytest", *options)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with mkdocs --strict, offline."""
    _install_groups_only(session, "docs")
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        str(ROOT / "site"),
        env={"NO_MKDOCS_2_WARNING": "1"},
    )


@nox.session(name="docs-tests")
def docs_tests(session: nox.Session) -> None:
    """Check every code block in docs/ (includes resolve, examples are used, blocks run)."""
    _install(session, "docs-tests")
    session.run("pytest", str(ROOT / "tests" / "docs"), *session.posargs)
    # The pages are only as good as the examples they show: their tests run too
    # (queued once, so `nox` with every session does not run them twice).
    session.notify("examples")


@nox.session
def demo(session: nox.Session) -> None:
    """Serve the tutorial chat example on http://127.0.0.1:8000 (in-memory channel layer)."""
    _install(session, "examples")
    session.chdir(EXAMPLES / "chat")
    session.run("python", "manage.py", "migrate", "--noinput")
    session.run(
        "python",
        "manage.py",
        "runserver",
        "127.0.0.1:8000",
        *session.posargs,
        env={"REDIS_URL": os.environ.get("REDIS_URL", "")},
    )


@nox.session
def soak(session: nox.Session) -> None:
    """The hardening tests at full size (1,000 abrupt disconnects, ...) and the 10,000-subscriber
    fan-out measurement (`-- -k name` picks tests)."""
    _install(session, "test")
    session.run(
        "pytest",
        str(PACKAGE / "tests" / "hardening"),
        *session.posargs,
        env={
            "HARDENING_DISCONNECTS": "1000",
            "HARDENING_SUBSCRIPTIONS": "1000",
            "HARDENING_FLOOD": "5000",
            "HARDENING_FUZZ_EXAMPLES": "300",
            "HARDENING_SOAK_CONNECTIONS": "1000",
            "HARDENING_SOAK_MESSAGES": "100000",
        },
    )
    for layer in ("local", "channels"):
        sockets = "100" if layer == "local" else "20"
        session.run(
            "python",
            str(ROOT / "benchmarks" / "fanout.py"),
            "--layer",
            layer,
            "--sockets",
            sockets,
            "--per-socket",
            "100",
        )


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against strawberry.channels and a raw consumer (`-- --quick`: short run)."""
    _install(session, "bench")
    session.install("--upgrade", "strawberry-graphql")  # measure against the latest release
    session.run("python", str(ROOT / "benchmarks" / "run.py"), *session.posargs)


@nox.session(name="docs-serve")
def docs_serve(session: nox.Session) -> None:
    """Serve the documentation on http://127.0.0.1:8001 with live reload."""
    _install_groups_only(session, "docs")
    session.run("mkdocs", "serve", "--dev-addr", "127.0.0.1:8001", env={"NO_MKDOCS_2_WARNING": "1"})
