"""The ASGI side of one websocket connection: accept, receive, send and close.

Per message, ``receive()`` is one await on the server's ``receive`` and ``send()`` one
await on its ``send``: no queue, no task, no pluggy call. Only when a handler that never
received sends twice in a row does the connection start a small *reader* task. It reads
ahead (at most ``_READ_AHEAD`` messages, then it waits: backpressure) so that a client
going away is noticed by a handler that only sends instead of it writing into a closed
socket forever (hypercorn drops such sends silently). Echo, chat, fan-out and
request/response handlers never start it. The connection watch (:mod:`.watch`, one timer
per loop) starts it too for a handler that stays outside ``receive()`` (sending or
awaiting something else) at two ticks in a row, and drops a client whose sends make no
progress for ``WEBSOCKET_SEND_TIMEOUT`` (1008).

When the connection ends, the handler is **cancelled** unless it is the one that found
out (Quart cancels a handler whose client left): the task that sees the end calls
``task.cancel()`` on the handler's task (:meth:`WebsocketChannel._cancel_handler`), so a
handler awaiting a queue, a sleep or a child task ends at once while a task it started
reads the socket. Who sees the end:

- the task that takes the server's ``websocket.disconnect`` out of ``receive()`` (the
  handler itself: ``ConnectionClosed`` and no cancellation; a task it started: that task
  gets ``ConnectionClosed`` and the handler is cancelled);
- the reader, when nobody waits in ``receive()``: the handler is cancelled at once, or,
  when messages read before the disconnect are still unread, once it stops reading them
  (a watch tick without progress): what the client sent before leaving is not lost;
- a ``send()`` the server fails with ``OSError`` (a closed transport), when nobody waits
  in ``receive()``;
- the app closing the connection (``close()``, 1008, 1009) from another task: the watch
  cancels the handler if it has not ended a whole tick later (a handler awaiting the
  tasks that closed it collects their results first).

A cancellation that lands in the handler's own ``receive()``/``send()`` is raised there
as ``ConnectionClosed``; the protocol handler (:mod:`.asgi`) takes every one of them back
when the handler ends, so the server's task is not left marked as cancelled.

Disconnects surface as :class:`~erlen.exceptions.ConnectionClosed` from ``receive()`` and
``send()``. It subclasses ``asyncio.CancelledError``, so ``except ConnectionClosed`` and
``except asyncio.CancelledError`` both see it, and a broad ``except Exception`` in the
handler does not swallow it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sys
from collections.abc import Awaitable, Generator
from typing import TYPE_CHECKING, Any

from erlen import signals
from erlen.exceptions import BadRequest, ConnectionClosed
from erlen.globals import websocket_context_var
from erlen.json import JSONDecodeError
from erlen.utils import encode_headers as encode_header_pairs
from werkzeug.datastructures import Headers

from .settings import (
    CLOSE_ABNORMAL,
    CLOSE_MESSAGE_TOO_BIG,
    CLOSE_NORMAL,
    CLOSE_POLICY_VIOLATION,
)

# While no receiver is connected to any signal, one test stands for the per-message ones.
_receivers = signals.receiver_state

if TYPE_CHECKING:
    from erlen.typing import Receive, Scope, Send

    from .settings import WebsocketSettings

# Connection states.
HANDSHAKE = 0  # nothing sent yet
ACCEPTING = 1  # the accept message is being sent
OPEN = 2  # accepted: messages flow
CLOSED = 3  # closed by us or by the peer (or rejected by closing before accept)
RESPONDED = 4  # the handshake was answered with an HTTP response

# Messages the reader task reads ahead of the handler before it waits.
_READ_AHEAD = 16
# send() yields to the event loop once every 64 sends without a receive() between.
_YIELD_EVERY = 64
_UNWATCHED_WRAP = 2 * _YIELD_EVERY  # where send()'s count goes back to _YIELD_EVERY

_CONCURRENT_RECEIVE = (
    "Another task is already waiting in websocket.receive(); receive from one task only"
    " (hand messages to other tasks with an asyncio.Queue)."
)


class AcceptCall:
    """What ``websocket.accept()`` returns.

    The accept (headers, subprotocol) is recorded when ``accept()`` is called and sent
    when the result is awaited, or else by the next ``receive()``/``send()`` or when the
    handler returns. So ``websocket.accept()`` without ``await`` (as written in one of
    Quart's guide examples) still accepts, and does not warn about an unawaited coroutine.
    """

    __slots__ = ("_channel",)

    def __init__(self, channel: WebsocketChannel) -> None:
        self._channel = channel

    def __await__(self) -> Generator[Any, None, None]:
        return self._channel._accept_now().__await__()


def encode_headers(headers: Any) -> list[tuple[bytes, bytes]]:
    """``dict``/``Headers``/pairs as ASGI ``[(name, value)]`` bytes, names lower-cased."""
    return encode_header_pairs(Headers(headers))


def _sent_from_elsewhere(connection: WebsocketChannel) -> bool:
    """Whether the running code is outside the connection's handler (and its tasks)."""
    ctx = websocket_context_var.get(None)
    return ctx is None or ctx.websocket is not connection


def _send_message(data: Any) -> dict[str, Any]:
    """The ``websocket.send`` message of what is neither exactly ``str`` nor ``bytes``:
    a subclass of either, or a buffer (``bytearray``, ``memoryview``) sent as bytes."""
    if isinstance(data, str):
        return {"type": "websocket.send", "bytes": None, "text": data}
    if isinstance(data, (bytes, bytearray, memoryview)):
        return {"type": "websocket.send", "bytes": bytes(data), "text": None}
    raise TypeError(
        f"websocket.send() takes str or bytes, not {type(data).__name__};"
        " use send_json() for other values"
    )


class InvalidJSONMessage(BadRequest, JSONDecodeError):
    """``receive_json()`` got invalid JSON: a ``BadRequest`` for Erlen code, a
    ``json.JSONDecodeError`` (a ``ValueError``) for code written for Quart."""

    def __init__(self, description: str, doc: str | bytes) -> None:
        BadRequest.__init__(self, description)  # its super().__init__() resets the rest
        JSONDecodeError.__init__(self, description, doc)


class WebsocketChannel:
    """Accept, receive, send and close over ASGI; mixed into :class:`Websocket`."""

    #: The subprotocol chosen at accept, if any.
    subprotocol: str | None = None
    #: The close code once the connection is closed (ours or the peer's), else None.
    close_code: int | None = None
    #: The close reason once the connection is closed.
    close_reason: str = ""
    #: Set when an unhandled error ended the handler (the connection closes with 1011).
    failed: bool = False

    scope: Scope

    # The connection's state starts from these class attributes; an instance gets its
    # own value when one is first set. An idle websocket's instance dict then holds ~25
    # names, within what CPython shares between the instances of a class (30), and costs
    # a few hundred bytes where 31 names cost a 1.6 KB dict of its own.
    _state = HANDSHAKE
    _open = False  # state == OPEN, the one test on the per-message path
    _accept_args: tuple[Any, str | None] | None = None
    _accepting: asyncio.Future[None] | None = None
    # True while a receive() waits; None is the watch's mark "idle since last tick".
    _receiving: bool | None = False
    _received = False  # the handler has called receive() (itself) on this connection
    _unwatched_sends = 0
    _reader: asyncio.Task[None] | None = None
    _buffer: collections.deque[Any] | None = None  # the reader's, made with it
    _waiter: asyncio.Future[None] | None = None
    _space: asyncio.Future[None] | None = None
    _closer: asyncio.Future[None] | None = None
    # Sends waiting on the server, and whether one completed since the watch last looked
    # (its sign of progress, as a count of sends done moving was). Neither counts every
    # message: a count past 256 is a new int object on each change (CPython keeps only
    # the small ones), one per send on a long-lived connection. The watch's verdicts are
    # pinned by test_hostile_slow_clients.py and test_messages.py (test_sends_piling_*).
    _pending = 0
    _progress = False
    _stalled_since: float | None = None
    _aborted: set[asyncio.Task[Any]] | None = None  # senders we cancelled (1008)
    _task: asyncio.Task[Any] | None = None  # the handler's, set by the protocol

    def _init_channel(
        self,
        receive: Receive,
        send: Send,
        settings: WebsocketSettings | None,
        json: Any,
    ) -> None:
        self._asgi_receive = receive
        self._asgi_send = send
        # On the instance, not left to the class defaults: receive() and send() read these
        # on every message, and CPython 3.11 reads a class default through an instance
        # the slow way (unspecialized) each time. A listener whose messages another task
        # receives never set ``_received`` itself. 24 names still fit the dict CPython
        # shares between instances (see the class attributes above).
        self._reader = None
        self._received = False
        self._receiving = False
        self._unwatched_sends = 0
        self._pending = 0
        self._progress = False
        self._json = json
        max_size = settings.max_message_size if settings is not None else None
        self._max_size = max_size
        # Strings are measured in characters first: at most 4 UTF-8 bytes each, so a
        # string this short cannot be too big and is never encoded to be measured.
        self._max_chars = max_size // 4 if max_size is not None else None
        limit = settings.send_queue_size if settings is not None else None
        # No limit is one no send reaches: send() then makes one comparison either way
        # (test_messages.py, test_no_send_queue_size_lets_sends_wait_without_bound).
        self._send_limit = limit if limit is not None else sys.maxsize
        spec = (self.scope.get("asgi") or {}).get("spec_version", "2.0")
        self._spec = tuple(int(part) for part in spec.split(".")[:2] if part.isdigit())

    # --- state ---------------------------------------------------------------------

    _was_accepted = False
    # How the connection's end reaches its handler (set only once it has ended):
    _handler_cancelled = False  # _cancel_handler() ran: cancel at most once per connection
    _cancels = 0  # cancellations of the handler's task requested and not taken back yet
    # The watch's countdown to cancelling the handler: unread messages at the last tick
    # (None: not counting) and ticks since one was read.
    _drain_left: int | None = None
    _drain_idle = 0
    _closed_since: float | None = None  # first watch tick that saw the handler outlive the end
    _overran = False  # WEBSOCKET_DISCONNECT_TIMEOUT passed (logged, cancelled again)

    @property
    def accepted(self) -> bool:
        """Whether the handshake was accepted (the connection may be closed since)."""
        return self._state == OPEN or self._was_accepted

    @property
    def closed(self) -> bool:
        """Whether the connection is closed (by either side) or was rejected."""
        return self._state in (CLOSED, RESPONDED)

    def _set_closed(self, code: int, reason: str) -> None:
        if self._state in (CLOSED, RESPONDED):
            return
        self._was_accepted = self._state == OPEN
        self._state = CLOSED
        self._open = False
        self.close_code = code
        self.close_reason = reason

    @property
    def pending_sends(self) -> int:
        """How many ``send()`` calls to this connection are waiting on the client."""
        return self._pending

    def _closed_error(self) -> ConnectionClosed:
        return ConnectionClosed(
            self.close_code if self.close_code is not None else CLOSE_ABNORMAL, self.close_reason
        )

    # --- accept -----------------------------------------------------------------------

    def accept(self, headers: Any = None, subprotocol: str | None = None) -> Awaitable[None]:
        """Accept the connection (idempotent): ``await websocket.accept()``.

        ``headers`` (a dict, ``Headers`` or pairs) go out with the handshake answer;
        ``subprotocol`` must be one of :attr:`requested_subprotocols`, else
        ``ValueError``. ``receive()`` and ``send()`` accept implicitly.
        """
        if self._state == HANDSHAKE:
            if subprotocol is not None:
                requested = self.requested_subprotocols
                if subprotocol not in requested:
                    raise ValueError(
                        f"Cannot accept subprotocol {subprotocol!r}: the client asked for"
                        f" {requested!r}. Pick one of those, or accept without a subprotocol."
                    )
            self._accept_args = (headers, subprotocol)
        return AcceptCall(self)

    @property
    def requested_subprotocols(self) -> list[str]:
        """The subprotocols the client offered (``Sec-WebSocket-Protocol``), in order."""
        return list(self.scope.get("subprotocols") or ())

    async def _accept_now(self) -> None:
        state = self._state
        if state == ACCEPTING:
            assert self._accepting is not None
            await asyncio.shield(self._accepting)
            return
        if state != HANDSHAKE:
            return
        headers, subprotocol = self._accept_args or (None, None)
        self._state = ACCEPTING
        self._accepting = asyncio.get_running_loop().create_future()
        # ``headers`` always present (empty without any), as in Quart's accept message.
        message: dict[str, Any] = {
            "type": "websocket.accept",
            "subprotocol": subprotocol,
            "headers": encode_headers(headers) if headers else [],
        }
        try:
            await self._asgi_send(message)
        except BaseException as exc:
            self._state = HANDSHAKE  # so _set_closed records it as never accepted
            self._set_closed(CLOSE_ABNORMAL, "")
            self._accepting.set_result(None)
            if isinstance(exc, OSError):
                raise self._closed_error() from exc
            raise
        self._state = OPEN
        self._open = True
        self.subprotocol = subprotocol
        self._accepting.set_result(None)

    async def _prepare_io(self) -> None:
        """Slow path of receive/send: accept implicitly, or raise if closed."""
        if self._state in (HANDSHAKE, ACCEPTING):
            await self._accept_now()
        if self._state != OPEN:
            if asyncio.current_task() is self._task:
                self._drain_left = None  # the handler noticed: the watch need not cancel it
            # Yield once: a handler that catches the error and calls again in a loop
            # must not starve the event loop (and so every other client).
            try:
                await asyncio.sleep(0)
            except asyncio.CancelledError:
                if self._cancels and self._take_back_cancels():
                    raise self._closed_error() from None
                raise
            raise self._closed_error()

    # --- receive ---------------------------------------------------------------------------

    async def receive(self) -> str | bytes:
        """The next message, ``str`` or ``bytes`` as the client sent it.

        Accepts the connection first if needed. Raises
        :class:`~erlen.exceptions.ConnectionClosed` when the client has gone away (or the
        connection was closed), and closes with 1009 a message bigger than
        ``WEBSOCKET_MAX_MESSAGE_SIZE``.
        """
        if not self._open and not self._buffer:
            await self._prepare_io()
        while True:
            try:
                if self._reader is None:
                    if self._receiving:
                        raise RuntimeError(_CONCURRENT_RECEIVE)
                    self._receiving = True
                    # Read, then called: a callable stored on the instance is looked up
                    # the slow way when called as a method (CPython 3.11).
                    asgi_receive = self._asgi_receive
                    try:
                        message = await asgi_receive()
                    finally:
                        self._receiving = False
                    self._unwatched_sends = 0
                    self._received = True
                else:
                    message = await self._next_buffered()
            except asyncio.CancelledError:
                # The app closed the connection from another task while the handler
                # waited here (or the watch's second try): ConnectionClosed, as for a
                # client that left.
                if self._cancels and self._take_back_cancels():
                    raise self._closed_error() from None
                raise
            kind = message["type"]
            if kind == "websocket.receive":
                data = message.get("text")
                if data is None:
                    data = message.get("bytes") or b""
                max_chars = self._max_chars
                if max_chars is not None and len(data) > max_chars and self._too_big(data):
                    await self._close_too_big()
                if _receivers.connected and signals.websocket_received.receivers:
                    await signals.send_async(signals.websocket_received, self, data=data)
                return data  # type: ignore[no-any-return]
            if kind == "websocket.disconnect":
                self._set_closed(message.get("code", CLOSE_NORMAL), message.get("reason") or "")
                if asyncio.current_task() is self._task:
                    self._drain_left = None  # the handler noticed by itself
                else:
                    self._cancel_handler()  # a task it started read the end: cancel it
                raise self._closed_error()
            # websocket.connect (already consumed by the handler) or unknown: skip.

    def _too_big(self, data: str | bytes) -> bool:
        limit = self._max_size
        assert limit is not None
        if isinstance(data, str):
            return len(data) > limit or len(data.encode("utf-8")) > limit
        return len(data) > limit

    async def _close_too_big(self) -> None:
        reason = "Message too big"
        await self.close(CLOSE_MESSAGE_TOO_BIG, reason)
        raise ConnectionClosed(CLOSE_MESSAGE_TOO_BIG, reason)

    async def receive_json(self) -> Any:
        """The next message parsed as JSON (the app's JSON provider).

        Invalid JSON raises :class:`~erlen.exceptions.BadRequest` that is also a
        ``json.JSONDecodeError`` (what Quart raises); the connection stays open, so the
        handler may answer and keep receiving.
        """
        data = await self.receive()
        try:
            return self._json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise InvalidJSONMessage(f"Failed to decode JSON object: {exc}", data) from exc

    # --- the reader task (only for handlers that send without receiving) ---------------

    def _start_reader(self) -> None:
        self._buffer = collections.deque()
        self._reader = asyncio.ensure_future(self._read_ahead())

    async def _read_ahead(self) -> None:
        buffer = self._buffer
        assert buffer is not None
        loop = asyncio.get_running_loop()
        while True:
            while len(buffer) >= _READ_AHEAD:
                self._space = loop.create_future()
                await self._space
            try:
                message = await self._asgi_receive()
            except OSError:
                message = {"type": "websocket.disconnect", "code": CLOSE_ABNORMAL}
            buffer.append(message)
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
            if message["type"] == "websocket.disconnect":
                # Sends fail from now on; receive() still hands out what was read first.
                self._set_closed(message.get("code", CLOSE_NORMAL), message.get("reason") or "")
                if self._waiter is None:  # else whoever waits in receive() gets the end
                    if len(buffer) == 1:
                        self._cancel_handler()  # nothing left to read: the handler is elsewhere
                    else:
                        # Let the handler read what its client sent before leaving: the
                        # watch cancels it once it reads none of that for a whole tick.
                        self._start_countdown()
                return

    async def _next_buffered(self) -> Any:
        buffer = self._buffer
        assert buffer is not None
        if not buffer:
            if self._waiter is not None:
                raise RuntimeError(_CONCURRENT_RECEIVE)
            reader = self._reader
            if reader is not None and reader.done():
                return {"type": "websocket.disconnect", "code": self.close_code or CLOSE_ABNORMAL}
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        message = buffer.popleft()
        space = self._space
        if space is not None and not space.done():
            space.set_result(None)
        return message

    # --- send -----------------------------------------------------------------------------

    async def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message; accepts first if needed.

        Raises :class:`~erlen.exceptions.ConnectionClosed` if the connection is closed, or
        when more than ``WEBSOCKET_SEND_QUEUE_SIZE`` sends already wait on this client
        (it is then closed with 1008).
        """
        if not self._open:
            if self._state == CLOSED and _sent_from_elsewhere(self):
                # Quart drops a send to a client that left when it comes from outside the
                # connection (an HTTP view broadcasting to stored websockets): raising
                # ConnectionClosed, a CancelledError, there would abort that request.
                return
            await self._prepare_io()
        # Both keys, the unused one None, as Quart sends them: clients that read
        # message["bytes"] of a text message (Starlette's test client) get None.
        kind = type(data)
        if kind is str:
            message = {"type": "websocket.send", "bytes": None, "text": data}
        elif kind is bytes:
            message = {"type": "websocket.send", "bytes": data, "text": None}
        else:
            message = _send_message(data)  # a subclass, a buffer, or a TypeError
        pending = self._pending
        if pending >= self._send_limit:
            self._abort_slow_client()
            if _sent_from_elsewhere(self):
                return  # as for a client that left: a broadcasting view goes on
            raise self._closed_error()
        self._pending = pending + 1
        asgi_send = self._asgi_send  # read, then called: as in receive()
        try:
            await asgi_send(message)
        except OSError as exc:  # ASGI 2.4 servers raise an OSError for a gone client
            self._set_closed(CLOSE_ABNORMAL, "")
            if not self._receiving and self._waiter is None:  # else the receiver sees it
                self._cancel_handler()
            raise self._closed_error() from exc
        except asyncio.CancelledError:
            if self._aborted and self._uncancel_if_aborted():
                if _sent_from_elsewhere(self):
                    return
                raise self._closed_error() from None
            if self._cancels and self._take_back_cancels():
                raise self._closed_error() from None
            raise
        finally:
            self._pending -= 1
            self._progress = True
        # Sends since the last receive(), counted 1..63, then 64..127 over and over: the
        # reader test and the yield below give the same answers as with the plain count
        # (at least 2; every 64th), and it stays one of the small ints CPython keeps,
        # never a new object per send (test_messages.py, test_a_push_loop_lets_*).
        unwatched = self._unwatched_sends + 1
        if unwatched == _UNWATCHED_WRAP:
            unwatched = _YIELD_EVERY
        self._unwatched_sends = unwatched
        # A handler that never received gets the reader at its second send in a row (a
        # feed: it learns at once that its client left). One that received reads the
        # socket itself (a reply in several messages, a fan-out) and would pay the
        # reader's extra hop on every message from then on: the watch starts it if the
        # handler stays away from receive() for two ticks. Both kinds end when the client
        # leaves: tests/plugins/websocket/test_disconnect.py (test_*_after_receiving_*).
        if not self._received and unwatched >= 2 and self._reader is None and not self._receiving:
            self._start_reader()
        if _receivers.connected and signals.websocket_sent.receivers:
            await signals.send_async(signals.websocket_sent, self, data=data)
        if unwatched == _YIELD_EVERY:
            # A send that the server takes without waiting (a fast client, or a gone
            # one: hypercorn then drops it) does not suspend, so a push loop would
            # never let the event loop run the reader, other clients or the watch.
            # Yield now and then (request/response handlers wait in receive anyway).
            try:
                await asyncio.sleep(0)
            except asyncio.CancelledError:
                if self._cancels and self._take_back_cancels():
                    raise self._closed_error() from None
                raise

    def _abort_slow_client(self) -> None:
        """Close with 1008: the sends stuck on this client raise ``ConnectionClosed``."""
        code, reason = CLOSE_POLICY_VIOLATION, "Client too slow"
        self._set_closed(code, reason)
        # The stuck sends hold the server's write lock: cancel them (each turns the
        # cancellation into ConnectionClosed), then the close message can go out. It goes
        # from its own task; the connection's end waits for it briefly.
        stuck = tasks_sending_to(self)
        if stuck:
            self._aborted = set(stuck)
            for task in stuck:
                task.cancel()
        if self._task not in stuck:
            self._cancel_handler_soon()
        self._closer = asyncio.ensure_future(self._send_close(code, reason))

    def _uncancel_if_aborted(self) -> bool:
        """In a send cancelled by :meth:`_abort_slow_client`: take the cancellation back
        (the caller turns it into ConnectionClosed, or drops the send) and say so."""
        task = asyncio.current_task()
        aborted = self._aborted
        if aborted is None or task not in aborted:
            return False
        aborted.discard(task)
        uncancel = getattr(task, "uncancel", None)
        if uncancel is not None and task.cancelling():  # type: ignore[attr-defined,union-attr]
            uncancel()
        return True

    # --- the watch (plugins/websocket/watch.py) ---------------------------------------

    def _watch(
        self, now: float, send_timeout: float | None, disconnect_timeout: float | None
    ) -> bool:
        """One tick of the connection watch: stalled sends, idle handler, a handler not
        reading what its departed client sent, a handler outliving its connection.

        Returns True once, when the handler is still running ``disconnect_timeout``
        seconds after its connection ended (the watch logs it and cancels it again).
        """
        if self._state in (CLOSED, RESPONDED):
            if self._task is None:
                return False  # the handler is over (the protocol is closing)
            if self._drain_left is not None:
                left = len(self._buffer or ())
                if left < self._drain_left:  # the handler read some: it may go on
                    self._drain_left = left
                    self._drain_idle = 0
                elif self._drain_idle:  # a second tick without reading: a whole interval
                    self._drain_left = None
                    self._cancel_handler()
                else:
                    self._drain_idle = 1
            since = self._closed_since
            if since is None:
                self._closed_since = now
            elif disconnect_timeout is not None and not self._overran:
                if now - since >= disconnect_timeout:
                    self._overran = True
                    return True
            return False
        if self._pending:
            if self._stalled_since is None or self._progress:
                self._stalled_since = now
                self._progress = False
            elif send_timeout is not None and now - self._stalled_since >= send_timeout:
                self._abort_slow_client()
            return False
        self._stalled_since = None
        if self._reader is None and not self._receiving:
            if self._receiving is None:  # idle since the last tick: watch the client
                self._start_reader()
            else:
                self._receiving = None  # receive() resets it
        return False

    # --- ending the handler ---------------------------------------------------------

    def _cancel_handler(self, again: bool = False) -> None:
        """The connection is over and the handler cannot learn it where it waits: cancel
        its task (once; ``again`` for the watch's second try). Nothing when the running
        task is the handler (it gets ``ConnectionClosed``) or when it has ended."""
        task = self._task
        if task is None or task.done() or (self._handler_cancelled and not again):
            return
        if task is asyncio.current_task():
            return
        self._handler_cancelled = True
        if task.cancel(f"websocket connection closed ({self.close_code})"):
            self._cancels += 1

    def _cancel_handler_soon(self) -> None:
        """The app closed the connection from another task: cancel the handler if it
        has not ended (or noticed, in ``receive()``/``send()``) a whole watch tick later.
        Not at once: a handler awaiting the very tasks that closed it (a ``gather`` of
        its sends, dropped with 1008) collects their results and returns by itself."""
        task = self._task
        if task is None or task is asyncio.current_task() or self._handler_cancelled:
            return
        self._start_countdown()

    def _start_countdown(self) -> None:
        self._drain_left = len(self._buffer or ())
        self._drain_idle = 0

    def _take_back_cancels(self) -> bool:
        """In the handler's task: take back the cancellations :meth:`_cancel_handler`
        requested. True when no other cancellation is pending (a server shutting down):
        the caller then raises ``ConnectionClosed`` or goes on instead of propagating."""
        task = asyncio.current_task()
        if task is None or task is not self._task:
            return False
        while self._cancels and task.cancelling():
            task.uncancel()
            self._cancels -= 1
        self._cancels = 0
        return task.cancelling() == 0

    async def send_json(self, *args: Any, **kwargs: Any) -> None:
        """Send JSON (the app's provider), as ``jsonify`` takes its arguments.

        One positional argument is sent as is, several as a list, keyword arguments as
        an object; both at once is a ``TypeError``.
        """
        if args and kwargs:
            raise TypeError("send_json() behavior undefined when passed both args and kwargs")
        if len(args) == 1:
            data = args[0]
        else:
            data = args or kwargs
        await self.send(self._json.dumps(data))

    # --- close ------------------------------------------------------------------------

    async def close(self, code: int, reason: str = "") -> None:
        """Close the connection with ``code`` and ``reason``.

        Before the handshake was accepted this rejects it: the server answers HTTP 403.
        Closing an already closed connection does nothing. Closed from another task (one
        the handler started, another connection's handler, a view), the handler is
        cancelled: it cannot use the connection any more.
        """
        if self._state == ACCEPTING:
            await self._accept_now()
        if self._state in (CLOSED, RESPONDED):
            return
        self._set_closed(code, reason)
        self._cancel_handler_soon()
        await self._send_close(code, reason)

    async def _send_close(self, code: int, reason: str) -> None:
        message: dict[str, Any] = {"type": "websocket.close", "code": code}
        if self._spec >= (2, 3):  # the key exists from ASGI 2.3 on; Quart sends it empty too
            message["reason"] = reason
        with contextlib.suppress(OSError):
            await self._asgi_send(message)

    async def _stop_tasks(self) -> None:
        """End the reader and closer tasks (the connection is over)."""
        closer = self._closer
        if closer is not None and not closer.done():
            await asyncio.wait([closer], timeout=1.0)
            closer.cancel()
        reader = self._reader
        if reader is not None and not reader.done():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader


def tasks_sending_to(channel: WebsocketChannel) -> list[asyncio.Task[Any]]:
    """The tasks (other than the current one) suspended in ``channel.send()``.

    Found by walking each task's chain of awaited coroutines: this runs only when a slow
    client is dropped, so that ``send()`` need not record its task (a measurable cost
    per message).
    """
    current = asyncio.current_task()
    found = []
    for task in asyncio.all_tasks():
        if task is current or task.done():
            continue
        coro: Any = task.get_coro()
        for _depth in range(64):
            code = getattr(coro, "cr_code", None)
            if code is None:
                break
            if code is _SEND_CODE:
                if coro.cr_frame is not None and coro.cr_frame.f_locals.get("self") is channel:
                    found.append(task)
                break
            coro = coro.cr_await
    return found


_SEND_CODE = WebsocketChannel.send.__code__
