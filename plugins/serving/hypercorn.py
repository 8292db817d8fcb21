"""One process serving an app with hypercorn (asyncio worker): :func:`serve_coroutine`.

``app.run_task()`` awaits it in the caller's loop, ``app.run()``/``kernel run`` run it in
a new one, and each worker process of the supervisor runs it on the inherited sockets.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.utils import LifespanFailureError, LifespanTimeoutError

from .accepterrors import report_accept_errors
from .config import (
    ServeError,
    adopt_sockets,
    apply_app_server_settings,
    banner,
    bind_sockets,
    check_tls,
    echo,
    make_config,
    quiet_error_log,
    socket_urls,
)
from .graceful import GracefulApp, end_connections, install_signals, quiet_cancelled_callbacks

if TYPE_CHECKING:
    from erlen import Erlen
    from hypercorn.config import Sockets


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
    on_started: Callable[[], None] | None = None,
    **options: Any,
) -> None:
    """Serve ``app`` until ``shutdown_trigger`` returns (default: SIGINT/SIGTERM).

    ``sockets`` are already bound listening sockets (the supervisor passes them); without
    them the sockets are bound here. ``on_started`` is called once the app's lifespan
    startup completed. ``show_banner``: print the banner and the line a stopping signal
    gets (a worker under the supervisor prints neither: the supervisor does). Raises
    :class:`ServeError` for a problem the user can fix (port in use, bad certificate, app
    startup failed).
    """
    options.pop("debug", None)
    config = make_config(host, port, **options)
    apply_app_server_settings(app, config)
    config.workers = 1  # this process serves; the supervisor owns multi-process mode
    check_tls(config)
    if sockets is None:
        sockets = bind_sockets(config)
    urls = socket_urls(sockets)
    adopt_sockets(config, sockets)
    quiet_error_log(config)

    def started() -> None:
        if on_started is not None:
            on_started()
        if show_banner:
            echo(banner(app.name, app.debug, urls))

    served = GracefulApp(app, on_started=started)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if handle_signals is None:
        handle_signals = (signal.SIGINT, signal.SIGTERM) if shutdown_trigger is None else ()
    installed = install_signals(loop, handle_signals, stop, force_exit, announce=show_banner)
    previous_handler = quiet_cancelled_callbacks(loop, served)
    report_accept_errors(loop)  # over the one above; both undone by the finally below

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
        # way on every Python version (see graceful.end_connections).
        remaining = max(0.0, config.graceful_timeout - (loop.time() - started) - 0.1)
        grace_timer.append(loop.call_later(remaining, end_remaining))

    def end_remaining() -> None:
        ending.append(asyncio.ensure_future(end_connections()))

    grace_timer: list[asyncio.TimerHandle] = []
    ending: list[asyncio.Future[None]] = []
    try:
        await hypercorn_serve(served, config, shutdown_trigger=trigger)  # type: ignore[arg-type]
    except Exception as exc:
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
