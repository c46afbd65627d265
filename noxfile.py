"""Developer tasks for the strawberry-channels monorepo.

`nox` with no arguments runs every session a contributor keeps green;
`nox -s demo` serves the tutorial chat example; `nox -s bench` runs the benchmarks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import tarfile
import tempfile
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PACKAGE = ROOT / "packages" / "strawberry-channels"
EXAMPLES = ROOT / "examples"
NODE_CLIENTS = ROOT / "tests" / "node"
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

#: The Python versions the package supports (``requires-python``), oldest first.
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
#: ``DJANGO=5.1 nox ...`` tests against that Django release series (the CI matrix sets it).
DJANGO = os.environ.get("DJANGO", "")

nox.options.default_venv_backend = "uv|virtualenv"
# A Django pin gets fresh environments, so that no later run reuses the pinned Django.
nox.options.reuse_existing_virtualenvs = not IN_CI and not DJANGO
# One interpreter per run: the one nox runs on. The CI matrix runs all of it once per
# supported Python and Django; `nox -t matrix` runs the package tests on every supported
# Python installed here.
nox.options.sessions = ["lint", "typing", "tests", "examples", "docs", "docs-tests"]

PACKAGE_SPEC = f"{PACKAGE}[redis,rabbitmq,testing]"
IDE_VENDOR = PACKAGE / "src" / "strawberry_channels" / "static" / "vendor"

#: The IDE's browser assets served by the package (`nox -s ide-assets` fetches them from npm):
#: package -> (pinned version, files to keep from the npm tarball's `package/` folder).
IDE_ASSETS = {
    "react": ("18.3.1", ["umd/react.production.min.js", "LICENSE"]),
    "react-dom": ("18.3.1", ["umd/react-dom.production.min.js", "LICENSE"]),
    "graphiql": ("3.9.0", ["graphiql.min.js", "graphiql.min.css", "LICENSE"]),
}


def _install_groups_only(session: nox.Session, *groups: str) -> None:
    requirements: list[str] = []
    for group in groups:
        requirements.extend(nox.project.dependency_groups(PYPROJECT, group))
    session.install(*requirements)


def _install(session: nox.Session, *groups: str, editable: bool = True) -> None:
    package = ["-e", PACKAGE_SPEC] if editable else [PACKAGE_SPEC]
    _install_groups_only(session, *groups)
    session.install(*package)
    if DJANGO:
        session.install(f"django=={DJANGO}.*")
    else:  # the newest: a reused environment may still hold a DJANGO run's pin
        session.install("--upgrade", "django")


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
    """mypy as the oldest supported Python: strict on the package, its tests and the examples."""
    _install(session, "typing", "examples")
    config = ("--config-file", str(ROOT / "pyproject.toml"))
    session.run("mypy")  # the package (pyproject.toml's [tool.mypy])
    # Test folders are not packages and each example has a settings module of its own, so
    # each is checked in a run of its own, with its import roots as MYPYPATH.
    tests = PACKAGE / "tests"
    runs = {
        tests: [tests, tests / "http", tests / "ws", tests / "shared", EXAMPLES / "chat"],
        ROOT / "tests" / "repo": [],
        ROOT / "tests" / "docs": [ROOT / "tests" / "docs"],
    }
    for folder, paths in runs.items():
        mypypath = os.pathsep.join(str(path) for path in paths)
        cache = ROOT / ".mypy_cache" / folder.relative_to(ROOT).as_posix().replace("/", "-")
        session.run(
            "mypy", *config, "--cache-dir", str(cache), str(folder), env={"MYPYPATH": mypypath}
        )
    for name in _example_projects():
        cache = ROOT / ".mypy_cache" / f"examples-{name}"
        with session.chdir(EXAMPLES / name):
            session.run("mypy", *config, "--cache-dir", str(cache), ".", env={"MYPYPATH": "."})


def _tests(session: nox.Session) -> None:
    """Package tests and repository checks, with real services and real clients."""
    _install(session, "test")
    _node_clients(session)
    session.run(
        "pytest",
        str(PACKAGE / "tests"),
        str(ROOT / "tests" / "repo"),
        "--cov",
        "--cov-report=term-missing:skip-covered",
        *session.posargs,
    )
    if not session.posargs:
        # The WebSocket and shared-subscription tests once more on our in-memory layer,
        # where the layer hands operations their messages itself (no reader task).
        session.run(
            "pytest",
            str(PACKAGE / "tests" / "ws"),
            str(PACKAGE / "tests" / "shared"),
            "--no-cov",
            "-q",
            env={"STRAWBERRY_CHANNELS_TEST_LAYER": "strawberry_channels.layers.LocalChannelLayer"},
        )


def _interpreter(version: str) -> str:
    """Python ``version``: a pyenv installation when there is one, else ``pythonX.Y`` on PATH.

    pyenv's ``pythonX.Y`` shims only work for the versions pyenv has activated, so the
    interpreter is taken from pyenv's folder directly.
    """
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(
        versions.glob(f"{version}.*/bin/python{version}"),
        key=lambda path: [int(part) for part in path.parts[-3].split(".") if part.isdigit()],
    )
    return str(found[-1]) if found else version


tests = nox.session(_tests, name="tests")
# `nox -s tests-3.10`, ..., `nox -s tests-3.13` (all of them: `nox -t matrix`).
for _python in PYTHONS:
    nox.session(_tests, python=_interpreter(_python), name=f"tests-{_python}", tags=["matrix"])


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
    """Serve the tutorial chat example (`-- --port N --host H`; default 127.0.0.1:8000)."""
    parser = argparse.ArgumentParser(prog="nox -s demo --", description=demo.__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    options = parser.parse_args(session.posargs)
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # fail only on a listener
        try:
            probe.bind((options.host, options.port))
        except OSError as error:
            session.error(
                f"cannot listen on {options.host} port {options.port}: {error.strerror}; "
                "pick another with `nox -s demo -- --port N`"
            )
    # Serving needs the package, daphne (runserver's ASGI server) and channels-redis for
    # REDIS_URL: not the test stack.
    session.install(f"{PACKAGE}[redis,daphne]")
    session.chdir(EXAMPLES / "chat")
    session.run("python", "manage.py", "migrate", "--noinput")
    address = (
        f"[{options.host}]:{options.port}"
        if family == socket.AF_INET6
        else (f"{options.host}:{options.port}")
    )
    session.log(
        f"serving the chat on http://{address}/chat/ and the IDE on http://{address}/graphql"
    )
    session.run(
        "python",
        "manage.py",
        "runserver",
        *(["-6"] if family == socket.AF_INET6 else []),
        address,
        env={"REDIS_URL": os.environ.get("REDIS_URL", "")},
    )


@nox.session
def build(session: nox.Session) -> None:
    """Build the package's sdist and wheel into dist/ (`pip install dist/*.whl` installs it)."""
    session.install("build>=1.2")
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", str(dist), str(PACKAGE))
    wheel = sorted(dist.glob("*.whl"))
    if len(wheel) != 1 or not sorted(dist.glob("*.tar.gz")):
        session.error(f"expected one wheel and one sdist in {dist}")
    session.log(f"built {', '.join(p.name for p in sorted(dist.iterdir()))}")


@nox.session(name="ide-assets", python=False)
def ide_assets(session: nox.Session) -> None:
    """Fetch the IDE's pinned npm assets into the package's static/vendor/, with a manifest."""
    if shutil.which("npm") is None:
        session.error("npm is required to fetch the IDE assets")
    manifest: dict[str, object] = {"packages": {}, "files": {}}
    shutil.rmtree(IDE_VENDOR, ignore_errors=True)
    with tempfile.TemporaryDirectory() as scratch:
        for name, (version, wanted) in IDE_ASSETS.items():
            session.run(
                "npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", scratch,
                external=True,
            )  # fmt: skip
            tarball = Path(scratch) / f"{name}-{version}.tgz"
            target = IDE_VENDOR / name
            target.mkdir(parents=True)
            with tarfile.open(tarball) as archive:
                for member in wanted:
                    data = archive.extractfile(f"package/{member}")
                    if data is None:
                        session.error(f"{name}@{version} has no {member}")
                    content = data.read()
                    (target / Path(member).name).write_bytes(content)
                    if Path(member).name == "LICENSE":
                        continue
                    key = f"{name}@{version}/{Path(member).name}"
                    manifest["files"][key] = {  # type: ignore[index]
                        "package": name,
                        "path": f"{name}/{Path(member).name}",
                        "sha256": hashlib.sha256(content).hexdigest(),
                        "size": len(content),
                    }
            manifest["packages"][name] = {  # type: ignore[index]
                "version": version,
                "license_file": f"{name}/LICENSE",
                "tarball": f"https://registry.npmjs.org/{name}/-/{name}-{version}.tgz",
                "tarball_sha256": hashlib.sha256(tarball.read_bytes()).hexdigest(),
            }
    (IDE_VENDOR / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    session.log(f"wrote {IDE_VENDOR / 'manifest.json'}")


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
            # The soak's server on an allocator that gives freed memory back (libjemalloc2).
            "HARDENING_SOAK_ALLOCATOR": "jemalloc",
        },
    )
    # Group messages to 10,000 subscribers (2,000 on Channels' layer), unshared and on a
    # SharedSubscription field.
    for layer, shared in (("local", False), ("local", True), ("channels", False)):
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
            *(["--shared"] if shared else []),
            # Ten messages in a row on our layer: what a series costs, full collections included.
            *(["--rounds", "10"] if layer == "local" else []),
        )


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against strawberry.channels and a raw consumer (`-- --quick`: short run)."""
    _install(session, "bench")
    session.install("-e", f"{PACKAGE}[orjson]")  # the fast JSON backend, as deployments use it
    session.install("--upgrade", "strawberry-graphql")  # measure against the latest release
    session.run("python", str(ROOT / "benchmarks" / "run.py"), *session.posargs)


@nox.session(name="docs-serve")
def docs_serve(session: nox.Session) -> None:
    """Serve the documentation on http://127.0.0.1:8001 with live reload."""
    _install_groups_only(session, "docs")
    session.run("mkdocs", "serve", "--dev-addr", "127.0.0.1:8001", env={"NO_MKDOCS_2_WARNING": "1"})
