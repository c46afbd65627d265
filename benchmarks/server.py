"""One benchmark server process: ``python benchmarks/server.py CONTENDER PORT LAYER``.

Every contender runs with the same uvicorn settings (uvloop, httptools, websockets-sansio).
"""

from __future__ import annotations

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

    uvicorn.run(application(contender), host="127.0.0.1", port=port, **UVICORN_OPTIONS)


if __name__ == "__main__":
    main()
