"""One benchmark server process: ``python benchmarks/server.py CONTENDER PORT LAYER``.

Every contender runs with the same uvicorn settings (uvloop, httptools, websockets-sansio).
With ``BENCH_PROFILE=FILE`` the server runs under cProfile and dumps its stats to FILE on exit.
"""

from __future__ import annotations

import os
import sys

import settings

UVICORN_OPTIONS = {
    "loop": "uvloop",
    "http": "httptools",
    "ws": "websockets-sansio",
    "lifespan": "off",
    "log_level": "warning",
    "access_log": False,
    "backlog": 4096,
}


def main() -> None:
    contender, port, layer = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    settings.configure(layer)

    import uvicorn
    from contenders import application

    app = application(contender)
    profile = os.environ.get("BENCH_PROFILE")
    if not profile:
        uvicorn.run(app, host="127.0.0.1", port=port, **UVICORN_OPTIONS)
        return
    import cProfile

    with cProfile.Profile() as profiler:
        uvicorn.run(app, host="127.0.0.1", port=port, **UVICORN_OPTIONS)
    profiler.dump_stats(profile)


if __name__ == "__main__":
    main()
