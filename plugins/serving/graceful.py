"""Graceful shutdown around hypercorn.

In this order (hypercorn's own order plus a first step):

1. SIGINT/SIGTERM (or ``shutdown_trigger``) -> the server starts draining: ``app.shutdown_event``
   is set and every accepted websocket is closed with 1001 (going away). Hypercorn would
   otherwise wait for open websockets until the grace period ends and then drop them,
   because it runs the lifespan shutdown only after its connections are done.
2. Hypercorn stops listening and lets in-flight requests finish within ``graceful_timeout``.
3. Lifespan shutdown: ``after_serving``, ``while_serving`` and the ``erlen_shutdown`` hooks.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .config import echo

if TYPE_CHECKING:
    from erlen import Erlen
    from erlen.typing import Message, Receive, Scope, Send

#: Close code sent to open websockets when the server shuts down (RFC 6455 "going away").
GOING_AWAY = 1001


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


def quiet_cancelled_callbacks(loop: asyncio.AbstractEventLoop, served: GracefulApp) -> Any:
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


# --- ending the connections at the end of the grace period ------------------------------------


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


async def end_connections() -> None:
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


def install_signals(
    loop: asyncio.AbstractEventLoop,
    signals: Iterable[signal.Signals],
    stop: asyncio.Event,
    force_exit: bool,
    announce: bool = True,
) -> list[signal.Signals]:
    """Stop (set ``stop``) on each of ``signals``; with ``force_exit``, exit at once on a
    second one. ``announce``: say so on the terminal (a worker under the supervisor does
    not: the supervisor speaks for the server, once). The signals installed."""
    installed = []

    def on_signal(signum: signal.Signals) -> None:
        if not stop.is_set():
            if announce:
                echo(f" * {signum.name} received: shutting down gracefully (again to force)")
            stop.set()
        elif force_exit:
            if announce:
                echo(f" * {signum.name} received again: exiting now")
            os._exit(1)

    for sig in signals:
        try:
            loop.add_signal_handler(sig, on_signal, sig)
        except (NotImplementedError, RuntimeError, ValueError):  # pragma: no cover - non-unix
            continue
        installed.append(sig)
    return installed
