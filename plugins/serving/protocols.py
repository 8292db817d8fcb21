"""Hypercorn's connection classes with the defects a hostile client can use closed.

Hypercorn 0.18 (h11, wsproto) has no setting for any of these, and no way to pass it
protocol classes, so :func:`install` puts small subclasses in place of the classes its
modules look up by name when a connection arrives. Each subclass changes one decision and
leaves the rest to hypercorn:

- :class:`HardenedTCPServer`: when the client closes its side, the connection is closed
  at once (hypercorn kept it, in CLOSE_WAIT, until its keep-alive timer ran out: 5 s of a
  file descriptor per closed connection); a connection accepted just as the server
  begins to stop gets its request answered instead of being closed unanswered. Once the
  client is gone, what the app sends is dropped without a write, and the sender yields
  to the loop, so the app's disconnect watcher runs (hypercorn wrote every chunk to the
  dead socket, each logging ``socket.send() raised exception.``, and a body that awaits
  nothing else ran to its end without the loop turning). A client that half-closed
  after its requests gets the connection closed once they are answered, not after the
  keep-alive timeout.
- :class:`HardenedH11Protocol`: a request with both ``Content-Length`` and
  ``Transfer-Encoding`` gets 400 and the connection is closed (RFC 9112 section 6.1: the
  two framings disagree, the classic request-smuggling vector), and so does an
  absolute-form target whose authority is not the ``Host`` header (RFC 9112 section
  3.2.2: the two names of the host disagree); a response sent before
  the request body was read announces ``Connection: close``, since hypercorn closes such a
  connection after the response (Erlen's early 413 and 408). With ``HTTP2_CLEARTEXT``
  off, cleartext HTTP/2 (``Upgrade: h2c``, the prior-knowledge preface) is not spoken.
  Bytes after a request that closes the connection are ignored
  (:class:`ClosingConnection`), not answered with 400 in place of that request's response,
  and a chunk-size line ended by a bare LF gets 400 at once (h11 waited for a CRLF).
  ``100 Continue`` is sent when the app first reads the body (:class:`ContinueOnReceive`),
  not as soon as the request head is read: a body the app refuses unread stays unsent.
- :class:`HardenedH2Protocol`: a client resetting streams as fast as it opens them
  (HTTP/2 "rapid reset") gets GOAWAY (ENHANCE_YOUR_CALM) and the connection is closed;
  hypercorn started the app for every stream and, past 1,000 waiting streams, ended the
  connection with an unhandled ``TooManyStreamsError`` traceback. The same for more apps
  running than twice the streams h2 lets be open: streams h2 itself reset for a client's
  error ("MadeYouReset"), which hypercorn is not told of. A request whose
  ``:path`` or ``:method`` is not ASCII has its stream reset (PROTOCOL_ERROR), a plain
  ``CONNECT`` gets 405, and DATA for a stream already answered is acknowledged and
  dropped; each ended the whole connection with a traceback. A stream closed before its
  response ended (an app failing in a streamed body) is reset (INTERNAL_ERROR), where
  hypercorn left it open. When the connection closes, the streams' buffers are closed,
  so an app waiting to send is let go. A request body waits for its app beside the app's
  queue and a websocket's DATA is handed over in a task of its own, so an app slow to
  read holds no other stream (hypercorn waited for room in the queue in the task reading
  the connection); the client's flow-control credit comes back as the app reads
  (:class:`ReportOnReceive`). A connection by prior knowledge that sends nothing after
  its preface is idle, and closed after the keep-alive timeout.
- :class:`HardenedWSStream`: a websocket message over the limit, or a frame wsproto cannot
  parse, *fails* the connection (RFC 6455 section 7.1.7): the close frame (1009, 1007,
  1002) is sent and the connection closed, instead of waiting for a close frame the
  client may never send while the handler lives on. Over HTTP/2 the stream is ended
  after the close frame, whoever closed. Compression is negotiated only when the app
  enables it (``WEBSOCKET_COMPRESSION``), and then with :class:`BoundedPerMessageDeflate`.
- :class:`CheckedFrames`: a client's close with 1014, a registered code wsproto does not
  know, closes cleanly with that code (wsproto failed it with 1002); a frame whose header
  declares more than the message size limit fails the connection with 1009 at once
  (wsproto waited for its payload).
- :class:`BoundedPerMessageDeflate`: inflates at most the message size limit (plus one
  byte) of each message and fails the connection with 1009 beyond it; wsproto inflated a
  whole frame whatever its size (a 254 kB frame became 256 MiB).
- :class:`ByteCountedBuffer`: the message being received is measured against the limit
  in UTF-8 bytes; hypercorn counted a text message's characters (four times the limit
  in bytes for 4-byte characters).
- :class:`ClosedWhenRefused` (:class:`HardenedHTTPStream`, :class:`HardenedWSStream`): a
  request hypercorn answers itself (a websocket handshake it refuses, a ``Host`` outside
  ``server_names``) closes its stream, and so an HTTP/1.1 connection, and ends an app
  already started; hypercorn kept both for good. A stream closing with its app's queue
  full of messages the app will not read (a body it answered without reading, a
  websocket it closed) empties it (:func:`drop_unread`): hypercorn's reading of the
  connection, and the app's disconnect, waited for room in it for good.
- :class:`CheckedHandshake`: a websocket handshake whose ``Connection`` or
  ``Sec-WebSocket-*`` value is not ASCII gets 400 (wsproto's parser raised: no answer, a
  traceback in the log), and so does one whose key is not one base64 of 16 bytes
  (hypercorn switched protocols); a compression offer wsproto cannot read is declined.
- :class:`FlowControlledStreamBuffer`: an HTTP/2 response waits while the client's flow
  control window is closed (hypercorn let the app go on as soon as it sent nothing, so a
  client that never opened its window had the whole response buffered in the server); a
  body is buffered a slice at a time, and a stream whose client takes nothing for
  ``send_timeout`` is reset (:meth:`HardenedH2Protocol.stream_send`).
- :class:`EscapedAccessLogAtoms`: the access log's values with unprintable characters
  escaped (a request line could write a forged line of its own), and a query string
  that is not UTF-8 logged instead of raising.

A client that takes nothing of what it is sent for ``send_timeout`` seconds (``SEND_TIMEOUT``)
is dropped (:class:`HardenedTCPServer`): hypercorn held its connection, and the response
asyncio buffered for it, for as long as it liked. A TLS client that goes on sending after
the server closed its side is closed quietly (hypercorn logged a traceback).

Lean connection state, for the memory of idle websockets (``kernel run`` with 1,000 idle
websockets: 25.0 KB each before, 19.3 KB now, hypercorn's share included): the empty
``deque``s of a connection's asyncio primitives (the app's receive queue, of
:class:`LeanTaskGroup`; the protocol's ``can_read`` event; the stream protocol's drain
waiters; wsproto's event buffer) become :class:`WaiterList` objects, and a websocket's h11
connection is let go once the 101 is sent (:meth:`HardenedH11Protocol.stream_send`).

The replacement is process-wide and done once; it applies to every hypercorn server of
the process (the testing plugin's ``serve_app`` included). A server whose config has no
``websocket_compression`` attribute keeps hypercorn's choice of negotiating compression,
with the bounded inflater. ``tests/plugins/serving/test_hardening.py`` pins each
behaviour over a real socket, so a hypercorn release that changes these internals fails
there, not in production.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import re
import ssl
import zlib
from collections.abc import Awaitable, Callable, Generator
from contextvars import ContextVar
from functools import partial
from time import monotonic
from typing import Any

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h11
import hypercorn.asyncio.run as hypercorn_run
import hypercorn.asyncio.tcp_server as hypercorn_tcp
import hypercorn.logging as hypercorn_logging
import hypercorn.protocol as hypercorn_protocol
import hypercorn.protocol.h2 as hypercorn_h2
import hypercorn.protocol.h11 as hypercorn_h11
import hypercorn.protocol.ws_stream as hypercorn_ws
import priority
import wsproto.connection as wsproto_connection
from h11._readers import ChunkedReader
from hypercorn.asyncio.task_group import TaskGroup
from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.events import Closed, RawData, Updated
from hypercorn.logging import AccessLogAtoms
from hypercorn.protocol.events import Body, Data, EndBody, EndData, Response, StreamClosed
from hypercorn.protocol.h2 import (
    BUFFER_HIGH_WATER,
    BUFFER_LOW_WATER,
    BufferCompleteError,
    H2Protocol,
    StreamBuffer,
)
from hypercorn.protocol.h11 import H11Protocol, H11WSConnection
from hypercorn.protocol.http_stream import HTTPStream
from hypercorn.protocol.ws_stream import (
    ASGIWebsocketState,
    FrameTooLargeError,
    Handshake,
    WebsocketBuffer,
    WSStream,
)
from wsproto.connection import ConnectionState
from wsproto.events import CloseConnection, Message, Ping, TextMessage
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import (
    CloseReason,
    Frame,
    FrameDecoder,
    FrameProtocol,
    ParseFailed,
)

from .wswatch import WatchedWebsocket

#: The hypercorn config attribute (set through ``erlen_server_settings``) that says
#: whether websocket compression may be negotiated.
COMPRESSION_SETTING = "websocket_compression"

#: The hypercorn config attribute that says whether HTTP/2 may be spoken without TLS
#: (prior knowledge, or ``Upgrade: h2c``).
H2C_SETTING = "h2_cleartext"

#: The hypercorn config attribute with the seconds a client may take none of the data
#: the server has to send it before the connection is dropped (``SEND_TIMEOUT``).
SEND_TIMEOUT_SETTING = "send_timeout"

#: The inflate limit of the connection being accepted: :meth:`HardenedWSStream._accept`
#: sets it around hypercorn's handshake, which builds the extension without arguments.
_inflate_limit: ContextVar[int] = ContextVar("erlen_inflate_limit", default=16 * 1024 * 1024)

#: What the app's first ``receive()`` awaits, for the request being set up: the sending
#: of ``100 Continue`` (:meth:`HardenedH11Protocol._create_stream` sets it around
#: hypercorn's creation of a stream whose client waits for one).
_first_receive: ContextVar[Callable[[], Awaitable[None]] | None] = ContextVar(
    "erlen_first_receive", default=None
)

#: What each message the app receives is handed to, for the HTTP/2 request being set up:
#: its stream's :meth:`HardenedH2Protocol._body_taken` (set around the stream's creation).
_on_receive: ContextVar[Callable[[dict[str, Any]], Awaitable[None]] | None] = ContextVar(
    "erlen_on_receive", default=None
)


class WaiterList(list):  # type: ignore[type-arg]
    """A ``list`` with ``popleft``: what asyncio's queues and events, wsproto's event
    buffer and asyncio's stream protocol call on their ``deque`` (append, popleft,
    remove, iteration, length). An empty ``deque`` allocates its first 64-slot block at
    once (about 700 bytes); an empty list, 56 bytes. These hold a waiter or two, a
    message or two: ``pop(0)`` costs nothing at that size."""

    __slots__ = ()

    def popleft(self) -> Any:
        """Remove and return the first item (``IndexError`` when empty, as a deque)."""
        return self.pop(0)


def _slim(owner: Any, name: str) -> None:
    """Put an empty :class:`WaiterList` in place of ``owner.name``, an empty ``deque``
    (anything else, e.g. after a change in a library's internals, is left alone)."""
    current = getattr(owner, name, None)
    if type(current) is collections.deque and not current:
        setattr(owner, name, WaiterList())


def slim_queue(queue: asyncio.Queue[Any]) -> None:
    """An unused ``asyncio.Queue`` with its four deques (items, getters, putters, the
    ``join()`` event's waiters) made lists."""
    for name in ("_queue", "_getters", "_putters"):
        _slim(queue, name)
    _slim(getattr(queue, "_finished", None), "_waiters")


class ContinueOnReceive:
    """hypercorn's app, for one request whose client waits for ``100 Continue``: the app's
    first ``receive()`` (it wants the body) awaits ``first_receive`` (which sends the
    100), then receives as usual."""

    __slots__ = ("app", "first_receive")

    def __init__(self, app: Any, first_receive: Callable[[], Awaitable[None]]) -> None:
        self.app = app
        self.first_receive: Callable[[], Awaitable[None]] | None = first_receive

    async def __call__(self, scope: Any, receive: Any, *args: Any) -> None:
        async def receive_after_continue() -> Any:
            first_receive, self.first_receive = self.first_receive, None
            if first_receive is not None:
                await first_receive()
            return await receive()

        await self.app(scope, receive_after_continue, *args)


class ReportOnReceive:
    """hypercorn's app, for one HTTP/2 request: each message the app receives is handed
    to ``taken`` before the app sees it (the client's flow-control credit for the body
    the app has now read is given back there: :meth:`HardenedH2Protocol._body_taken`)."""

    __slots__ = ("app", "taken")

    def __init__(self, app: Any, taken: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        self.app = app
        self.taken = taken

    async def __call__(self, scope: Any, receive: Any, *args: Any) -> None:
        taken = self.taken

        async def receive_and_report() -> Any:
            message = await receive()
            await taken(message)
            return message

        await self.app(scope, receive_and_report, *args)


class LeanTaskGroup(TaskGroup):
    """hypercorn's per-connection task group, whose queue to each app (its ``receive``)
    is a :func:`slim_queue`: 2.8 KB less for each open websocket. An app serving a request
    whose client waits for ``100 Continue`` gets it with its first ``receive()``; an
    HTTP/2 app reports each message it receives (:class:`ReportOnReceive`)."""

    async def spawn_app(self, app: Any, *args: Any, **kwargs: Any) -> Any:
        first_receive = _first_receive.get()
        if first_receive is not None:
            app = ContinueOnReceive(app, first_receive)
        taken = _on_receive.get()
        if taken is not None:
            app = ReportOnReceive(app, taken)
        put = await super().spawn_app(app, *args, **kwargs)
        queue = getattr(put, "__self__", None)
        if isinstance(queue, asyncio.Queue):
            slim_queue(queue)  # the app task is created, not yet run: nothing is queued
        return put


class BoundedPerMessageDeflate(PerMessageDeflate):
    """permessage-deflate (RFC 7692) that inflates at most ``max_size`` bytes a message."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_size = _inflate_limit.get()
        self._inflated = 0

    def frame_inbound_payload_data(
        self, proto: FrameDecoder | FrameProtocol, data: bytes
    ) -> bytes | CloseReason:
        """Inflate ``data`` up to the message's remaining budget; 1009 past it."""
        if not self._inbound_compressed or not self._inbound_is_compressible:
            return data  # an uncompressed frame: hypercorn's message buffer bounds it
        assert self._decompressor is not None
        budget = self.max_size - self._inflated + 1
        try:
            inflated = self._decompressor.decompress(bytes(data), budget)
        except zlib.error:
            return CloseReason.INVALID_FRAME_PAYLOAD_DATA
        self._inflated += len(inflated)
        if self._inflated > self.max_size:
            return CloseReason.MESSAGE_TOO_BIG
        return inflated

    def frame_inbound_complete(
        self, proto: FrameDecoder | FrameProtocol, fin: bool
    ) -> bytes | CloseReason | None:
        """The end of a frame; the budget starts again with the next message."""
        if fin:
            self._inflated = 0
        return super().frame_inbound_complete(proto, fin)


class ByteCountedBuffer(WebsocketBuffer):
    """hypercorn's buffer of the websocket message being received, measuring text in
    UTF-8 bytes, as ``websocket_max_message_size`` (``WEBSOCKET_MAX_MESSAGE_SIZE``) is:
    hypercorn counted characters, so a text message of 4-byte characters was taken up to
    four times the limit (64 MB on the wire for the 16 MiB default, +152 MB of peak
    memory under ``kernel run``) before the app refused it."""

    def extend(self, event: Message) -> None:
        super().extend(event)  # counts characters, and raises past the limit
        data = event.data
        if type(event) is TextMessage and not data.isascii():  # isascii(): a flag read
            self.length += len(data.encode()) - len(data)
            if self.length > self.max_length:
                raise FrameTooLargeError()


#: Close codes registered with IANA (RFC 6455 section 11.7) that wsproto's list lacks:
#: 1014, "Bad Gateway" (a proxy's close when its upstream failed). wsproto failed a close
#: with it as an unknown reserved code (1002); ``websockets`` and Node's ``ws`` take it.
_REGISTERED_CLOSE_CODES = frozenset({1014})


class CheckedFrames(FrameProtocol):
    """wsproto's frame parser for a server, with two decisions changed.

    A client's close with a registered code wsproto does not know
    (:data:`_REGISTERED_CLOSE_CODES`) is a close, not a protocol error: the server answers
    the closing handshake with the same code and the handler sees the client's code and
    reason, as for 1000. Other codes are checked as wsproto does (999, 1004-1006, 1015,
    1016-2999, past 4999: 1002).

    An uncompressed data frame whose header declares more than the message size limit
    (``WEBSOCKET_MAX_MESSAGE_SIZE``) fails the connection with 1009 as soon as its header
    is read, as a ``Content-Length`` over ``MAX_CONTENT_LENGTH`` gets 413 before the body:
    wsproto waited for the payload, so a header declaring 2**63 bytes followed by nothing
    held the connection until ``WEBSOCKET_MESSAGE_TIMEOUT``. A compressed frame is
    bounded as it is inflated (:class:`BoundedPerMessageDeflate`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built within the handshake's accept, where the connection's limit is set.
        self.max_size = None if self.client else _inflate_limit.get()

    def received_frames(self) -> Generator[Frame, None, None]:
        """wsproto's frames; ParseFailed (1009) once a frame's header declares more than
        the limit."""
        yield from super().received_frames()
        header = self._frame_decoder.header
        if (
            header is not None
            and self.max_size is not None
            and header.payload_len > self.max_size
            and not header.rsv.rsv1
        ):
            raise ParseFailed(
                "frame longer than the message size limit", CloseReason.MESSAGE_TOO_BIG
            )

    def _process_close(self, frame: Frame) -> Frame:
        payload = frame.payload
        assert isinstance(payload, (bytes, bytearray))
        code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
        if code not in _REGISTERED_CLOSE_CODES:
            return super()._process_close(frame)
        # wsproto's own checks (the reason's UTF-8) on the frame with a code it knows.
        known = CloseReason.NORMAL_CLOSURE.to_bytes(2, "big") + bytes(payload[2:])
        parsed = super()._process_close(
            Frame(frame.opcode, known, frame.frame_finished, frame.message_finished)
        )
        assert isinstance(parsed.payload, tuple)
        return Frame(
            parsed.opcode, (code, parsed.payload[1]), parsed.frame_finished, parsed.message_finished
        )


def _one_valid_key(headers: list[tuple[bytes, bytes]]) -> bool:
    """True when the handshake has exactly one ``Sec-WebSocket-Key``, the base64 of 16
    bytes (24 characters)."""
    keys = [value for name, value in headers if name.lower() == b"sec-websocket-key"]
    if len(keys) != 1:
        return len(keys) == 0  # no key: hypercorn's own check answers 400
    try:
        return len(base64.b64decode(keys[0].strip(), validate=True)) == 16
    except ValueError:  # binascii.Error
        return False


class CheckedHandshake(Handshake):
    """hypercorn's websocket handshake, invalid (400) when a header it splits is not
    ASCII: wsproto's ``split_comma_header`` raised ``UnicodeDecodeError`` for
    ``Sec-WebSocket-Protocol: \\xff``, and the connection ended unanswered."""

    garbled = False

    def __init__(self, headers: list[tuple[bytes, bytes]], http_version: str) -> None:
        try:
            super().__init__(headers, http_version)
        except UnicodeDecodeError:
            self.garbled = True
        if self.subprotocols is not None and "" in self.subprotocols:
            # RFC 9110 section 5.6.1: empty list elements are ignored. wsproto kept them
            # (``Sec-WebSocket-Protocol: ,,`` offered "" three times), and a handler
            # accepting the first offer answered with an empty subprotocol.
            self.subprotocols = [name for name in self.subprotocols if name]
        if http_version == "1.1" and not _one_valid_key(headers):
            # RFC 6455 section 4.2.1: the key is the base64 of 16 bytes, sent once, and a
            # server answers anything else with 400. hypercorn took ``x``, or the last of
            # two keys, and switched protocols.
            self.garbled = True

    def is_valid(self) -> bool:
        return not self.garbled and super().is_valid()

    def accept(self, subprotocol: str | None, additional_headers: Any) -> Any:
        """Accept; a compression offer wsproto cannot read is declined (RFC 7692 section 7:
        a server declines an offer with an invalid parameter value). wsproto's ``int()``
        of ``server_max_window_bits=abc`` raised ``ValueError`` in the app's accept (with
        ``WEBSOCKET_COMPRESSION`` on): the handler failed, and the connection ended
        unanswered with a second traceback from hypercorn."""
        try:
            return super().accept(subprotocol, additional_headers)
        except ValueError:
            if not self.extensions:
                raise
            self.extensions = None
            return super().accept(subprotocol, additional_headers)


class FlowControlledStreamBuffer(StreamBuffer):
    """hypercorn's buffer of an HTTP/2 response, whose writer is let go only once the
    buffer has drained below the low-water mark (hypercorn let it go whenever one pop
    took less than that: a closed flow-control window takes nothing, so the app's whole
    response piled up here). ``ended`` says whether the response's end was sent to it;
    :meth:`push_within` bounds the wait for room by a send timeout."""

    ended = False
    popped = 0  # bytes taken by the send task: the client's progress

    async def push_within(self, data: bytes, timeout: float) -> bool:
        """Add ``data``, a slice of at most the high-water mark at a time, each waiting
        for room; False when the client took none of the buffer for ``timeout`` seconds
        (its window stayed closed). hypercorn's ``push`` copied the whole of ``data``
        first: a 5 MB body held in memory was buffered whole, a second time, per stream
        (100 streams on one connection with a closed window: +1 GB)."""
        if self.ended:
            raise BufferCompleteError()
        for start in range(0, len(data), BUFFER_HIGH_WATER):
            self.buffer.extend(data[start : start + BUFFER_HIGH_WATER])
            await self._is_empty.clear()
            while len(self.buffer) >= BUFFER_HIGH_WATER and not self.ended:
                if not await self._progress_within(self._paused, timeout):
                    return False
                await self._paused.clear()
            if self.ended:
                break  # closed meanwhile (the stream is gone): the rest is dropped
        return True

    async def drain_within(self, timeout: float) -> bool:
        """Wait until the buffer is sent; False when the client took none of it for
        ``timeout`` seconds (hypercorn's ``drain`` waited for as long as it liked)."""
        while self.buffer:
            if not await self._progress_within(self._is_empty, timeout):
                return False
        return True

    async def _progress_within(self, event: Any, timeout: float) -> bool:
        """Wait for ``event``; False if the send task took nothing for ``timeout``."""
        popped = self.popped
        while True:
            try:
                # asyncio.timeout: Python 3.11's wait_for can swallow a cancellation that
                # lands as the event is set (see HardenedTCPServer._idle_timeout).
                async with asyncio.timeout(timeout):
                    await event.wait()
            except TimeoutError:
                if self.popped == popped:
                    return False
                popped = self.popped
            else:
                return True

    def set_complete(self) -> None:
        self.ended = True
        super().set_complete()

    async def close(self) -> None:
        self.ended = True
        await super().close()

    async def pop(self, max_length: int) -> bytes:
        length = min(len(self.buffer), max_length)
        data = bytes(self.buffer[:length])
        del self.buffer[:length]
        self.popped += length
        if len(self.buffer) < BUFFER_LOW_WATER:
            await self._paused.set()
        if not self.buffer:
            await self._is_empty.set()
        return data


def drop_unread(put: Any) -> None:
    """Empty the full queue of messages to an app that will read none of them.

    ``put`` is the app's ``app_put`` (hypercorn's ``asyncio.Queue.put``, bounded at
    ``max_app_queue_size``, 10 messages). hypercorn's reading of the connection waits in
    that ``put`` while the queue is full, and puts the app's disconnect there too, so an
    app that answered without reading a request body sent in more than 10 pieces (chunks,
    HTTP/2 DATA frames, packets), or closed a websocket without reading what its client
    had sent, left both waiting for good: the connection (over HTTP/2 every stream on it)
    was never read, answered nor closed again. Each ``get`` wakes a waiting ``put``."""
    queue = getattr(put, "__self__", None)
    if isinstance(queue, asyncio.Queue) and queue.full():
        while not queue.empty():
            queue.get_nowait()


class ClosedWhenRefused:
    """For hypercorn's streams: a request hypercorn answers itself closes its stream.

    hypercorn answers some requests without the app (an invalid websocket handshake, data
    before the app accepted it: 400; a ``Host`` outside its ``server_names``: 404), then
    marks the stream closed, which made the stream deaf to the end of the connection: the
    answer said ``Connection: close`` and the connection stayed open for good (no idle
    timeout runs while a stream is open), and an app already started never got its
    disconnect, not even when the client left (3,000 such websocket handshakes held 3,000
    descriptors and handlers, +54 MB, after their clients had gone). Now the app gets
    ``disconnect`` and the stream is closed, which closes an HTTP/1.1 connection."""

    closed: bool
    app_put: Any
    send: Any
    stream_id: int

    def _reads_no_more(self) -> bool:
        """True when, as the stream closes, the app will read none of the messages still
        queued for it (:func:`drop_unread`)."""
        raise NotImplementedError

    #: The message that tells the app its client is gone.
    disconnect: dict[str, Any]

    async def handle(self, event: Any) -> None:
        if self.closed:
            return
        if event.__class__ is StreamClosed and self.app_put is not None and self._reads_no_more():
            drop_unread(self.app_put)
        await super().handle(event)  # type: ignore[misc]
        if self.closed and not isinstance(event, StreamClosed):
            if self.app_put is not None:
                await self.app_put(dict(self.disconnect))
            await self.send(StreamClosed(stream_id=self.stream_id))


class HardenedHTTPStream(ClosedWhenRefused, HTTPStream):
    """hypercorn's HTTP stream, closed after hypercorn's own 404 for a ``Host`` outside
    ``server_names`` (:class:`ClosedWhenRefused`)."""

    disconnect = {"type": "http.disconnect"}

    def _reads_no_more(self) -> bool:
        """The stream is closing: the response is sent, or the client is gone. Either way
        the app reads no more of the body (ASGI: ``receive()`` then gives the disconnect)."""
        return True


class HardenedWSStream(ClosedWhenRefused, WatchedWebsocket, WSStream):
    """hypercorn's websocket stream, failing the connection on a protocol error, ending
    the stream once the websocket is closed, closing it after a refused handshake
    (:class:`ClosedWhenRefused`), and watching a quiet client and a message that does not
    finish (:class:`~.wswatch.WatchedWebsocket`)."""

    disconnect = {"type": "websocket.disconnect", "code": CloseReason.ABNORMAL_CLOSURE.value}
    #: The code and reason of the app's disconnect once the client sent its close frame
    #: first (its code, 1005 for a frame without one) or the server failed the connection
    #: (the code it sent: 1002, 1007, 1008, 1009, 1011). None: the client vanished without
    #: a close frame (1006), or the app closed first (hypercorn's 1000).
    _closed_with: tuple[int, str] | None = None

    async def _accept(self, message: Any) -> None:
        if not getattr(self.config, COMPRESSION_SETTING, True):
            self.handshake.extensions = None  # the client's offer is declined
        token = _inflate_limit.set(self.config.websocket_max_message_size)
        try:
            await super()._accept(message)
        finally:
            _inflate_limit.reset(token)
        _slim(self.connection, "_events")  # wsproto's buffer of parsed events
        self._start_watch()

    async def handle(self, event: Any) -> None:
        if isinstance(event, StreamClosed) and self._closed_with is not None and not self.closed:
            # hypercorn's disconnect says 1006 for every close the app did not start, so a
            # handler never saw the client's 1000 or 1001, nor why the server failed it.
            self.closed = True
            self._stop_watch()
            if self.app_put is not None:
                if self._reads_no_more():  # the app closed, then the server failed it
                    drop_unread(self.app_put)
                code, reason = self._closed_with
                await self.app_put({"type": "websocket.disconnect", "code": code, "reason": reason})
            return
        await super().handle(event)
        if self.closed:
            self._stop_watch()

    def _reads_no_more(self) -> bool:
        """The app closed the websocket (ASGI: ``receive()`` then gives the disconnect).
        After the client's close the app may still read what came before it."""
        return (
            self.state is ASGIWebsocketState.CLOSED or self.state is ASGIWebsocketState.HTTPCLOSED
        )

    async def _handle_events(self) -> None:
        self._heard = monotonic()  # for the watch: the client sent something
        for event in self.connection.events():
            if isinstance(event, Message):
                starting = self.buffer.value is None
                try:
                    self.buffer.extend(event)
                except FrameTooLargeError:
                    await self._fail(CloseReason.MESSAGE_TOO_BIG)
                    return
                if event.message_finished:
                    if self._message_began is not None:
                        self._message_began = None
                    assert self.app_put is not None
                    await self.app_put(self.buffer.to_message())
                    self.buffer.clear()
                    if self.closed:
                        return  # closed while the put waited: nobody reads the rest
                elif starting:
                    self._message_begins(self._heard)
            elif isinstance(event, Ping):
                await self._send_wsproto_event(event.response())
            elif isinstance(event, CloseConnection):
                if self.connection.state is ConnectionState.OPEN:
                    # wsproto reports its own parse failure as a close from the client.
                    await self._fail(event.code)
                    return
                if self.connection.state is ConnectionState.REMOTE_CLOSING:
                    self._closed_with = (int(event.code), event.reason or "")
                    await self._send_wsproto_event(event.response())
                await self._end_stream()

    async def _fail(self, code: int) -> None:
        """Send the close frame with ``code``, then close the stream (and an HTTP/1.1
        connection): the handler gets its disconnect now, not when the client leaves. The
        unfinished message's buffer (up to the message size limit) is let go at once."""
        self.buffer.clear()
        self._closed_with = (int(code), "")
        await self._send_wsproto_event(CloseConnection(code=code))
        await self._end_stream()

    async def _end_stream(self) -> None:
        """End the stream after the close frame, then close it. Over HTTP/2 (RFC 8441)
        the end is the stream's END_STREAM, which hypercorn sent only when the app closed
        the websocket: after a close from the client or a failure the stream stayed open,
        its buffers kept until the connection ended; over HTTP/1.1 ``EndData`` is nothing
        and the connection is closed."""
        await self.send(EndData(stream_id=self.stream_id))
        await self.send(StreamClosed(stream_id=self.stream_id))


def _faulty_framing(request: h11.Request) -> bool:
    """True when a request declares both ``Content-Length`` and ``Transfer-Encoding``, or
    is HTTP/1.0 with ``Transfer-Encoding``: RFC 9112 section 6.1 makes such framing faulty
    (a front end of HTTP/1.0 ignores the header and reads no body; h11 read the chunks as
    one), and section 6.3 answers it with 400 and a close, as nginx does."""
    length = chunked = False
    # h11's Headers is a Sequence that builds a tuple in a Python call per item; its
    # (raw name, lower-case name, value) list is what h11's own header lookups read.
    for _raw, name, _value in request.headers._full_items:
        if name == b"content-length":
            length = True
        elif name == b"transfer-encoding":
            chunked = True
    return chunked and (length or request.http_version == b"1.0")


#: The default port of each scheme of an absolute-form target (``Host: x`` and the
#: authority ``x:80`` name the same origin).
_DEFAULT_PORTS = {b"http": b":80", b"https": b":443"}


def _authority_conflict(request: h11.Request) -> bool:
    """True when an absolute-form target (``GET http://a/path HTTP/1.1``) names another
    host than the ``Host`` header. RFC 9112 section 3.2.2: a client sends a ``Host``
    identical to the target's authority, and a server uses the authority; hypercorn
    passed the path on and the app read ``Host``, so a front end keying a cache or a
    route on one and the app building URLs (and checking ``TRUSTED_HOSTS``) from the
    other disagreed. Such a request is refused, as a request with two framings is.
    An origin-form target (every browser's) pays one byte comparison."""
    target = request.target
    if target[:1] == b"/" or b"://" not in target[:9]:
        return False
    scheme, _, rest = target.partition(b"://")
    scheme = scheme.lower()
    authority = rest.split(b"/", 1)[0].split(b"?", 1)[0].split(b"#", 1)[0]
    authority = authority.rpartition(b"@")[2].lower()  # without userinfo
    hosts = [value for _raw, name, value in request.headers._full_items if name == b"host"]
    if not hosts:
        return False  # HTTP/1.0 without Host: the path is served, the host unknown
    host = hosts[0].strip().lower()
    default = _DEFAULT_PORTS.get(scheme, b"")
    return host.removesuffix(default) != authority.removesuffix(default)


def _usable_h2c_settings(headers: Any) -> bool:
    """False when the request has an ``HTTP2-Settings`` header that HTTP/2 cannot start
    from (not base64url, or settings h2 refuses): hypercorn sent the 101, then h2 raised
    and the connection ended with a traceback. Such an upgrade is ignored and the request
    answered in HTTP/1.1, as RFC 7540 section 3.2.1 allows. Only an upgrade request
    carries the header, so ordinary requests pay one pass over the header names."""
    for _raw, name, value in headers._full_items:
        if name == b"http2-settings":
            try:
                h2.connection.H2Connection(
                    h2.config.H2Configuration(client_side=False)
                ).initiate_upgrade_connection(value)
            except Exception:  # binascii.Error, h2's ProtocolError, ValueError...
                return False
    return True


class _Switched:
    """Stands for the h11 connection of a websocket once its handshake is answered."""

    def send(self, event: Any) -> bytes:
        raise RuntimeError(f"HTTP/1.1 {type(event).__name__} after the websocket handshake")


_SWITCHED: Any = _Switched()


#: An LF starting a folded line (group 1: the space or tab) or ending a request head.
_FOLD_OR_HEAD_END = re.compile(rb"\n(?:([ \t])|\r?\n)").search


class ClosingConnection(h11.Connection):
    """h11's connection, deaf to what a client sends after a request that closes the
    connection (``Connection: close``, or HTTP/1.0 without keep-alive).

    RFC 9112 section 9.6: the server must not process further requests on it, and answers
    the one it has. h11 raised "Got data when expecting EOF" instead, and hypercorn answered
    that valid request with 400: a POST followed by a stray CRLF, or two pipelined
    HTTP/1.0 requests, lost the response to the first. What arrives later is dropped
    unbuffered (hypercorn goes on reading while the response is sent), and hypercorn
    closes the connection after the response."""

    def receive_data(self, data: bytes) -> None:
        if data and self.their_state is h11.MUST_CLOSE:
            return
        super().receive_data(data)

    def next_event(self) -> Any:
        if self.their_state is h11.MUST_CLOSE:
            return h11.NEED_DATA
        if self.their_state is h11.IDLE and self._folded_head():
            self._process_error(self.their_role)  # as h11 does with its own errors
            raise h11.RemoteProtocolError("a header line folded onto the next (obs-fold)", 400)
        event = super().next_event()
        if event is h11.NEED_DATA and self.their_state is h11.SEND_BODY and self._bare_lf():
            self._process_error(self.their_role)  # as h11 does with its own errors
            raise h11.RemoteProtocolError("chunk-size line ended by a bare LF", 400)
        return event

    def _folded_head(self) -> bool:
        """True when the request head in the buffer holds a line folded onto the next
        (obs-fold: an LF followed by a space or tab) before its end. h11 unfolds it, so
        ``Transfer-Encoding:`` CRLF SP ``chunked`` framed the body as chunked where a
        front end that does not unfold (or takes the line for a header of its own) sees
        no body, and the chunks as the next request. RFC 9112 section 5.2 lets a server
        refuse the message with 400, as nginx does (RFC 7230 deprecated obs-fold).

        One search for the first LF that starts a fold or the head's end (h11's: an LF,
        an optional CR, an LF), from where h11's last search for that end stopped
        (``_multiple_lines_search``, two bytes short of what the buffer held then): every
        byte before it was searched by the call that saw it, so a trickled head is read
        once, and the two bytes searched again catch a fold whose LF and space came in
        two reads (``test_a_fold_trickled_in_pieces_gets_400`` in
        tests/plugins/serving/test_request_framing.py). A fold in a head not yet whole is
        refused at once."""
        buffer = self._receive_buffer
        found = _FOLD_OR_HEAD_END(buffer._data, buffer._multiple_lines_search)
        return found is not None and found.group(1) is not None

    def _bare_lf(self) -> bool:
        """True when h11 waits for the end of a chunk-size line and what it has of the
        line holds an LF: a line ended by a bare LF (``5\nhello\n0\n\n``). h11 looks for
        CRLF only, so it waited for one until ``BODY_TIMEOUT`` (the 408 came a minute
        later) or a later CRLF made the line illegal. RFC 9112 section 7.1 ends the line
        with CRLF (its leniency for a bare LF is for the start line and fields), and no
        valid chunk line holds an LF: the request gets 400 at once, as from Go's server
        since CVE-2025-22871 and Node's (accepting it, as nginx does, is how a front end
        and a back end disagree on where a body ends: request smuggling)."""
        reader = self._reader
        return (
            type(reader) is ChunkedReader
            and not reader._bytes_in_chunk
            and not reader._bytes_to_discard
            and not reader._reading_trailer
            and b"\n" in self._receive_buffer._data
        )

    @property
    def they_are_waiting_for_100_continue(self) -> bool:
        """Always False for hypercorn, which sends ``100 Continue`` whenever this is true:
        as soon as the request is read, before the app decides anything.
        :meth:`HardenedH11Protocol.continue_body` sends it when the app wants the body."""
        return False


class HardenedH11Protocol(H11Protocol):
    """hypercorn's HTTP/1.1 protocol, refusing ambiguous framing and announcing closes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _slim(getattr(self.can_read, "_event", None), "_waiters")  # an asyncio.Event's
        self.connection = ClosingConnection(
            h11.SERVER, max_incomplete_event_size=self.config.h11_max_incomplete_size
        )

    async def _check_protocol(self, event: h11.Request) -> None:
        if getattr(self.config, H2C_SETTING, True) and _usable_h2c_settings(event.headers):
            await super()._check_protocol(event)
        # Else ``Upgrade: h2c`` is ignored (RFC 9110 section 7.8 lets a server), and the
        # HTTP/2 preface is refused in _create_stream.

    async def _create_stream(self, request: h11.Request) -> None:
        if _faulty_framing(request) or _authority_conflict(request):
            await self._send_error_response(400)
            await self.send(Closed())
            return
        if request.http_version != b"1.1" and request.http_version != b"1.0":
            await self._send_error_response(505)  # the HTTP/2 preface, h2c turned off
            await self.send(Closed())
            return
        connection = self.connection
        if not (
            isinstance(connection, h11.Connection) and connection.client_is_waiting_for_100_continue
        ):
            await super()._create_stream(request)
            return
        # ``Expect: 100-continue``: the client sends its body once told to. hypercorn
        # told it at once, so a body the app refuses unread (413 for a length over
        # MAX_CONTENT_LENGTH, 401) was sent anyway; now the app's first receive() does.
        token = _first_receive.set(self.continue_body)
        try:
            await super()._create_stream(request)
        finally:
            _first_receive.reset(token)

    async def continue_body(self) -> None:
        """Send ``100 Continue`` if the client still waits for it (not once it has sent
        body data, nor after the response has begun: h11 then stops waiting)."""
        connection = self.connection
        if (
            isinstance(connection, h11.Connection)
            and connection.their_state is h11.SEND_BODY
            and connection.client_is_waiting_for_100_continue
        ):
            headers = self.config.response_headers("h11")
            await self._send_h11_event(h11.InformationalResponse(status_code=100, headers=headers))

    async def stream_send(self, event: Any) -> None:
        if isinstance(event, Response):
            if event.status_code >= 200:
                if self.connection.their_state is h11.SEND_BODY:
                    # The request body is not read: hypercorn closes the connection after
                    # this response, so say so (a keep-alive client would send its next
                    # request here).
                    event = Response(
                        stream_id=event.stream_id,
                        status_code=event.status_code,
                        headers=[*event.headers, (b"connection", b"close")],
                    )
            elif event.status_code == 101 and isinstance(self.connection, H11WSConnection):
                await super().stream_send(event)
                # The websocket handshake is answered: from now on only websocket frames
                # pass (H11WSConnection sends them itself), so the h11 connection that
                # parsed the request and sent the 101 is not used again; 1 KB less.
                self.connection.h11_connection = _SWITCHED
                return
        await super().stream_send(event)


class _GoneStream:
    """Stands for a stream hypercorn has already closed and forgotten."""

    async def handle(self, event: Any) -> None:
        return None


_GONE_STREAM = _GoneStream()


class _Streams(dict):  # type: ignore[type-arg]
    """An HTTP/2 connection's streams by id; a stream already closed is a no-op stream.

    hypercorn forgets a stream once its response is sent; a client that goes on sending
    the request body (legal: the stream is only half-closed) made ``self.streams[id]``
    raise ``KeyError``, which ended the connection and every stream on it with a
    traceback. Its DATA is still acknowledged (hypercorn does that after ``handle``), so
    the connection's flow-control window stays open."""

    __slots__ = ()

    def __missing__(self, stream_id: int) -> Any:
        return _GONE_STREAM


def _malformed(event: h2.events.RequestReceived) -> bool:
    """True when the request's ``:method`` or the path of its ``:path`` is not ASCII
    (hypercorn decodes them as ASCII; HPACK carries any bytes). The query string is
    passed on as bytes, as over HTTP/1.1 by other servers."""
    for name, value in event.headers or ():
        if name == b":method" and not value.isascii():
            return True
        if name == b":path" and not value.partition(b"?")[0].isascii():
            return True
    return False


def _tunnel(event: h2.events.RequestReceived) -> bool:
    """True for a plain ``CONNECT`` (a tunnel to ``:authority``, RFC 9113 section 8.5),
    which has no ``:path`` (h2 refuses one): hypercorn read the path of every request
    and its ``UnboundLocalError`` ended the whole connection with a traceback. The
    extended ``CONNECT`` of a websocket (RFC 8441) carries ``:protocol`` and ``:path``."""
    method = path = None
    for name, value in event.headers or ():
        if name == b":method":
            method = value
        elif name == b":path":
            path = value
    return method == b"CONNECT" and path is None


class HardenedH2Protocol(H2Protocol):
    """hypercorn's HTTP/2 protocol, ending connections that reset streams as fast as they
    open them (the "rapid reset" attack, CVE-2023-44487), refusing malformed requests and
    tunnels, ignoring frames for streams it has closed, and resetting a stream whose
    response was cut short."""

    _client_resets = 0
    _error_resets = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.streams = _Streams()
        #: Per stream, the bytes of body put in its app's queue and not yet received by
        #: the app: the flow-control credit still owed to the client (:meth:`_deliver`).
        self._unread: dict[int, int] = {}
        #: Per websocket stream, the DATA waiting to be handed to it (:meth:`_feed_later`).
        self._feeds: dict[int, bytearray] = {}

    async def initiate(
        self, headers: list[tuple[bytes, bytes]] | None = None, settings: bytes | None = None
    ) -> None:
        await super().initiate(headers, settings)
        if headers is None:
            # No request yet: the connection is idle, and the keep-alive timeout runs.
            # A client speaking HTTP/2 by prior knowledge had it stopped by its preface
            # (hypercorn's HTTP/1.1 side reads ``PRI * HTTP/2.0`` as a request), and
            # nothing restarted it until a stream ended: a client that sent the preface
            # and nothing more held its connection for good.
            await self.send(Updated(idle=True))
        # Each stream's body waits in memory until its app reads it, up to the stream's
        # window (h2's 65,535 bytes); the connection's window (the same by default) is
        # raised to that times the streams allowed, so one stream whose app reads late
        # does not hold back the bodies of the others.
        window = self.connection.local_settings.initial_window_size
        streams = max(1, self.config.h2_max_concurrent_streams)
        increment = min(window * (streams - 1), self.connection.MAX_WINDOW_INCREMENT - window)
        if increment > 0:
            self.connection.increment_flow_control_window(increment)
            await self._flush()

    async def _create_stream(self, request: h2.events.RequestReceived) -> None:
        token = _on_receive.set(partial(self._body_taken, request.stream_id))
        try:
            await super()._create_stream(request)
        finally:
            _on_receive.reset(token)

    async def _close_stream(self, stream_id: int) -> None:
        await super()._close_stream(stream_id)
        unread = self._unread.pop(stream_id, 0)
        if unread:
            # Its app will read no more: the connection's credit comes back (the
            # stream's own no longer matters).
            self.connection.acknowledge_received_data(unread, stream_id)

    def _deliver(self, event: h2.events.DataReceived | h2.events.StreamEnded) -> bool:
        """Hand request body (DATA) or its end to the stream's app without waiting; True if
        done, False to leave ``event`` to hypercorn (a stream with no app running).

        hypercorn put each DATA frame in the app's queue (10 messages) and waited while it
        was full, in the one task that reads the whole connection: an app that did not
        read its body yet (busy first, or slow) held every other stream of the
        connection unanswered. It also gave the client its flow-control credit back at
        once, so only that wait held an uploader back. Now the body is put in the queue,
        or once it is full added to its last message (a body message, as nothing is
        queued after the body's end but the disconnect, which empties a full queue
        first: :class:`ClosedWhenRefused`), and the credit comes back as the app receives
        it (:meth:`_body_taken`): the stream's flow-control window (65,535 bytes) holds
        the uploader back and bounds what waits in memory. The order of a full queue's
        messages is kept, since data is only ever added to the last one
        (tests/plugins/serving/test_http2_slow_readers.py: a body sent in dozens of DATA frames,
        most while the queue was full, is read back whole and in order)."""
        stream = self.streams.get(event.stream_id)
        if type(stream) is HardenedWSStream and isinstance(event, h2.events.DataReceived):
            if stream.closed:
                return False
            self._feed_later(event, stream)
            return True
        if type(stream) is not HardenedHTTPStream or stream.closed:
            return False
        queue = getattr(stream.app_put, "__self__", None)
        if not isinstance(queue, asyncio.Queue):
            return False
        last = queue._queue[-1] if queue.full() else None  # type: ignore[attr-defined]
        if last is not None and last.get("more_body") is not True:
            return False  # not a body message: hypercorn's way
        if isinstance(event, h2.events.StreamEnded):
            if last is None:
                return False  # room for the end: hypercorn's put does not wait
            last["more_body"] = False
            return True
        data = event.data
        padding = event.flow_controlled_length - len(data)
        if padding:
            self.connection.acknowledge_received_data(padding, event.stream_id)
        if not data:
            return True
        self._unread[event.stream_id] = self._unread.get(event.stream_id, 0) + len(data)
        if last is None:
            queue.put_nowait({"type": "http.request", "body": data, "more_body": True})
        else:
            body = last["body"]
            if type(body) is not bytearray:  # appended to in place from now on
                body = last["body"] = bytearray(body)
            body += data
        return True

    def _feed_later(self, event: h2.events.DataReceived, stream: HardenedWSStream) -> None:
        """Hand a websocket's DATA (RFC 8441) to its stream in a task of its own
        (:meth:`_feed`), in order: one DATA frame may hold many messages, and hypercorn's
        handing them to the app waited for room in its queue in the task that reads the
        connection, so a handler slow to read held every other stream. The client's
        credit comes back as the data is handed over: the stream's window bounds what
        waits here."""
        padding = event.flow_controlled_length - len(event.data)
        if padding:
            self.connection.acknowledge_received_data(padding, event.stream_id)
        waiting = self._feeds.get(event.stream_id)
        if waiting is not None:  # a feed runs: it takes this after what came before
            waiting += event.data
            return
        self._feeds[event.stream_id] = bytearray(event.data)
        self.task_group.spawn(self._feed, event.stream_id, stream)

    async def _feed(self, stream_id: int, stream: HardenedWSStream) -> None:
        """Hand what waits for ``stream`` to it until nothing does (:meth:`_feed_later`)."""
        try:
            while waiting := self._feeds.get(stream_id):
                data = bytes(waiting)
                waiting.clear()
                await stream.handle(Body(stream_id=stream_id, data=data))
                try:
                    self.connection.acknowledge_received_data(len(data), stream_id)
                except h2.exceptions.ProtocolError:
                    return  # the connection has closed
                await self._flush()
        finally:
            # Nothing waits (no await since the check): the next DATA starts a new feed.
            self._feeds.pop(stream_id, None)

    async def _body_taken(self, stream_id: int, message: dict[str, Any]) -> None:
        """The app has received ``message``: the credit for its body goes back to the
        client (:meth:`_deliver`)."""
        body = message.get("body")
        if type(body) is bytearray:
            message["body"] = body = bytes(body)
        unread = self._unread.get(stream_id)
        if not body or not unread:
            return
        size = min(len(body), unread)
        self._unread[stream_id] = unread - size
        try:
            self.connection.acknowledge_received_data(size, stream_id)
        except h2.exceptions.ProtocolError:
            return  # the connection has closed
        await self._flush()

    async def _handle_in_order(self, events: list[h2.events.Event]) -> None:
        """hypercorn's handling of ``events``, but the request bodies :meth:`_deliver`
        takes; in order (a stream is created by the events before its DATA)."""
        run: list[h2.events.Event] = []
        for event in events:
            if isinstance(event, (h2.events.DataReceived, h2.events.StreamEnded)):
                if run:
                    await super()._handle_events(run)
                    run = []
                if self._deliver(event):
                    continue
            run.append(event)
        if run:
            await super()._handle_events(run)
        else:
            await self._flush()

    async def _handle_events(self, events: list[h2.events.Event]) -> None:
        refused = None
        requests = 0
        for event in events:
            if isinstance(event, h2.events.StreamReset):
                if event.remote_reset:
                    self._client_resets += 1
                else:  # h2 reset it for the client's error (DATA after END_STREAM...)
                    self._error_resets += 1
            elif isinstance(event, h2.events.RequestReceived):
                if self._refuse(event):
                    refused = refused or []
                    refused.append(event)
                else:
                    requests += 1
        if refused is not None:
            events = [event for event in events if event not in refused]
        # More than twice the concurrency limit in resets, and more than half of every
        # stream the client opened: no browser cancels like that.
        limit = 2 * self.config.h2_max_concurrent_streams
        if self._client_resets > limit and 2 * self._client_resets > self.keep_alive_requests:
            await self._calm_down()
            return
        if self._error_resets > limit or len(self.streams) + requests > limit:
            # More than twice the concurrency limit in streams h2 itself reset for the
            # client's errors (DATA after END_STREAM: "MadeYouReset", CVE-2025-8671), or
            # more streams open than that: hypercorn forgets such a stream but its app
            # runs on, so one connection started the app 1,673 times. An honest client
            # makes no such errors, and h2 refuses it more open streams than the limit.
            # Counting the resets, not the open streams: hypercorn drops a reset stream
            # from ``self.streams`` at once (tests/plugins/serving/
            # test_http2_server_resets.py failed on a quiet machine, where the frames
            # come in small reads).
            await self._calm_down()
            return
        try:
            await self._handle_in_order(events)
        except priority.TooManyStreamsError:
            # More streams waiting to be answered than the priority tree takes (1,000):
            # hypercorn let the error escape, ending the connection with a traceback.
            # The stream it was creating never got its request: it is dropped, or its
            # end would fail on its missing scope (another traceback).
            for stream_id, stream in list(self.streams.items()):
                if not hasattr(stream, "scope"):
                    del self.streams[stream_id]
            await self._calm_down()

    def _refuse(self, event: h2.events.RequestReceived) -> bool:
        """Answer a request hypercorn cannot take, on its stream alone; True if refused."""
        if _malformed(event):
            # A :path or :method that is not ASCII: a malformed request (RFC 9113
            # section 8.1.1), a stream error; hypercorn's UnicodeDecodeError ended
            # the whole connection with a traceback.
            self.connection.reset_stream(
                event.stream_id, error_code=h2.errors.ErrorCodes.PROTOCOL_ERROR
            )
            return True
        if _tunnel(event):
            # An origin server opens no tunnels: 405, as over HTTP/1.1 nginx answers.
            headers = [(b":status", b"405"), (b"content-length", b"0")]
            headers.extend(self.config.response_headers("h2"))
            self.connection.send_headers(event.stream_id, headers, end_stream=True)
            return True
        return False

    async def stream_send(self, event: Any) -> None:
        if isinstance(event, StreamClosed):
            buffer = self.stream_buffers.get(event.stream_id)
            if isinstance(buffer, FlowControlledStreamBuffer) and not buffer.ended:
                await self._cut_short(event.stream_id, buffer)
        elif isinstance(event, (Body, Data)):
            buffer = self.stream_buffers.get(event.stream_id)
            timeout = getattr(self.config, SEND_TIMEOUT_SETTING, None)
            if isinstance(buffer, FlowControlledStreamBuffer) and timeout is not None:
                # hypercorn's own steps, with the push bounded (push_within).
                await self._window_updated(event.stream_id)  # the send task looks again
                try:
                    if not await buffer.push_within(event.data, timeout):
                        await self._give_up(event.stream_id, buffer)
                except BufferCompleteError:
                    pass  # the stream has ended (hypercorn drops such data the same way)
                return
        elif isinstance(event, EndBody):
            buffer = self.stream_buffers.get(event.stream_id)
            timeout = getattr(self.config, SEND_TIMEOUT_SETTING, None)
            if isinstance(buffer, FlowControlledStreamBuffer) and timeout is not None:
                # hypercorn's own steps, with the wait for the buffer bounded.
                buffer.set_complete()
                await self._window_updated(event.stream_id)
                if not await buffer.drain_within(timeout):
                    await self._give_up(event.stream_id, buffer)
                return
        elif isinstance(event, EndData):
            # A websocket's end (after its close frame): marked, and sent by the send task
            # when the client's window lets it. hypercorn waited here for the stream's
            # buffer to drain, so with the window closed the closing side waited for good:
            # the app's close(), or (since the stream is ended on every close) the
            # connection's reading and the handler's disconnect.
            buffer = self.stream_buffers.get(event.stream_id)
            if buffer is not None:
                buffer.set_complete()
                await self._window_updated(event.stream_id)  # the send task looks again
            return
        await super().stream_send(event)

    async def _give_up(self, stream_id: int, buffer: FlowControlledStreamBuffer) -> None:
        """A stream whose client took none of its response for ``send_timeout`` (its
        flow-control window kept closed): reset (CANCEL), and the app told its client is
        gone. hypercorn held the app, and what it had sent, for as long as the client
        liked."""
        await self._cut_short(stream_id, buffer, h2.errors.ErrorCodes.CANCEL)
        await self._close_stream(stream_id)

    async def _cut_short(
        self,
        stream_id: int,
        buffer: FlowControlledStreamBuffer,
        error_code: h2.errors.ErrorCodes = h2.errors.ErrorCodes.INTERNAL_ERROR,
    ) -> None:
        """Reset a stream closed before its response ended (INTERNAL_ERROR: an app that
        failed in a streamed body). hypercorn neither ended nor reset it: the client
        waited for the rest until the connection closed, and the stream's buffer and
        place in the send queue were kept as long. The send task lets them go when it
        finds the stream reset."""
        try:
            self.connection.reset_stream(stream_id, error_code=error_code)
        except h2.exceptions.StreamClosedError:
            pass  # the client reset it first
        await buffer.close()
        try:
            self.priority.unblock(stream_id)
        except priority.MissingStreamError:
            pass
        await self.has_data.set()
        await self._flush()

    async def handle(self, event: Any) -> None:
        await super().handle(event)
        if isinstance(event, Closed):
            # The connection is gone and hypercorn's send task has stopped: nothing will
            # drain a stream's buffer again. An app waiting for its response to be sent
            # (the end of a body, room in the buffer) is let go now; it waited for
            # SEND_TIMEOUT (hypercorn: for good) after its client had left.
            for buffer in list(self.stream_buffers.values()):
                await buffer.close()

    async def _calm_down(self) -> None:
        """GOAWAY with ENHANCE_YOUR_CALM, then close the connection (its streams end)."""
        self.connection.close_connection(error_code=h2.errors.ErrorCodes.ENHANCE_YOUR_CALM)
        await self._flush()
        await self.send(Closed())


def _escaped(text: str) -> str:
    """``text`` with its unprintable characters written as Python escapes (``\\n``,
    ``\\x1b``)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class EscapedAccessLogAtoms(AccessLogAtoms):
    """hypercorn's access log values, safe to write to a log.

    The request line is the client's: ``GET /x%0A[...] ERROR in erlen: forged`` wrote a
    line of its own to the log (and ``%1B`` terminal escapes). A value with a character
    that is not printable now reads with it escaped (``\\n``); ``str.isprintable()``
    passes every ordinary value untouched. A query string that is not UTF-8 (HTTP/2
    carries any bytes) made hypercorn's ``decode()`` raise, and each such request logged
    a traceback ("Error in ASGI Framework") instead of its line; it reads with its bytes
    escaped (``\\xff``)."""

    def __init__(self, request: Any, response: Any, request_time: float) -> None:
        try:
            super().__init__(request, response, request_time)
        except UnicodeDecodeError:
            query = request["query_string"].decode("utf-8", "backslashreplace").encode()
            readable: Any = {**request, "query_string": query}
            super().__init__(readable, response, request_time)

    def __getitem__(self, key: str) -> str:
        value = super().__getitem__(key)
        if type(value) is str and not value.isprintable():
            return _escaped(value)
        return value


def _buffered(transport: asyncio.BaseTransport) -> int:
    """The bytes ``transport`` has yet to send. A TLS transport closed twice has let its
    SSL protocol go, and its ``get_write_buffer_size()`` raised ``AttributeError`` (a
    traceback per such connection, from :meth:`HardenedTCPServer._close`): nothing more
    will be sent through it, so 0."""
    try:
        return transport.get_write_buffer_size()  # type: ignore[attr-defined]
    except AttributeError:
        return 0


#: Seconds a connection accepted while the server stops gets to send its first request.
FIRST_REQUEST_GRACE = 1.0


class HardenedTCPServer(TCPServer):
    """hypercorn's TCP connection, closed as soon as the client closes its side, not
    closed unanswered when it was accepted just as the server began to stop, and dropped
    when the client takes none of what it is sent for ``send_timeout`` seconds."""

    _fresh = True
    _stall_check: asyncio.TimerHandle | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # asyncio's stream protocol keeps a deque for the tasks waiting in drain().
        _slim(self.writer.transport.get_protocol(), "_drain_waiters")

    async def _idle_timeout(self) -> None:
        if not self._fresh:
            await super()._idle_timeout()
            return
        # A connection that has not sent its first request yet. hypercorn closed it as
        # soon as the server began to stop, unanswered: whether it was accepted just
        # before (its request not read yet) or in between hypercorn marking itself
        # terminated and it stopping accepting. A client of a restarting worker saw
        # "Server disconnected without sending a response". It now gets FIRST_REQUEST_GRACE
        # from the stop to send it (the app runs until connections end). A request
        # arriving cancels this wait (hypercorn stops the idle task, and waits for it to
        # end before it reads the request), as before.
        #
        # ``asyncio.timeout``, not ``wait_for``: on Python 3.11 ``wait_for`` swallows a
        # cancellation that lands as the event it waits for is set, so a request sent
        # right after the stop (cancelling this task as the stop set ``terminated``) went
        # on waiting the grace period out, and its connection was closed before it was
        # answered. tests/plugins/serving/test_cli_run.py
        # (test_a_client_connected_before_a_shutdown_gets_its_first_request_answered).
        self._fresh = False
        try:
            async with asyncio.timeout(self.config.keep_alive_timeout):
                await self.context.terminated.wait()
        except TimeoutError:
            pass
        else:
            await asyncio.sleep(FIRST_REQUEST_GRACE)
        await asyncio.shield(self._initiate_server_close())

    async def protocol_send(self, event: Any) -> None:
        if isinstance(event, RawData) and self.writer.transport.is_closing():
            # The client is gone (a write failed, or the connection was reset): nothing
            # can reach it. hypercorn went on writing what the app sent, asyncio logging
            # "socket.send() raised exception." for each write, and since nothing here
            # awaited, a body that awaits nothing else ran to its end without the loop
            # turning to deliver the app its disconnect. The yield lets it run.
            await asyncio.sleep(0)
            return
        if isinstance(event, RawData):
            # hypercorn's write, with the stall check between the write and the wait.
            async with self.send_lock:
                try:
                    self.writer.write(event.data)
                    if self.writer.transport.get_write_buffer_size():
                        self._check_stalls()  # the client has not taken it all yet
                    await self.writer.drain()
                except (ConnectionError, RuntimeError):
                    await self.protocol.handle(Closed())
            return
        if isinstance(event, Updated) and event.idle and self.reader.at_eof():
            # Every request is answered and the client has sent EOF: none can follow, so
            # the connection closes now (hypercorn restarted the keep-alive timer and
            # held it that long after answering a client that half-closed, as
            # ``printf 'GET / ...' | nc`` does).
            await self.idle_task.restart(self._task_group, self._close_now)
            return
        await super().protocol_send(event)

    async def _close_now(self) -> None:
        await asyncio.shield(self._initiate_server_close())

    async def _close(self) -> None:
        if _buffered(self.writer.transport):
            # asyncio's close() first sends what is buffered, however long the client
            # takes to read it: one that reads nothing held the connection for good.
            self._check_stalls()
        try:
            await super()._close()
        except ssl.SSLError:
            # A TLS client that goes on sending once the server has closed its side
            # (APPLICATION_DATA_AFTER_CLOSE_NOTIFY: after a request refused with 400, a
            # Connection: close answered, a GOAWAY): hypercorn let the error escape, and
            # asyncio logged "Unhandled exception in client_connected_cb" with a
            # traceback for each such connection. The connection is over either way.
            pass

    def _check_stalls(self) -> None:
        """Drop the connection if the client takes none of the buffered data within
        ``send_timeout`` (nginx's ``send_timeout``): a client that never reads held its
        connection and the response asyncio buffered for it (a 5 MB response held in
        memory: +6 MB a connection) for as long as it liked. Checked while data is
        buffered only; a fast client's writes leave nothing buffered."""
        timeout = getattr(self.config, SEND_TIMEOUT_SETTING, None)
        if self._stall_check is None and timeout is not None:
            left = _buffered(self.writer.transport)
            loop = asyncio.get_running_loop()
            self._stall_check = loop.call_later(timeout, self._stalled, left, timeout)

    def _stalled(self, left: int, timeout: float) -> None:
        self._stall_check = None
        transport = self.writer.transport
        now_left = _buffered(transport)
        if not now_left:
            return  # all sent (a later write checks again)
        if now_left < left:  # the client reads: check again later
            loop = asyncio.get_running_loop()
            self._stall_check = loop.call_later(timeout, self._stalled, now_left, timeout)
            return
        transport.abort()  # a waiting drain() raises ConnectionResetError: Closed

    async def _read_data(self) -> None:
        await super()._read_data()
        # The client sent EOF: no further request can come, so the keep-alive timer has
        # nothing to wait for; stopping it lets the connection close when its streams end.
        await self.idle_task.stop()


#: (module, attribute, hypercorn's class, replacement), in the order they are installed.
_REPLACEMENTS: tuple[tuple[Any, str, type, type], ...] = (
    (hypercorn_run, "TCPServer", TCPServer, HardenedTCPServer),
    (hypercorn_tcp, "TaskGroup", TaskGroup, LeanTaskGroup),
    (hypercorn_protocol, "H11Protocol", H11Protocol, HardenedH11Protocol),
    (hypercorn_protocol, "H2Protocol", H2Protocol, HardenedH2Protocol),
    (hypercorn_h11, "WSStream", WSStream, HardenedWSStream),
    (hypercorn_h11, "HTTPStream", HTTPStream, HardenedHTTPStream),
    (hypercorn_h2, "HTTPStream", HTTPStream, HardenedHTTPStream),
    (hypercorn_h2, "WSStream", WSStream, HardenedWSStream),
    (hypercorn_h2, "StreamBuffer", StreamBuffer, FlowControlledStreamBuffer),
    (hypercorn_ws, "PerMessageDeflate", PerMessageDeflate, BoundedPerMessageDeflate),
    (hypercorn_ws, "Handshake", Handshake, CheckedHandshake),
    (hypercorn_ws, "WebsocketBuffer", WebsocketBuffer, ByteCountedBuffer),
    (wsproto_connection, "FrameProtocol", FrameProtocol, CheckedFrames),
    (hypercorn_logging, "AccessLogAtoms", AccessLogAtoms, EscapedAccessLogAtoms),
)


def install() -> None:
    """Put the hardened classes in place in hypercorn's modules (once; idempotent).

    A name that holds neither hypercorn's class nor ours (someone else replaced it) is
    left alone.
    """
    for module, name, original, replacement in _REPLACEMENTS:
        if getattr(module, name, None) is original:
            setattr(module, name, replacement)


def installed() -> bool:
    """True when every hardened class is in place."""
    return all(getattr(module, name, None) is new for module, name, _old, new in _REPLACEMENTS)
