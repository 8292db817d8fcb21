"""Multi-process serving: ``kernel run --workers N`` and the ``--reload`` code reloader.

The supervisor (this process) binds the listening sockets once, then starts worker
processes (``multiprocessing`` *spawn*: a fresh interpreter that imports the app again)
which all serve on those sockets. It never serves requests itself.

- SIGINT/SIGTERM: every worker shuts down gracefully (websockets 1001, in-flight requests
  within the grace period, lifespan shutdown), then the supervisor exits 0.
- SIGHUP, or with ``--reload`` a changed file: the workers are replaced by new ones. The
  sockets stay bound meanwhile, so clients queue in the backlog instead of being refused.
- The reloader polls file modification times (``RELOAD_INTERVAL``) under the app's root
  folder (``*.py``) and its template folders (every file), plus ``extra_files``.
  A worker that fails after an edit (a syntax error, say) is reported, and the supervisor
  waits for the next change.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any

from .serving import (
    FROM_CLI_ENV,
    WORKER_ENV,
    ServeError,
    _echo,
    banner,
    bind_sockets,
    check_tls,
    make_config,
    socket_urls,
)

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess
    from multiprocessing.synchronize import Event as MPEvent

    from hypercorn.config import Sockets

    from .app import Erlen

#: Seconds between two scans of the watched files.
RELOAD_INTERVAL = 0.5
#: Seconds a worker gets beyond the grace period to finish its lifespan shutdown.
SHUTDOWN_MARGIN = 5.0
_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", "dist-packages", "build", "dist"}


#: Set in each worker of ``kernel run --workers N``: N.
WORKERS_ENV = "KERNEL_RUN_WORKERS"


# --- the file watcher ------------------------------------------------------------------------


class FileWatcher:
    """Modification times of the watched files; :meth:`changed` names one that changed."""

    def __init__(
        self, code_roots: Iterable[str], asset_roots: Iterable[str], files: Iterable[str] = ()
    ) -> None:
        self.code_roots = sorted({os.path.abspath(p) for p in code_roots if os.path.isdir(p)})
        self.asset_roots = sorted({os.path.abspath(p) for p in asset_roots if os.path.isdir(p)})
        self.files = sorted({os.path.abspath(p) for p in files})
        self._mtimes = self._scan()

    def _paths(self) -> Iterator[str]:
        for root in self.code_roots:
            yield from _walk(root, (".py",))
        for root in self.asset_roots:
            yield from _walk(root, None)
        yield from self.files

    def _scan(self) -> dict[str, int]:
        mtimes = {}
        for path in self._paths():
            try:
                mtimes[path] = os.stat(path).st_mtime_ns
            except OSError:
                continue
        return mtimes

    def __len__(self) -> int:
        return len(self._mtimes)

    def changed(self) -> str | None:
        """The first added, removed or modified file since the last call, or None."""
        current = self._scan()
        previous, self._mtimes = self._mtimes, current
        for path, mtime in current.items():
            if previous.get(path) != mtime:
                return path
        for path in previous:
            if path not in current:
                return path
        return None


def _walk(root: str, suffixes: tuple[str, ...] | None) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(root):
        # Prune hidden folders, caches and virtualenvs: they are large and never app code.
        dirnames[:] = [
            d
            for d in dirnames
            if not d.startswith(".")
            and d not in _SKIP_DIRS
            and not os.path.exists(os.path.join(dirpath, d, "pyvenv.cfg"))
        ]
        for name in filenames:
            if suffixes is None or name.endswith(suffixes):
                yield os.path.join(dirpath, name)


def watch_paths(app: Erlen) -> tuple[list[str], list[str]]:
    """The code roots and template folders of ``app`` and its blueprints."""
    code = [app.root_path]
    assets = []
    for scaffold in (app, *app.blueprints.values()):
        if scaffold.root_path and scaffold.root_path != app.root_path:
            code.append(scaffold.root_path)
        folder = getattr(scaffold, "template_folder", None)
        if folder:
            assets.append(os.path.join(scaffold.root_path, folder))
    return code, assets


# --- worker processes ------------------------------------------------------------------------


def _worker_main(
    app_spec: Any,
    host: str | None,
    port: int | None,
    options: dict[str, Any],
    sockets: Sockets,
    stop_event: MPEvent,
) -> None:
    """Entry point of a worker process: load the app and serve on the inherited sockets."""
    import asyncio

    from .discovery import NoAppException, ScriptInfo
    from .serving import serve_coroutine

    debug = options.pop("debug", None)
    # This process serves through serve_coroutine below; an app.run() the app's module
    # makes at import time must be ignored, as inside any kernel command.
    os.environ[FROM_CLI_ENV] = "true"
    try:
        if callable(app_spec):
            info = ScriptInfo(create_app=app_spec)
        else:
            info = ScriptInfo(app_import_path=app_spec)
        app = info.load_app()
    except NoAppException as exc:
        _echo(f"Error: {exc.format_message()}")
        sys.exit(3)
    if debug is not None:
        app.debug = debug

    async def parent_says_stop() -> None:
        # stop_event is a multiprocessing.Event set by the parent process: it cannot be
        # awaited, so it is polled.
        while not stop_event.is_set():  # noqa: ASYNC110
            await asyncio.sleep(0.1)

    try:
        asyncio.run(
            serve_coroutine(
                app,
                host,
                port,
                sockets=sockets,
                shutdown_trigger=parent_says_stop,
                # SIGINT goes to the whole terminal process group; the supervisor decides.
                handle_signals=(signal.SIGTERM,),
                show_banner=False,
                **options,
            )
        )
    except ServeError as exc:
        _echo(f"Error: {exc}")
        sys.exit(1)


class _Workers:
    """The running worker processes and how to start and stop them."""

    def __init__(
        self,
        app_spec: Any,
        host: str | None,
        port: int | None,
        options: dict[str, Any],
        sockets: Sockets,
        count: int,
        stop_timeout: float,
    ) -> None:
        self.ctx = multiprocessing.get_context("spawn")
        self.app_spec = app_spec
        self.args = (host, port, options, sockets)
        self.count = count
        self.stop_timeout = stop_timeout
        self.stop_event = self.ctx.Event()
        self.processes: list[BaseProcess] = []

    def start(self) -> None:
        self.stop_event.clear()
        host, port, options, sockets = self.args
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the children
        os.environ[WORKER_ENV] = "1"
        os.environ[WORKERS_ENV] = str(self.count)  # e.g. for the broadcast plugin's warning
        try:
            for _ in range(self.count):
                process = self.ctx.Process(
                    target=_worker_main,
                    kwargs={
                        "app_spec": self.app_spec,
                        "host": host,
                        "port": port,
                        "options": dict(options),
                        "sockets": sockets,
                        "stop_event": self.stop_event,
                    },
                    daemon=True,
                )
                try:
                    process.start()
                except Exception as exc:  # e.g. PicklingError: a create_app lambda
                    raise ServeError(
                        "Could not start a worker process (the app must be importable by"
                        f" name, e.g. --app module:name): {exc}"
                    ) from None
                self.processes.append(process)
        finally:
            os.environ.pop(WORKER_ENV, None)
            os.environ.pop(WORKERS_ENV, None)
            signal.signal(signal.SIGINT, previous)

    def sentinels(self) -> list[int]:
        return [p.sentinel for p in self.processes]

    def exited(self) -> list[BaseProcess]:
        return [p for p in self.processes if p.exitcode is not None]

    def stop(self) -> int:
        """Ask every worker to stop gracefully; kill those that overrun. Worst exit code."""
        self.stop_event.set()
        deadline = time.monotonic() + self.stop_timeout
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
        code = 0
        for process in self.processes:
            if process.exitcode is None:
                _echo(f" * Worker {process.pid} did not stop in time; killing it")
                process.kill()
                process.join(5)
            if process.exitcode:
                code = code or 1
        self.processes = []
        return code


# --- the supervisor loop ---------------------------------------------------------------------


def supervise(
    app: Erlen,
    app_spec: Any,
    host: str | None,
    port: int | None,
    *,
    workers: int = 1,
    reload: bool = False,
    extra_files: list[str] | None = None,
    options: dict[str, Any],
) -> int:
    """Serve ``app_spec`` from ``workers`` processes until SIGINT/SIGTERM; the exit code."""
    config = make_config(host, port, workers=workers, **options)
    check_tls(config)
    sockets = bind_sockets(config)
    stop_timeout = float(config.graceful_timeout) + SHUTDOWN_MARGIN
    pool = _Workers(app_spec, host, port, options, sockets, workers, stop_timeout)
    watcher = None
    if reload:
        code_roots, asset_roots = watch_paths(app)
        watcher = FileWatcher(code_roots, asset_roots, extra_files or ())
    requests: list[str] = []

    def on_signal(signum: int, _frame: Any) -> None:
        requests.append("reload" if signum == getattr(signal, "SIGHUP", None) else "stop")

    handled = [signal.SIGINT, signal.SIGTERM] + (
        [signal.SIGHUP] if hasattr(signal, "SIGHUP") else []
    )
    previous = {sig: signal.signal(sig, on_signal) for sig in handled}
    debug = bool(options.get("debug", app.debug))
    _echo(banner(app.name, debug, socket_urls(sockets), workers))
    if watcher is not None:
        _echo(f" * Restarting on changes to {len(watcher)} watched files")
    try:
        pool.start()
        waiting_for_change = False
        while True:
            # Dead workers' sentinels stay ready: stop watching them while waiting for a change.
            sentinels = [] if waiting_for_change else pool.sentinels()
            if sentinels:
                wait(sentinels, timeout=RELOAD_INTERVAL if watcher else 1.0)
            else:
                time.sleep(RELOAD_INTERVAL)
            if "stop" in requests:
                _echo(" * Shutting down")
                return pool.stop()
            change = watcher.changed() if watcher is not None else None
            if change or "reload" in requests:
                requests.clear()
                _echo(f" * Detected change in {change!r}, reloading" if change else " * Reloading")
                pool.stop()
                pool.start()
                waiting_for_change = False
                continue
            dead = pool.exited()
            if dead and not waiting_for_change:
                codes = ", ".join(f"{p.pid} exited with code {p.exitcode}" for p in dead)
                if watcher is None:
                    _echo(f"Error: worker {codes}; shutting down")
                    pool.stop()
                    return 1
                _echo(f" * Worker {codes}; waiting for a file change to restart")
                waiting_for_change = True
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for group in (sockets.secure_sockets, sockets.insecure_sockets):
            for sock in group:
                sock.close()
