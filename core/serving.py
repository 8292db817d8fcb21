"""Serving with hypercorn (asyncio worker): ``kernel run``, ``app.run()``, ``app.run_task()``.

One process serves in-process (:func:`serve_coroutine`); ``--workers N`` and ``--reload``
hand over to :mod:`erlen.supervisor`, which binds the sockets once and runs the same
coroutine in child processes.

Graceful shutdown, in this order (hypercorn's own order plus a first step):

1. SIGINT/SIGTERM (or ``shutdown_trigger``) -> the server starts draining: ``app.shutdown_event``
   is set and every accepted websocket is closed with 1001 (going away). Hypercorn would
   otherwise wait for open websockets until the grace period ends and then drop them,
   because it runs the lifespan shutdown only after its connections are done.
2. Hypercorn stops listening and lets in-flight requests finish within ``graceful_timeout``.
3. Lifespan shutdown: ``after_serving``, ``while_serving`` and the ``erlen_shutdown`` hooks.
"""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import ssl
import sys
import warnings
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypercorn.config import Config as HyperConfig
    from hypercorn.config import Sockets

    from .app import Erlen
    from .typing import Message, Receive, Scope, Send

#: Close code sent to open websockets when the server shuts down (RFC 6455 "going away").
GOING_AWAY = 1001
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
#: Set in worker processes started by the supervisor (``--workers``/``--reload``).
WORKER_ENV = "KERNEL_RUN_WORKER"

#: The options ``kernel run``/``app.run()`` understand besides host, port and debug.
KNOWN_OPTIONS = frozenset(
    {
        "certfile",
        "keyfile",
        "ca_certs",
        "root_path",
        "access_log",
        "graceful_timeout",
        "config_file",
        "workers",
        "use_reloader",
        "extra_files",
        "app_spec",
        "debug",
    }
)


#: The options ``app.run_task()`` takes besides host, port, debug, TLS and shutdown_trigger.
TASK_OPTIONS = frozenset({"root_path", "access_log", "graceful_timeout", "config_file"})
#: Set by the ``kernel`` command while it runs: a module calling ``app.run()`` on import
#: must not start a second server (Flask's ``FLASK_RUN_FROM_CLI``).
FROM_CLI_ENV = "KERNEL_RUN_FROM_CLI"


#: The value of FROM_CLI_ENV while ``kernel run`` itself serves.
_CLI_SERVING = "serving"


def mark_cli_serving() -> None:
    """``kernel run`` is about to serve: :func:`serve` must not ignore this call."""
    os.environ[FROM_CLI_ENV] = _CLI_SERVING


def ignored_by_cli() -> bool:
    """True (after a warning on stderr) when ``app.run()`` is called inside a ``kernel``
    command (at import, say) or a worker process: the command serves or does something
    else, and a second server must not start."""
    if os.environ.get(FROM_CLI_ENV) != "true":
        return False
    if not os.environ.get(WORKER_ENV):
        _echo(
            " * Ignoring a call to 'app.run()' inside a 'kernel' command; put it under"
            " 'if __name__ == \"__main__\":'."
        )
    return True


class ServeError(Exception):
    """A problem the user can fix (port in use, bad certificate): shown as one line."""


# --- configuration ---------------------------------------------------------------------------


def load_hypercorn_config(config_file: str | None) -> HyperConfig:
    """A hypercorn ``Config``, read from ``config_file`` (``.toml``, ``.py`` or ``python:mod``)."""
    from hypercorn.config import Config as HyperConfig

    if not config_file:
        return HyperConfig()
    try:
        if config_file.startswith("python:"):
            return HyperConfig.from_object(config_file[len("python:") :])
        if config_file.endswith(".py"):
            return HyperConfig.from_pyfile(config_file)
        return HyperConfig.from_toml(config_file)
    except FileNotFoundError:
        raise ServeError(f"Hypercorn config file {config_file!r} does not exist.") from None
    except Exception as exc:  # a broken config file: say which and why, no traceback
        raise ServeError(
            f"Could not read hypercorn config {config_file!r}: {type(exc).__name__}: {exc}"
        ) from None


def format_bind(host: str, port: int) -> str:
    """``host:port`` as hypercorn's ``bind`` wants it (IPv6 hosts in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def make_config(
    host: str | None,
    port: int | None,
    *,
    certfile: str | None = None,
    keyfile: str | None = None,
    ca_certs: str | None = None,
    access_log: bool | None = None,
    root_path: str | None = None,
    graceful_timeout: float | None = None,
    config_file: str | None = None,
    workers: int | None = None,
    **_: Any,
) -> HyperConfig:
    """A hypercorn config: ``config_file`` first, then the explicit options on top.

    ``host``/``port`` of ``None`` keep the config file's ``bind`` (or 127.0.0.1:5000).
    """
    config = load_hypercorn_config(config_file)
    if host is not None or port is not None or not config_file:
        config.bind = [format_bind(host or DEFAULT_HOST, DEFAULT_PORT if port is None else port)]
    if certfile:
        config.certfile = certfile
    if keyfile:
        config.keyfile = keyfile
    if ca_certs:
        config.ca_certs = ca_certs
    if access_log:
        config.accesslog = "-"
    elif access_log is not None and not access_log:
        config.accesslog = None
    if root_path:
        config.root_path = root_path
    if graceful_timeout is not None:
        config.graceful_timeout = graceful_timeout
    if workers:
        config.workers = workers
    return config


#: ``app.extensions`` key: a list of callables ``(app) -> {hypercorn setting: value}`` by
#: which plugins make app config authoritative for the server (the websocket plugin maps
#: ``WEBSOCKET_MAX_MESSAGE_SIZE`` to ``websocket_max_message_size``). Read at serve time.
SERVER_SETTINGS_KEY = "erlen.server_settings"


def apply_app_server_settings(app: Any, config: HyperConfig) -> None:
    """Set on ``config`` the hypercorn settings the app's plugins ask for (they win over
    a config file: they follow the app's own config)."""
    for provide in app.extensions.get(SERVER_SETTINGS_KEY, ()):
        for name, value in provide(app).items():
            setattr(config, name, value)


def check_tls(config: HyperConfig) -> None:
    """Fail early, with one line, on a half or unreadable TLS setup."""
    if bool(config.certfile) != bool(config.keyfile):
        given, missing = ("certfile", "keyfile") if config.certfile else ("keyfile", "certfile")
        raise ServeError(f"TLS needs both a certificate and a key: --{given} without --{missing}.")
    if not config.ssl_enabled:
        return
    for label, path in (("certificate", config.certfile), ("key", config.keyfile)):
        if not path or not os.path.isfile(path):
            raise ServeError(f"TLS {label} file {path!r} does not exist.")
    try:
        config.create_ssl_context()
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise ServeError(
            f"Could not load the TLS certificate {config.certfile!r} with key"
            f" {config.keyfile!r}: {exc}"
        ) from None


def bind_sockets(config: HyperConfig) -> Sockets:
    """Create and bind the listening sockets; a bind failure becomes a clear ServeError."""
    try:
        sockets = config.create_sockets()
        # Listen now, not when hypercorn starts its servers after the lifespan startup:
        # the banner is printed before that, and a client connecting right after it (or
        # while the supervisor replaces workers) must wait in the backlog, not be refused.
        for sock in (*sockets.secure_sockets, *sockets.insecure_sockets):
            sock.listen(config.backlog)
        return sockets
    except OSError as exc:
        where = ", ".join(config.bind)
        if exc.errno == errno.EADDRINUSE:
            reason = (
                "the address is already in use. Is another server running there?"
                " Stop it or choose another port with --port."
            )
        elif exc.errno == errno.EACCES:
            reason = "permission denied (ports below 1024 need privileges); use another --port."
        elif exc.errno == errno.EADDRNOTAVAIL:
            reason = "that address is not available on this machine; check --host."
        else:
            reason = str(exc.strerror or exc)
        raise ServeError(f"Could not bind to {where}: {reason}") from None
    except Exception as exc:  # e.g. socket.gaierror for an unknown host name
        raise ServeError(f"Could not bind to {', '.join(config.bind)}: {exc}") from None


def _adopt_sockets(config: HyperConfig, sockets: Sockets) -> None:
    """Point hypercorn at already bound sockets (``fd://``), so binding happens once."""
    config.bind = [f"fd://{sock.detach()}" for sock in sockets.secure_sockets]
    config.insecure_bind = [f"fd://{sock.detach()}" for sock in sockets.insecure_sockets]
    config.quic_bind = []
    if not config.ssl_enabled:
        # Without TLS hypercorn binds ``bind`` as plain sockets.
        config.bind, config.insecure_bind = config.insecure_bind, []


def _quiet_error_log(config: HyperConfig) -> None:
    """Our banner replaces hypercorn's "Running on" info lines; warnings still show."""
    import logging

    from hypercorn.config import Config as HyperConfig

    if config.errorlog != HyperConfig.errorlog or config.logconfig or config.logconfig_dict:
        return  # the user configured hypercorn's logging: leave it alone
    logger = logging.getLogger("erlen.serving")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("[%(asctime)s] [%(process)d] %(levelname)s %(message)s")
        )
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(logging.WARNING)
    config.errorlog = logger


def socket_urls(sockets: Sockets) -> list[str]:
    """``scheme://host:port`` for each bound socket (the real port when 0 was asked)."""
    urls = []
    for scheme, group in (("https", sockets.secure_sockets), ("http", sockets.insecure_sockets)):
        for sock in group:
            name = sock.getsockname()
            if isinstance(name, str):
                urls.append(f"{scheme}+unix://{name}")
            else:
                host, port = name[0], name[1]
                urls.append(f"{scheme}://{format_bind(host, port)}")
    return urls


def banner(app_name: str, debug: bool, urls: Iterable[str], workers: int = 1) -> str:
    """The start-up lines: which app, debug mode, where (Flask/Quart style)."""
    lines = [f" * Serving Erlen app '{app_name}'", f" * Debug mode: {'on' if debug else 'off'}"]
    if workers > 1:
        lines.append(f" * Workers: {workers}")
    lines.extend(f" * Running on {url} (CTRL + C to quit)" for url in urls)
    return "\n".join(lines)


def _echo(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- graceful shutdown -----------------------------------------------------------------------


class _Websocket:
    """One accepted websocket as seen from the server side of the app."""

    __slots__ = ("_send", "closed", "owner")

    def __init__(self, owner: GracefulApp, send: Send) -> None:
        self.owner = owner
        self._send = send
        self.closed = False

    async def send(self, message: Message) -> None:
        if self.closed:
            return  # the server already closed it (shutdown): drop late sends quietly
        kind = message["type"]
        if kind == "websocket.accept":
            await self._send(message)
            self.owner._open.add(self)
            if self.owner.draining:
                await self.going_away()
            return
        if kind == "websocket.close" or kind == "websocket.http.response.body":
            self.closed = not message.get("more_body", False)
            if self.closed:
                self.owner._open.discard(self)
        await self._send(message)

    async def going_away(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.owner._open.discard(self)
        await self._send(
            {"type": "websocket.close", "code": GOING_AWAY, "reason": "server shutdown"}
        )


async def _send_unavailable(send: Send) -> None:
    body = b"Service Unavailable: the server is shutting down."
    try:
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
    except Exception:  # the response had started, or the connection is gone: nothing to say
        pass


def _quiet_cancelled_callbacks(loop: asyncio.AbstractEventLoop, served: GracefulApp) -> Any:
    """Drop asyncio's "Exception in callback ... CancelledError" reports while draining.

    When the grace period ends hypercorn cancels its connection tasks, and asyncio's
    stream protocol reports each cancelled one as an error with a traceback, although
    nothing went wrong: the server was told to stop.
    """
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if served.draining and isinstance(context.get("exception"), asyncio.CancelledError):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    return previous


class GracefulApp:
    """The app as served: closes accepted websockets with 1001 when the server drains.

    HTTP passes straight through; only websocket connections get a wrapped ``send``.
    Lifespan messages are watched to print the banner once startup completed.
    """

    def __init__(self, app: Erlen, on_started: Callable[[], None] | None = None) -> None:
        self.app = app
        self.draining = False
        self._open: set[_Websocket] = set()
        self._on_started = on_started
        self.startup_error: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            try:
                await self.app(scope, receive, send)
            except asyncio.CancelledError:
                # The grace period ran out: hypercorn cancels the request. Without this the
                # client would get hypercorn's 500; 503 says what happened.
                if self.draining:
                    await _send_unavailable(send)
                raise
        elif kind == "websocket":
            conn = _Websocket(self, send)
            try:
                await self.app(scope, receive, conn.send)
            finally:
                self._open.discard(conn)
        elif kind == "lifespan":
            await self.app(scope, receive, self._lifespan_send(send))
        else:
            await self.app(scope, receive, send)

    def _lifespan_send(self, send: Send) -> Send:
        async def lifespan_send(message: dict[str, Any]) -> None:
            kind = message["type"]
            if kind == "lifespan.startup.complete" and self._on_started is not None:
                self._on_started()
            elif kind == "lifespan.startup.failed":
                self.startup_error = message.get("message") or "unknown error"
            await send(message)

        return lifespan_send  # type: ignore[return-value]

    @property
    def open_websockets(self) -> int:
        """How many accepted websockets are open."""
        return len(self._open)

    async def drain(self, timeout: float) -> None:
        """Start shutting down: set ``app.shutdown_event``, close websockets with 1001."""
        self.draining = True
        if self.app.shutdown_event is not None:
            self.app.shutdown_event.set()
        if not self._open:
            return
        closing = [asyncio.ensure_future(conn.going_away()) for conn in list(self._open)]
        _done, pending = await asyncio.wait(closing, timeout=timeout)
        for task in pending:  # a stuck transport must not block the shutdown
            task.cancel()


# --- serving ---------------------------------------------------------------------------------


#: Seconds the requests cancelled at the end of the grace period get to send their 503.
_CANCEL_GRACE = 1.0


def _hypercorn_tasks(name: str) -> list[asyncio.Task[Any]]:
    """Hypercorn's pending tasks running its function ``name``."""
    found = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        if code is not None and code.co_name == name and "hypercorn" in code.co_filename:
            if not task.done():
                found.append(task)
    return found


async def _end_connections() -> None:
    """The grace period is over: cancel the requests still running, then close every
    connection still open.

    Hypercorn enforces ``graceful_timeout`` only after ``Server.wait_closed()`` returns,
    and since Python 3.12 that waits for every open connection, so one slow request would
    hold the shutdown forever (hypercorn issue 308; idle keep-alive connections hypercorn
    closes itself).
    Cancelling hypercorn's own connection tasks instead would make its shutdown raise
    CancelledError and skip the lifespan shutdown on 3.12, so the connections are ended
    the way a client ending them would: each cancelled request answers 503 with
    ``Connection: close`` (see :class:`GracefulApp`), then the transports still open
    are closed, and hypercorn sees every connection finish normally.
    """
    requests = _hypercorn_tasks("_handle")
    for task in requests:
        task.cancel()
    if requests:
        await asyncio.wait(requests, timeout=_CANCEL_GRACE)
    for task in _hypercorn_tasks("_server_callback"):
        frame = getattr(task.get_coro(), "cr_frame", None)
        writer = frame.f_locals.get("writer") if frame is not None else None
        if isinstance(writer, asyncio.StreamWriter):
            writer.close()


def _install_signals(
    loop: asyncio.AbstractEventLoop,
    signals: Iterable[signal.Signals],
    stop: asyncio.Event,
    force_exit: bool,
) -> list[signal.Signals]:
    installed = []

    def on_signal(signum: signal.Signals) -> None:
        if not stop.is_set():
            _echo(f" * {signum.name} received: shutting down gracefully (again to force)")
            stop.set()
        elif force_exit:
            _echo(f" * {signum.name} received again: exiting now")
            os._exit(1)

    for sig in signals:
        try:
            loop.add_signal_handler(sig, on_signal, sig)
        except (NotImplementedError, RuntimeError, ValueError):  # pragma: no cover - non-unix
            continue
        installed.append(sig)
    return installed


async def serve_coroutine(
    app: Erlen,
    host: str | None = None,
    port: int | None = None,
    *,
    shutdown_trigger: Callable[..., Awaitable[Any]] | None = None,
    sockets: Sockets | None = None,
    handle_signals: Iterable[signal.Signals] | None = None,
    force_exit: bool = False,
    show_banner: bool = True,
    **options: Any,
) -> None:
    """Serve ``app`` until ``shutdown_trigger`` returns (default: SIGINT/SIGTERM).

    ``sockets`` are already bound listening sockets (the supervisor passes them); without
    them the sockets are bound here. Raises :class:`ServeError` for a problem the user can
    fix (port in use, bad certificate, app startup failed).
    """
    from hypercorn.asyncio import serve as hypercorn_serve

    options.pop("debug", None)
    config = make_config(host, port, **options)
    apply_app_server_settings(app, config)
    config.workers = 1  # this process serves; the supervisor owns multi-process mode
    check_tls(config)
    if sockets is None:
        sockets = bind_sockets(config)
    urls = socket_urls(sockets)
    _adopt_sockets(config, sockets)
    _quiet_error_log(config)

    def started() -> None:
        if show_banner:
            _echo(banner(app.name, app.debug, urls))

    served = GracefulApp(app, on_started=started)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if handle_signals is None:
        handle_signals = (signal.SIGINT, signal.SIGTERM) if shutdown_trigger is None else ()
    installed = _install_signals(loop, handle_signals, stop, force_exit)
    previous_handler = _quiet_cancelled_callbacks(loop, served)

    async def trigger() -> None:
        waiters = [asyncio.ensure_future(stop.wait())]
        if shutdown_trigger is not None:
            waiters.append(asyncio.ensure_future(shutdown_trigger()))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        started = loop.time()
        await served.drain(timeout=config.graceful_timeout)
        # A little before hypercorn's own deadline, so that the connections end the same
        # way on every Python version (see _end_connections).
        remaining = max(0.0, config.graceful_timeout - (loop.time() - started) - 0.1)
        grace_timer.append(loop.call_later(remaining, end_connections))

    def end_connections() -> None:
        ending.append(asyncio.ensure_future(_end_connections()))

    grace_timer: list[asyncio.TimerHandle] = []
    ending: list[asyncio.Future[None]] = []
    try:
        await hypercorn_serve(served, config, shutdown_trigger=trigger)  # type: ignore[arg-type]
    except Exception as exc:
        from hypercorn.utils import LifespanFailureError, LifespanTimeoutError

        if isinstance(exc, LifespanFailureError) or served.startup_error is not None:
            raise ServeError(f"The app failed to start: {served.startup_error or exc}") from None
        if isinstance(exc, LifespanTimeoutError):
            raise ServeError(f"The app's lifespan timed out: {exc}") from None
        raise
    finally:
        for timer in grace_timer:
            timer.cancel()
        for task in ending:
            task.cancel()
        for sig in installed:
            loop.remove_signal_handler(sig)
        loop.set_exception_handler(previous_handler)


def app_spec_for(app: Erlen) -> str | None:
    """An import path (``module:name``) a worker process can load ``app`` from, or None."""
    module = sys.modules.get(app.import_name)
    if module is None:
        return None
    for name, value in vars(module).items():
        if value is app:
            return f"{app.import_name}:{name}"
    return None


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
    app_spec = options.pop("app_spec", None)
    extra_files = options.pop("extra_files", None) or ()
    try:
        if workers is None:
            # A hypercorn config file may ask for workers; the option wins when given.
            workers = load_hypercorn_config(options.get("config_file")).workers
        workers = int(workers or 1)
        if use_reloader or workers > 1:
            from .supervisor import supervise

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
        _echo(f"Error: {exc}")
        raise SystemExit(1) from None


def _in_spawn_bootstrap() -> bool:
    import multiprocessing

    process = multiprocessing.current_process()
    return bool(getattr(process, "_inheriting", False))
