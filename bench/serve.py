"""Serve one benchmark app under one ASGI server (1 worker, 127.0.0.1 only).

Used by bench/server.py and bench/memory.py::

    python bench/serve.py --server hypercorn --framework erlen --port 8123

Servers: ``hypercorn`` (asyncio worker), ``uvicorn`` (the pure-Python protocols: asyncio
loop and h11, what ``pip install uvicorn`` gives), ``uvicorn-standard`` (uvloop and
httptools, what ``pip install 'uvicorn[standard]'`` gives and the common production
setup), ``granian`` (its ASGI interface, one worker process: the server's CPU is that
worker's).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from benchlib.frameworks import FRAMEWORKS, ASGIApp, load_app

SERVERS = ("hypercorn", "uvicorn", "uvicorn-standard", "granian")
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


def serve_uvicorn(app: ASGIApp, port: int, standard: bool = False) -> None:
    """Run uvicorn (one process) until SIGTERM/SIGINT: with asyncio and h11, or with
    uvloop and httptools (``standard``). Named explicitly: uvicorn's default ("auto")
    picks uvloop and httptools whenever they are installed."""
    import uvicorn

    config = uvicorn.Config(
        app,
        host=HOST,
        port=port,
        loop="uvloop" if standard else "asyncio",
        http="httptools" if standard else "h11",
        log_level="warning",
        access_log=False,
        backlog=2048,
        ws_ping_interval=None,
    )
    uvicorn.Server(config).run()


def load_for_granian(framework: str) -> ASGIApp:
    """granian's target loader, called in its worker process with the target string."""
    return load_app(framework)


def serve_granian(framework: str, port: int) -> None:
    """Run granian (ASGI interface, one worker process, its default loop: uvloop when
    installed) until SIGTERM/SIGINT. The app is loaded in the worker."""
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    Granian(
        framework,
        address=HOST,
        port=port,
        interface=Interfaces.ASGI,
        workers=1,
        backlog=2048,
        log_level=LogLevels.warning,
        log_access=False,
    ).serve(target_loader=load_for_granian)


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
    if args.server == "granian":
        serve_granian(args.framework, args.port)
        return 0
    app = load_app(args.framework)
    if args.server == "hypercorn":
        serve_hypercorn(app, args.port, args.app_settings)
    else:
        serve_uvicorn(app, args.port, standard=args.server == "uvicorn-standard")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
