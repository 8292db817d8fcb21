"""Multi-process serving: ``kernel run --workers N`` and the ``--reload`` code reloader.

The supervisor (this process) binds the listening sockets once, then starts worker
processes (``multiprocessing`` *spawn*: a fresh interpreter that imports the app again)
which all serve on those sockets. It never serves requests itself.

- SIGINT/SIGTERM: every worker shuts down gracefully (websockets 1001, in-flight requests
  within the grace period, lifespan shutdown), then the supervisor exits 0. Nothing else
  stops it: a worker that dies after it started serving is replaced, after a back-off
  that doubles with each restart within a minute (0.5 s up to 30 s), with a log line.
- SIGHUP, or with ``--reload`` a changed file: the workers are replaced by new ones. The
  sockets stay bound meanwhile, so clients queue in the backlog instead of being refused.
- The reloader polls file modification times (``RELOAD_INTERVAL``) under the app's root
  folder (``*.py``) and its template folders (every file), plus ``extra_files``.
  A worker that fails after an edit (a syntax error, say) is reported, and the supervisor
  waits for the next change.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import sys
import time
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any

from erlen.cli import FROM_CLI_ENV, ScriptInfo
from erlen.discovery import NoAppException

from .config import (
    WORKER_ENV,
    WORKERS_ENV,
    ServeError,
    banner,
    bind_sockets,
    check_tls,
    echo,
    make_config,
    socket_urls,
)
from .hypercorn import serve_coroutine
from .loaderror import load_error_app
from .reloader import FileWatcher, watch_paths

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess
    from multiprocessing.synchronize import Event as MPEvent

    from erlen import Erlen
    from hypercorn.config import Sockets

#: Seconds between two scans of the watched files.
RELOAD_INTERVAL = 0.5
#: Seconds a worker gets beyond the grace period to finish its lifespan shutdown.
SHUTDOWN_MARGIN = 5.0


# --- worker processes ------------------------------------------------------------------------


def _worker_main(
    app_spec: Any,
    host: str | None,
    port: int | None,
    options: dict[str, Any],
    sockets: Sockets,
    stop_event: MPEvent,
    started_event: MPEvent,
    reloading: bool = False,
) -> None:
    """Entry point of a worker process: load the app and serve on the inherited sockets;
    ``started_event`` is set once the app's lifespan startup completed. Under ``--reload``
    an app that fails to load (a syntax error being edited) is replaced by a page naming
    the error until the next change, instead of leaving requests waiting for a worker."""
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
        echo(f"Error: {exc.format_message()}")
        if not reloading:
            sys.exit(3)
        app = load_error_app(exc)
    if debug is not None:
        app.debug = debug

    supervisor = os.getppid()

    async def parent_says_stop() -> None:
        # stop_event is a multiprocessing.Event set by the parent process: it cannot be
        # awaited, so it is polled. A supervisor that died without setting it (SIGKILL)
        # leaves this process to another parent: stop too, rather than serve unsupervised.
        while not stop_event.is_set() and os.getppid() == supervisor:  # noqa: ASYNC110
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
                on_started=started_event.set,
                **options,
            )
        )
    except ServeError as exc:
        echo(f"Error: {exc}")
        sys.exit(1)


class _Workers:
    """The running worker processes and how to start, replace and stop them."""

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
        #: Under ``--reload`` a worker whose app fails to load serves the error page.
        self.reloading = False
        self.processes: list[BaseProcess] = []
        #: Set by each worker once its app started serving.
        self.started: dict[BaseProcess, MPEvent] = {}

    def start(self) -> None:
        """Start ``count`` workers."""
        self.stop_event.clear()
        for _ in range(self.count):
            self.spawn()

    def spawn(self) -> BaseProcess:
        """Start one more worker."""
        host, port, options, sockets = self.args
        started = self.ctx.Event()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the child
        os.environ[WORKER_ENV] = "1"
        os.environ[WORKERS_ENV] = str(self.count)
        try:
            process = self.ctx.Process(
                target=_worker_main,
                kwargs={
                    "app_spec": self.app_spec,
                    "host": host,
                    "port": port,
                    "options": dict(options),
                    "sockets": sockets,
                    "stop_event": self.stop_event,
                    "started_event": started,
                    "reloading": self.reloading,
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
        finally:
            os.environ.pop(WORKER_ENV, None)
            os.environ.pop(WORKERS_ENV, None)
            signal.signal(signal.SIGINT, previous)
        self.processes.append(process)
        self.started[process] = started
        return process

    def has_served(self, process: BaseProcess) -> bool:
        """True when ``process`` got as far as serving (its app started)."""
        return self.started[process].is_set()

    def forget(self, process: BaseProcess) -> None:
        """Drop a dead worker from the pool."""
        self.processes.remove(process)
        del self.started[process]
        process.close()

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
                echo(f" * Worker {process.pid} did not stop in time; killing it")
                process.kill()
                process.join(5)
            if process.exitcode:
                code = code or 1
        self.processes = []
        self.started = {}
        return code


class Backoff:
    """Delays before restarting a worker that died: doubling with each restart made in
    the last ``window`` seconds, from ``first`` up to ``longest``."""

    def __init__(self, first: float = 0.5, longest: float = 30.0, window: float = 60.0) -> None:
        self.first = first
        self.longest = longest
        self.window = window
        self._restarts: list[float] = []

    def next_delay(self, now: float) -> float:
        """The delay for a restart asked for at ``now`` (and remember it)."""
        self._restarts = [t for t in self._restarts if now - t < self.window]
        delay = min(self.longest, self.first * 2 ** len(self._restarts))
        self._restarts.append(now)
        return delay


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
    """Serve ``app_spec`` from ``workers`` processes until SIGINT/SIGTERM; the exit code.

    A worker that dies is replaced (see :func:`_supervise_loop`); only a signal stops
    the server.
    """
    config = make_config(host, port, workers=workers, **options)
    check_tls(config)
    sockets = bind_sockets(config)
    stop_timeout = float(config.graceful_timeout) + SHUTDOWN_MARGIN
    pool = _Workers(app_spec, host, port, options, sockets, workers, stop_timeout)
    pool.reloading = reload
    watcher = None
    if reload:
        code_roots, asset_roots = watch_paths(app)
        watcher = FileWatcher(code_roots, asset_roots, extra_files or ())
    requests: list[str] = []

    def on_signal(signum: int, _frame: Any) -> None:
        if signum == getattr(signal, "SIGHUP", None):
            requests.append("reload")
        else:  # "stop", with the signal's name for the shutdown line
            requests.append(f"stop {signal.Signals(signum).name}")

    handled = [signal.SIGINT, signal.SIGTERM] + (
        [signal.SIGHUP] if hasattr(signal, "SIGHUP") else []
    )
    previous = {sig: signal.signal(sig, on_signal) for sig in handled}
    debug = bool(options.get("debug", app.debug))
    echo(banner(app.name, debug, socket_urls(sockets), workers))
    if watcher is not None:
        echo(f" * Restarting on changes to {len(watcher)} watched files")
    try:
        return _supervise_loop(pool, watcher, requests)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for group in (sockets.secure_sockets, sockets.insecure_sockets):
            for sock in group:
                sock.close()


def _exit_reason(process: BaseProcess) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            pass
    return f"exited with code {code}"


def _supervise_loop(pool: _Workers, watcher: FileWatcher | None, requests: list[str]) -> int:
    """Watch the workers until a stop is requested; the exit code.

    A worker that dies after its app started serving is replaced after a back-off
    (:class:`Backoff`); one of the first workers dying before it served means the app
    cannot start (an import error, a failing ``before_serving``), so the server stops
    with an error. Under ``--reload`` a dead worker waits for the next file change.
    """
    pool.start()
    first_workers = set(pool.processes)
    waiting_for_change = False
    backoff = Backoff()
    due: list[float] = []  # when to start a replacement for a worker that died
    while True:
        timeout = RELOAD_INTERVAL if watcher else 1.0
        if due:
            timeout = max(0.0, min(timeout, min(due) - time.monotonic()))
        # Dead workers' sentinels stay ready: stop watching them while waiting for a change.
        sentinels = [] if waiting_for_change else pool.sentinels()
        if sentinels:
            wait(sentinels, timeout=timeout)
        else:
            time.sleep(timeout)
        stops = [request for request in requests if request.startswith("stop")]
        if stops:
            echo(f" * {stops[0].removeprefix('stop ')} received: shutting down gracefully")
            return pool.stop()
        change = watcher.changed() if watcher is not None else None
        if change or "reload" in requests:
            requests.clear()
            echo(f" * Detected change in {change!r}, reloading" if change else " * Reloading")
            pool.stop()
            pool.start()
            first_workers = set(pool.processes)
            waiting_for_change = False
            due.clear()
            continue
        dead = [] if waiting_for_change else pool.exited()
        if dead and watcher is not None:
            reasons = ", ".join(f"{p.pid} {_exit_reason(p)}" for p in dead)
            echo(f" * Worker {reasons}; waiting for a file change to restart")
            waiting_for_change = True
        elif dead:
            unborn = [p for p in dead if p in first_workers and not pool.has_served(p)]
            if unborn:
                reasons = ", ".join(f"{p.pid} {_exit_reason(p)}" for p in unborn)
                echo(f"Error: worker {reasons} before serving; shutting down")
                pool.stop()
                return 1
            now = time.monotonic()
            for process in dead:
                delay = backoff.next_delay(now)
                echo(
                    f" * Worker {process.pid} {_exit_reason(process)}; starting a new one"
                    f" in {delay:g}s"
                )
                pool.forget(process)
                due.append(now + delay)
        now = time.monotonic()
        for when in [t for t in due if t <= now]:
            due.remove(when)
            echo(f" * Started worker {pool.spawn().pid}")
