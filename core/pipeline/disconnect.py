"""A request's handler is cancelled when its client goes away before the answer.

Quart reads the ASGI ``receive`` in a task of its own beside every request and cancels the
handler when ``http.disconnect`` arrives: a view awaiting a slow query, a long poll or an
upstream call stops (``CancelledError`` at its ``await``; its teardown functions run)
instead of working on for nobody. Erlen runs the view in the server's task and reads
``receive`` only when the view reads the body, so the ``http`` handler registers each
request whose plan may wait (:func:`may_wait`: a function in it awaits something; decided
per endpoint at freeze) with :class:`ClientWatch`, and a timer ticking every
:data:`WATCH_INTERVAL` seconds while such requests are being handled starts a
:class:`DisconnectWatch` for each one handled since the tick before: only handlers that
wait that long pay for a watch, and a client leaving is noticed at once from then on
(within two ticks of the request's start for an earlier one). A plan whose functions
await nothing cannot give the loop a turn, so no client can be noticed leaving while it
runs: it is not registered.

A watch never takes the body from the view. If the view has not begun reading it, the
watch reads the first message and keeps it for the body's first read (for a request
without a body, that message is all of it); when the body goes on, or the view is reading
it, the watch reads on from the body's last message, which the body announces. So a
handler that leaves unread the rest of a body its client is still sending is not watched:
reading on would take that body from it.

Invariant behind skipping a plan: the handler runs in the server's task, and a coroutine
whose code has no ``await``, ``async with`` or ``async for`` runs to its end without
suspending; while the task does not suspend, no other code runs, the watch included
(tests/core/test_client_disconnect.py, ``test_a_view_that_awaits_nothing_is_not_watched``
and the plan flags of tests/core/test_plan_flags.py).
"""

from __future__ import annotations

import asyncio
import dis
import inspect
from typing import Any

from ..wrappers.request import Body

#: Seconds between two ticks of :class:`ClientWatch` (see the module's docstring).
WATCH_INTERVAL = 0.25


class DisconnectWatch:
    """Read ``receive`` for ``http.disconnect`` on behalf of ``task``, which handles
    ``request``; cancel the task when it comes (:attr:`fired`)."""

    __slots__ = ("_first", "_reader", "_receive", "_request", "_task", "fired")

    def __init__(self, request: Any, receive: Any, task: asyncio.Task[Any]) -> None:
        self._request = request
        self._receive = receive
        self._task: asyncio.Task[Any] | None = task
        self._reader: asyncio.Task[None] | None = None
        self._first: FirstMessage | None = None
        self.fired = False

    def start(self) -> None:
        """Read ``receive`` now, unless the view is reading the body: then from when the
        body's last part arrives."""
        body = self._request.body
        if type(body) is not Body and not isinstance(body, Body):
            return  # another body class: its reading is its own
        if body._complete or body._data is not None:
            self._reader = asyncio.ensure_future(self._read())
        elif not body._started and body._receive is self._receive:
            # The first message, body or not, goes to the body when it reads: the
            # body's reads wait for this reading's first message (FirstMessage).
            self._first = body._receive = FirstMessage(self._receive)
            self._reader = asyncio.ensure_future(self._read())
        else:
            body._on_complete = self._resume

    def close(self) -> None:
        """Stop watching (the handler ended). A first message not read yet is still read
        for the body (a streamed response or a task may read the body later)."""
        self._task = None
        body = self._request._body
        if body is not None and body._on_complete == self._resume:
            body._on_complete = None
        if self._reader is not None and (self._first is None or self._first.given):
            self._reader.cancel()

    def _resume(self) -> None:
        if self._task is not None and (self._reader is None or self._reader.done()):
            self._first = None
            self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        message = await self._receive()
        first = self._first
        if first is not None and not first.given:
            first.give(message)
            if self._task is None:
                return  # closed meanwhile: the body had this message to come
            if message["type"] == "http.request" and message.get("more_body", False):
                # The body goes on: its reader (the view) reads it; watch from its end.
                self._request.body._on_complete = self._resume
                return
        while message["type"] != "http.disconnect":
            message = await self._receive()
        if self._task is not None:
            self.fired = True
            self._task.cancel()


class FirstMessage:
    """A body's ``receive`` while a :class:`DisconnectWatch` reads the first message of
    the request: the body's first read gets that message, its later reads ``receive``."""

    __slots__ = ("_message", "_receive")

    def __init__(self, receive: Any) -> None:
        self._receive = receive
        self._message: asyncio.Future[Any] | None = asyncio.get_running_loop().create_future()

    @property
    def given(self) -> bool:
        """Whether the watch read the first message."""
        return self._message is None or self._message.done()

    def give(self, message: Any) -> None:
        """The first message, read by the watch."""
        if self._message is not None and not self._message.done():
            self._message.set_result(message)

    async def __call__(self) -> Any:
        if self._message is None:
            return await self._receive()
        message = await self._message  # one reader at a time: the body's
        self._message = None
        return message


class ClientWatch:
    """The requests an app's ``http`` handler is handling in one event loop (those of
    plans that may wait), and the watches on their clients.

    The handler calls :meth:`register` as it starts such a request and :meth:`finish` as
    it ends it. The first request in a loop starts the ticking there; requests handled in
    another loop at the same time (another thread) are not watched.
    """

    def __init__(self, interval: float = WATCH_INTERVAL) -> None:
        self.interval = interval
        #: request -> the task handling it.
        self.handling: dict[Any, asyncio.Task[Any]] = {}
        #: request -> the watch on its client (the requests handled for a tick or more).
        self.watches: dict[Any, DisconnectWatch] = {}
        #: The loop ticking (None: none yet).
        self.loop: asyncio.AbstractEventLoop | None = None
        #: The next tick (None: not armed).
        self.timer: asyncio.TimerHandle | None = None
        self._seen: set[int] = set()

    def register(self, request: Any) -> bool:
        """The current task starts handling ``request``; False if it is not watched (its
        loop is not the one ticking, which still runs)."""
        loop = asyncio.get_running_loop()
        if loop is not self.loop:
            if self.loop is not None and self.loop.is_running():
                return False
            # A loop that stopped (a test's) left its requests: start afresh in this one.
            self.handling.clear()
            self.watches.clear()
            self._seen.clear()
            self.loop, self.timer = loop, None
        task = asyncio.current_task(loop)
        if task is None:
            return False
        self.handling[request] = task
        if self.timer is None:
            self.timer = loop.call_later(self.interval, self._tick)
        return True

    def finish(self, request: Any) -> bool:
        """The handler is done with ``request``: stop its watch; True if its client went
        away and its task was cancelled for it."""
        self.handling.pop(request, None)
        watch = self.watches.pop(request, None)
        if watch is None:
            return False
        watch.close()
        return watch.fired

    def _tick(self) -> None:
        self.timer = None
        seen = self._seen
        for request, task in self.handling.items():
            if id(request) in seen and request not in self.watches and not task.done():
                watch = self.watches[request] = DisconnectWatch(request, request._receive, task)
                watch.start()
        self._seen = {id(request) for request in self.handling}
        if self.handling and self.loop is not None:
            self.timer = self.loop.call_later(self.interval, self._tick)


#: The instructions through which a coroutine's code may give the event loop a turn: an
#: ``await``, ``async with`` or ``async for`` (CPython 3.11 to 3.13).
_WAITING_OPS = frozenset(
    dis.opmap[name]
    for name in ("GET_AWAITABLE", "BEFORE_ASYNC_WITH", "GET_AITER", "GET_ANEXT", "SEND")
    if name in dis.opmap
)


def may_wait(func: Any) -> bool:
    """Whether awaiting ``func(...)`` may give the event loop a turn: False only for a
    Python coroutine function whose own code awaits nothing (no ``await``, ``async with``
    or ``async for``); any other callable may (a sync function run in a thread, an object
    with ``__call__``, a wrapper)."""
    code = getattr(func, "__code__", None)
    if code is None or not inspect.iscoroutinefunction(func):
        return True
    return any(instruction.opcode in _WAITING_OPS for instruction in dis.get_instructions(code))
