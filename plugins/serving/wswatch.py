"""The watch over a websocket's client: pings a quiet client, drops one that stays silent,
and bounds the time a message may take to arrive.

hypercorn 0.18 has no idle timeout for websockets: a client that connects and sends
nothing kept its connection (a descriptor and about 19 KB) for good, one that vanished
without a FIN (a dropped mobile link) too, and a message begun and never finished (a
first fragment of 15 MB, then nothing, or a byte every few seconds) held its buffer for
as long as the client liked: 50 such clients held 720 MB of the server. hypercorn's own
``websocket_ping_interval`` pings every connection from its first moment, which every
client sees as an unasked-for first frame, and never checks that a pong comes back.

:class:`WatchedWebsocket`, mixed into the serving plugin's websocket stream, keeps two
times per connection (when the client last sent anything, when the message being
received began) and one timer, set for the nearest deadline and moved only when it fires
(the receive path sets a float per read, no timer call):

- ``websocket_ping_interval`` seconds after the client last sent anything, it is pinged;
  every client library answers a ping, a browser included, so a client that only listens
  (a chat tab) stays connected;
- ``websocket_ping_timeout`` seconds later, if it has still sent nothing (not even the
  pong), the connection is failed with close code 1011 (as the ``websockets`` library's
  keepalive does);
- a message whose first frame arrived ``websocket_message_timeout`` seconds ago and whose
  last has not fails the connection with close code 1008 (policy violation), as
  ``BODY_TIMEOUT`` answers an HTTP body that takes too long with 408.

The settings are hypercorn config attributes set from the app's config
(``WEBSOCKET_PING_INTERVAL``, ``WEBSOCKET_PING_TIMEOUT``, ``WEBSOCKET_MESSAGE_TIMEOUT``,
through ``erlen_server_settings``); a server whose config lacks them watches nothing, as
hypercorn.
"""

from __future__ import annotations

import asyncio
import contextvars
from time import monotonic
from typing import TYPE_CHECKING, Any

from wsproto.events import Event as WSProtoEvent
from wsproto.events import Ping
from wsproto.frame_protocol import CloseReason

#: The hypercorn config attribute with the seconds a websocket client may send nothing
#: before it is pinged (``WEBSOCKET_PING_INTERVAL``). Not hypercorn's own
#: ``websocket_ping_interval``, which pings from the first moment.
PING_INTERVAL_SETTING = "erlen_websocket_ping_interval"
#: The hypercorn config attribute with the seconds a pinged client may go on sending
#: nothing before its connection is failed with 1011 (``WEBSOCKET_PING_TIMEOUT``).
PING_TIMEOUT_SETTING = "erlen_websocket_ping_timeout"
#: The hypercorn config attribute with the seconds a message may take from its first
#: frame to its last before the connection is failed with 1008
#: (``WEBSOCKET_MESSAGE_TIMEOUT``).
MESSAGE_TIMEOUT_SETTING = "erlen_websocket_message_timeout"

#: The shortest wait between two checks, so a deadline already past does not spin.
_MIN_DELAY = 0.05

#: The context the timer runs in. The watch starts inside the app's task (its accept),
#: whose context holds the websocket's: a timer keeping a copy of it, even cancelled
#: (asyncio drops a cancelled timer only when it comes due), kept each closed
#: connection's objects for up to a ping interval
#: (``test_many_connect_disconnect_cycles_leave_nothing_behind``). The timer only reads
#: the stream and starts tasks, so it needs no context variable.
_NO_CONTEXT = contextvars.Context()


class WatchedWebsocket:
    """The watch's state and timer, for hypercorn's ``WSStream`` (the class that mixes it
    in calls :meth:`_start_watch` once the websocket is accepted, sets ``_heard`` when
    data arrives, calls :meth:`_message_begins` when a message is left unfinished (and
    clears ``_message_began`` when it ends), and calls :meth:`_stop_watch` when the
    stream closes)."""

    app_put: Any
    config: Any
    closed: bool
    task_group: Any

    if TYPE_CHECKING:

        async def _fail(self, code: int) -> None:
            """Send the close frame with ``code`` and end the stream (the stream's)."""

        async def _send_wsproto_event(self, event: WSProtoEvent) -> None:
            """Send one wsproto event (hypercorn's ``WSStream``)."""

    # Class-level defaults: an idle connection's instance dict stays small.
    _heard = 0.0
    _message_began: float | None = None
    _pinged_at: float | None = None
    _watch: asyncio.TimerHandle | None = None

    def _start_watch(self) -> None:
        """Begin watching the client, if the server's config asks for any of it."""
        config = self.config
        if (
            getattr(config, PING_INTERVAL_SETTING, None) is None
            and getattr(config, MESSAGE_TIMEOUT_SETTING, None) is None
        ):
            return
        self._heard = monotonic()
        self._schedule(self._next_check())

    def _stop_watch(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None

    def _schedule(self, at: float | None) -> None:
        if at is not None:
            delay = max(at - monotonic(), _MIN_DELAY)
            loop = asyncio.get_running_loop()
            self._watch = loop.call_later(delay, self._check, context=_NO_CONTEXT)

    def _next_check(self) -> float | None:
        """The nearest deadline, or None when nothing is watched."""
        config = self.config
        deadlines = []
        interval = getattr(config, PING_INTERVAL_SETTING, None)
        if interval is not None:
            if self._pinged_at is None:
                deadlines.append(self._heard + interval)
            else:
                timeout = getattr(config, PING_TIMEOUT_SETTING, None)
                if timeout is not None:
                    deadlines.append(self._pinged_at + timeout)
        message_timeout = getattr(config, MESSAGE_TIMEOUT_SETTING, None)
        if message_timeout is not None and self._message_began is not None:
            deadlines.append(self._message_began + message_timeout)
        return min(deadlines) if deadlines else None

    def _message_begins(self, at: float) -> None:
        """A message's first frame arrived (at ``at``) and the message is unfinished: the
        timer is brought forward if it would fire after the message's deadline (rare: a
        message in one frame, the common case, never comes here)."""
        self._message_began = at
        timeout = getattr(self.config, MESSAGE_TIMEOUT_SETTING, None)
        if timeout is None:
            return
        watch = self._watch
        if watch is not None:
            if watch.when() - asyncio.get_running_loop().time() <= timeout:
                return  # it fires first, and looks again then
            watch.cancel()
        self._schedule(at + timeout)

    def _check(self) -> None:
        """The timer fired: act on a deadline that has passed, then wait for the next."""
        self._watch = None
        if self.closed:
            return
        now = monotonic()
        if self._app_backlogged():
            # The client has sent more than the handler has read, so hypercorn has
            # stopped reading the socket: the wait is the app's, and the client's pong
            # (or the rest of its message) waits unread. It is not silent.
            self._heard = now
            if self._message_began is not None:
                self._message_began = now
        config = self.config
        message_timeout = getattr(config, MESSAGE_TIMEOUT_SETTING, None)
        began = self._message_began
        if message_timeout is not None and began is not None and now - began >= message_timeout:
            self._spawn(self._fail, CloseReason.POLICY_VIOLATION)
            return
        interval = getattr(config, PING_INTERVAL_SETTING, None)
        if interval is not None:
            pinged_at = self._pinged_at
            if pinged_at is not None and self._heard >= pinged_at:
                pinged_at = self._pinged_at = None  # the client answered (or spoke)
            if pinged_at is None:
                if now - self._heard >= interval:
                    self._pinged_at = now
                    self._spawn(self._send_wsproto_event, Ping())
            else:
                timeout = getattr(config, PING_TIMEOUT_SETTING, None)
                if timeout is not None and now - pinged_at >= timeout:
                    self._spawn(self._fail, CloseReason.INTERNAL_ERROR)
                    return
        self._schedule(self._next_check())

    def _app_backlogged(self) -> bool:
        """True when the queue of messages for the app is full (hypercorn's ``app_put``
        is that ``asyncio.Queue``'s ``put``)."""
        queue = getattr(self.app_put, "__self__", None)
        return isinstance(queue, asyncio.Queue) and queue.full()

    def _spawn(self, func: Any, *args: Any) -> None:
        """Run ``func(*args)`` in the connection's task group; nothing when the group is
        already ending (the connection is closing: there is nothing left to watch)."""
        coroutine = func(*args)
        try:
            self.task_group.spawn(lambda: coroutine)
        except RuntimeError:  # asyncio's "TaskGroup ... is finished"
            coroutine.close()
