"""One periodic check of an app's open connections per event loop (no task per connection).

Every ``WATCH_INTERVAL`` seconds (less when ``WEBSOCKET_SEND_TIMEOUT`` is short) a timer
callback looks at each open connection of the loop (a few attribute reads each) and:

- drops a client whose pending send made no progress for ``WEBSOCKET_SEND_TIMEOUT``
  (close 1008, the stuck senders get ``ConnectionClosed``);
- starts the connection's reader for a handler seen outside ``receive()``/``send()`` at
  two ticks in a row (it is awaiting something else), so that a disconnect is noticed
  (the reader then cancels the handler: :mod:`.channel`);
- cancels a handler whose client left while messages it sent before were still unread,
  at the first tick the handler read none of them;
- logs (once, a warning naming the route) and cancels again a handler still running
  ``WEBSOCKET_DISCONNECT_TIMEOUT`` seconds after its connection ended.

Per message this costs nothing: ``receive()`` and ``send()`` update the counters and flags
they already keep. The timer stops at the first tick that finds no connection.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .channel import WebsocketChannel

#: Seconds between two checks of a loop's open connections.
WATCH_INTERVAL = 0.25


class ConnectionWatch:
    """The open connections of one app in one event loop, checked on a timer."""

    __slots__ = (
        "_connections",
        "_disconnect_timeout",
        "_interval",
        "_logger",
        "_loop",
        "_owner",
        "_send_timeout",
        "_timer",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        send_timeout: float | None,
        owner: dict[asyncio.AbstractEventLoop, ConnectionWatch],
        disconnect_timeout: float | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self._loop = loop
        self._send_timeout = send_timeout
        self._disconnect_timeout = disconnect_timeout
        self._logger = logger or logging.getLogger("erlen.websocket")
        self._interval = WATCH_INTERVAL
        for timeout in (send_timeout, disconnect_timeout):
            if timeout is not None:
                self._interval = max(0.01, min(self._interval, timeout / 4))
        self._owner = owner
        self._connections: set[WebsocketChannel] = set()
        self._timer: asyncio.TimerHandle | None = None

    def add(self, connection: WebsocketChannel) -> None:
        """Watch ``connection`` until :meth:`discard`."""
        self._connections.add(connection)
        if self._timer is None:
            self._timer = self._loop.call_later(self._interval, self._tick)

    def discard(self, connection: WebsocketChannel) -> None:
        """Stop watching ``connection`` (the next tick stops the timer if none is left:
        short connections one after another do not restart it each time)."""
        self._connections.discard(connection)

    def _tick(self) -> None:
        self._timer = None
        if not self._connections:
            if self._owner.get(self._loop) is self:
                del self._owner[self._loop]
            return
        # Rescheduled first: one connection's failure must not stop the watch for all.
        self._timer = self._loop.call_later(self._interval, self._tick)
        now = self._loop.time()
        send_timeout = self._send_timeout
        disconnect_timeout = self._disconnect_timeout
        for connection in list(self._connections):
            if connection._watch(now, send_timeout, disconnect_timeout):
                self._overran(connection)

    def _overran(self, connection: WebsocketChannel) -> None:
        """A handler outlived its connection by ``WEBSOCKET_DISCONNECT_TIMEOUT``."""
        path = getattr(connection, "path", None) or connection.scope.get("path", "?")
        self._logger.warning(
            "The websocket handler for %r is still running %.1fs after its connection ended"
            " (close code %s): cancelling it. A handler must end once its client is gone;"
            " one that catches asyncio.CancelledError (or ConnectionClosed) must return"
            " or re-raise it.",
            path,
            self._disconnect_timeout,
            connection.close_code,
        )
        connection._cancel_handler(again=True)


def watch_for(
    watches: dict[asyncio.AbstractEventLoop, ConnectionWatch],
    send_timeout: float | None,
    disconnect_timeout: float | None = None,
    logger: logging.Logger | None = None,
) -> ConnectionWatch:
    """The running loop's watch in ``watches`` (made on first use, and anew when the
    timeouts changed: the connections already watched keep the old watch and timeouts)."""
    loop = asyncio.get_running_loop()
    watch = watches.get(loop)
    if (
        watch is None
        or watch._send_timeout != send_timeout
        or watch._disconnect_timeout != disconnect_timeout
    ):
        watch = watches[loop] = ConnectionWatch(
            loop, send_timeout, watches, disconnect_timeout, logger
        )
    return watch
