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


def serve_hypercorn(app: ASGIApp, port: int, app_settings: bool = False) -> None:
    """Run hypercorn's asyncio worker in this process until SIGTERM/SIGINT.

    ``app_settings``: apply the settings an Erlen app's plugins ask for
    (``erlen_server_settings``: the serving plugin's hardened connection classes,
    websocket compression off), as ``kernel run`` does."""
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"{HOST}:{port}"]
    config.accesslog = None
    config.loglevel = "WARNING"
    config.backlog = 2048
    if app_settings and hasattr(app, "plugin_manager"):
        from erlen.plugins.serving.config import apply_app_server_settings

        apply_app_server_settings(app, config)

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
    parser.add_argument(
        "--app-settings",
        action="store_true",
        help="hypercorn: apply an Erlen app's erlen_server_settings, as kernel run does",
    )
    args = parser.parse_args(argv)
    app = load_app(args.framework)
    if args.server == "hypercorn":
        serve_hypercorn(app, args.port, args.app_settings)
    else:
        serve_uvicorn(app, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
