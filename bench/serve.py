"""Serve one benchmark app under hypercorn or uvicorn (1 worker, 127.0.0.1 only).

Used by bench/server.py and bench/memory.py::

    python bench/serve.py --server hypercorn --framework erlen --port 8123
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from benchlib.frameworks import FRAMEWORKS, ASGIApp, load_app

SERVERS = ("hypercorn", "uvicorn")
HOST = "127.0.0.1"


def serve_hypercorn(app: ASGIApp, port: int) -> None:
    """Run hypercorn's asyncio worker in this process until SIGTERM/SIGINT."""
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"{HOST}:{port}"]
    config.accesslog = None
    config.loglevel = "WARNING"
    config.backlog = 2048

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await serve(app, config, shutdown_trigger=stop.wait)

    asyncio.run(main())


def serve_uvicorn(app: ASGIApp, port: int) -> None:
    """Run uvicorn (one process, default protocol choices) until SIGTERM/SIGINT."""
    import uvicorn

    config = uvicorn.Config(
        app,
        host=HOST,
        port=port,
        log_level="warning",
        access_log=False,
        backlog=2048,
        ws_ping_interval=None,
    )
    uvicorn.Server(config).run()


def main(argv: Sequence[str]) -> int:
    """Parse arguments, load the app and serve it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", choices=SERVERS, required=True)
    parser.add_argument("--framework", choices=FRAMEWORKS, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    app = load_app(args.framework)
    if args.server == "hypercorn":
        serve_hypercorn(app, args.port)
    else:
        serve_uvicorn(app, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
