"""Serve an ASGI application from a subprocess for end-to-end tests.

Used through :func:`strawberry_channels.testing.run_server`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

__all__ = ["ServerKind", "free_port", "run_server", "server_command"]

#: The servers :func:`run_server` knows how to start.
ServerKind = Literal["uvicorn", "daphne", "runserver"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def server_command(application: str, server: ServerKind, host: str, port: int) -> list[str]:
    """The command line that serves ``application`` (``module:attribute``) with ``server``.

    ``runserver`` is Django's ``manage.py runserver`` (ASGI when ``daphne`` is in
    ``INSTALLED_APPS``); it ignores ``application`` and needs ``manage.py`` in
    the working directory.
    """
    if server == "uvicorn":
        return [
            sys.executable, "-m", "uvicorn", application,
            "--host", host, "--port", str(port), "--lifespan", "off",
        ]  # fmt: skip
    if server == "daphne":
        return [sys.executable, "-m", "daphne", "-b", host, "-p", str(port), application]
    if server == "runserver":
        return [sys.executable, "manage.py", "runserver", f"{host}:{port}", "--noreload"]
    raise ValueError(f"unknown server {server!r}: use 'uvicorn', 'daphne' or 'runserver'")


def _stop(process: subprocess.Popen[bytes]) -> None:
    # The server runs in a process group of its own: stop the group, so that
    # nothing it started outlives the test.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def run_server(
    application: str,
    *,
    server: ServerKind = "uvicorn",
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    startup_timeout: float = 30.0,
) -> Iterator[str]:
    """Serve ``application`` in a subprocess; yield its base URL, ``http://host:port``.

    Args:
        application: the ASGI application as ``"module:attribute"``, e.g.
            ``"mysite.asgi:application"``.
        server: ``"uvicorn"`` (default), ``"daphne"`` or ``"runserver"``.
        cwd: the project folder; it is also put on ``PYTHONPATH``.
        env: extra environment variables for the server (e.g. ``REDIS_URL``).
        host: the address to listen on.
        port: the port; a free one by default.
        startup_timeout: seconds to wait for the port to accept connections.

    The server, and its whole process group, is stopped when the block ends.

    Raises:
        RuntimeError: the server exited during start-up.
        TimeoutError: the port did not open within ``startup_timeout``.
    """
    port = free_port(host) if port is None else port
    environment = dict(os.environ)
    if cwd is not None:
        paths = [str(cwd), environment.get("PYTHONPATH", "")]
        environment["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
    environment.update(env or {})
    process = subprocess.Popen(
        server_command(application, server, host, port),
        cwd=cwd,
        env=environment,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{server} exited during start-up ({process.returncode})")
            try:
                socket.create_connection((host, port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"{server} did not listen on {host}:{port} within {startup_timeout} s"
                    ) from None
                time.sleep(0.05)
        yield f"http://{host}:{port}"
    finally:
        _stop(process)
