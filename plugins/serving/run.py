"""``app.run()`` and ``kernel run``: serve in this process, or start the supervisor for
``--workers N`` and ``--reload``."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import warnings
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from .adhoc import ADHOC, adhoc_certificate
from .config import (
    KNOWN_OPTIONS,
    TASK_OPTIONS,
    WORKER_ENV,
    ServeError,
    cli_app_spec,
    echo,
    ignored_by_cli,
    load_hypercorn_config,
)
from .hypercorn import serve_coroutine
from .supervisor import supervise

if TYPE_CHECKING:
    from erlen import Erlen


def app_spec_for(app: Erlen) -> str | None:
    """An import path (``module:name``) a worker process can load ``app`` from, or None."""
    module = sys.modules.get(app.import_name)
    if module is None:
        return None
    for name, value in vars(module).items():
        if value is app:
            return f"{app.import_name}:{name}"
    return None


def serve_task(app: Erlen, host: str, port: int, **options: Any) -> Awaitable[None]:
    """``app.run_task()``: a coroutine serving ``app`` in the caller's event loop until
    ``shutdown_trigger`` returns (default: SIGINT/SIGTERM)."""
    unknown = sorted(
        set(options) - TASK_OPTIONS - {"ca_certs", "certfile", "keyfile", "shutdown_trigger"}
    )
    if unknown:
        raise TypeError(f"run_task() got unexpected keyword arguments: {', '.join(unknown)}")
    return serve_coroutine(app, host, port, **options)


def serve(app: Erlen, host: str | None, port: int | None, **options: Any) -> None:
    """Serve ``app`` (blocking) until SIGINT/SIGTERM; lifespan shutdown runs on exit.

    ``workers`` > 1 or ``use_reloader`` start the supervisor. A problem the user can fix
    prints one ``Error:`` line and exits with status 1, like Flask's development server.
    """
    if os.environ.get(WORKER_ENV) and _in_spawn_bootstrap():
        # A script calling app.run() without ``if __name__ == "__main__"``, re-imported by a
        # worker process: the worker serves by itself, this call must not start another server.
        return
    if ignored_by_cli():
        return
    unknown = sorted(set(options) - KNOWN_OPTIONS)
    if unknown:
        warnings.warn(
            f"Additional arguments {', '.join(unknown)} are not supported by app.run();"
            " use a hypercorn config file (config_file=...) for server settings.",
            stacklevel=3,
        )
        for key in unknown:
            options.pop(key)
    use_reloader = bool(options.pop("use_reloader", False))
    workers = options.pop("workers", None)
    if options.get("certfile") == ADHOC:
        if options.get("keyfile"):
            echo("Error: --cert adhoc makes its own key: leave out --key.")
            raise SystemExit(1)
        try:
            options["certfile"], options["keyfile"] = adhoc_certificate(host)
        except ServeError as exc:
            echo(f"Error: {exc}")
            raise SystemExit(1) from None
    app_spec = options.pop("app_spec", None) or cli_app_spec()
    extra_files = options.pop("extra_files", None) or ()
    try:
        if workers is None:
            # A hypercorn config file may ask for workers; the option wins when given.
            workers = load_hypercorn_config(options.get("config_file")).workers
        workers = int(workers or 1)
        if use_reloader or workers > 1:
            if app_spec is None:
                app_spec = app_spec_for(app)
            if app_spec is None:
                raise ServeError(
                    "--reload and --workers need the app at module level (module:name) so"
                    " worker processes can import it."
                )
            code = supervise(
                app,
                app_spec,
                host,
                port,
                workers=workers,
                reload=use_reloader,
                extra_files=list(extra_files),
                options=options,
            )
            if code:
                raise SystemExit(code)
            return
        asyncio.run(serve_coroutine(app, host, port, force_exit=True, **options))
    except ServeError as exc:
        echo(f"Error: {exc}")
        raise SystemExit(1) from None


def _in_spawn_bootstrap() -> bool:
    process = multiprocessing.current_process()
    return bool(getattr(process, "_inheriting", False))
