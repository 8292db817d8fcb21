"""Serving with hypercorn (asyncio worker): ``kernel run`` and ``app.run()``."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypercorn.config import Config as HyperConfig

    from .app import Erlen


def make_config(
    host: str,
    port: int,
    *,
    certfile: str | None = None,
    keyfile: str | None = None,
    ca_certs: str | None = None,
    access_log: bool = False,
    root_path: str = "",
    graceful_timeout: float | None = None,
    config_file: str | None = None,
    workers: int | None = None,
    **_: Any,
) -> HyperConfig:
    """A hypercorn config for ``host:port`` and the given options."""
    from hypercorn.config import Config as HyperConfig

    config = HyperConfig.from_toml(config_file) if config_file else HyperConfig()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    if certfile:
        config.certfile = certfile
    if keyfile:
        config.keyfile = keyfile
    if ca_certs:
        config.ca_certs = ca_certs
    if access_log:
        config.accesslog = "-"
    config.errorlog = "-"
    if root_path:
        config.root_path = root_path
    if graceful_timeout is not None:
        config.graceful_timeout = graceful_timeout
    if workers:
        config.workers = workers
    return config


def banner(app: Erlen, host: str, port: int, tls: bool) -> str:
    """The start-up line: which app, where."""
    scheme = "https" if tls else "http"
    shown = f"[{host}]" if ":" in host else host
    return f" * Serving Erlen app '{app.name}' on {scheme}://{shown}:{port} (CTRL + C to quit)"


async def serve_coroutine(
    app: Erlen,
    host: str,
    port: int,
    *,
    shutdown_trigger: Callable[..., Awaitable[None]] | None = None,
    **options: Any,
) -> None:
    """Serve ``app`` until ``shutdown_trigger`` completes (or SIGINT/SIGTERM)."""
    from hypercorn.asyncio import serve as hypercorn_serve

    config = make_config(host, port, **options)
    if shutdown_trigger is None:
        shutdown_event = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, shutdown_event.set)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - non-unix
                pass
        shutdown_trigger = shutdown_event.wait
    print(banner(app, host, port, bool(config.ssl_enabled)), file=sys.stderr, flush=True)
    await hypercorn_serve(app, config, shutdown_trigger=shutdown_trigger)  # type: ignore[arg-type]


def serve(app: Erlen, host: str, port: int, **options: Any) -> None:
    """Serve ``app`` (blocking) until SIGINT/SIGTERM; lifespan shutdown runs on exit."""
    options.pop("debug", None)
    options.pop("use_reloader", None)
    asyncio.run(serve_coroutine(app, host, port, **options))
