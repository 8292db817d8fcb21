"""A minimal in-process ASGI driver: no server, no sockets.

The same few small objects drive every framework, so the driver's own cost is
identical across columns and shows up in full in the ``raw`` column (the floor).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Message = MutableMapping[str, Any]
Scope = dict[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]

ASGI_VERSION = {"version": "3.0", "spec_version": "2.3"}
CLIENT = ("127.0.0.1", 50000)
SERVER = ("127.0.0.1", 8000)
BASE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"host", b"127.0.0.1:8000"),
    (b"user-agent", b"erlen-bench/1"),
    (b"accept", b"*/*"),
)
WS_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    *BASE_HEADERS,
    (b"connection", b"Upgrade"),
    (b"upgrade", b"websocket"),
    (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
    (b"sec-websocket-version", b"13"),
)


class DriverError(Exception):
    """The app broke the ASGI protocol or did not answer in time."""


def http_scope(
    method: str, path: str, headers: tuple[tuple[bytes, bytes], ...] = (), query: bytes = b""
) -> Scope:
    """Build the scope of an HTTP/1.1 request, as a server would.

    ``headers`` are added to the base headers, replacing a base header of the same name
    (a scenario's own ``Accept``).
    """
    own = {name for name, _ in headers}
    return {
        "type": "http",
        "asgi": ASGI_VERSION,
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [*(h for h in BASE_HEADERS if h[0] not in own), *headers],
        "client": CLIENT,
        "server": SERVER,
    }


def websocket_scope(
    path: str,
    subprotocols: tuple[str, ...] = (),
    headers: tuple[tuple[bytes, bytes], ...] = (),
    query: bytes = b"",
) -> Scope:
    """Build the scope of a websocket handshake to ``path?query`` offering
    ``subprotocols``, with the handshake's ``headers`` added to the base ones."""
    return {
        "type": "websocket",
        "asgi": ASGI_VERSION,
        "http_version": "1.1",
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [*WS_HEADERS, *headers],
        "client": CLIENT,
        "server": SERVER,
        "subprotocols": list(subprotocols),
    }


class HttpExchange:
    """``receive``/``send`` of one HTTP request, with a server's semantics.

    ``receive`` returns the request body once, then blocks until the response is
    complete and reports ``http.disconnect`` (what uvicorn and hypercorn do), so a
    framework's disconnect watcher neither spins nor leaks. ``send`` only looks for
    the end of the response: the timed loop discards what the app sends, since
    the responses were verified beforehand.
    """

    __slots__ = ("_finished", "_message", "_waiter")

    def __init__(self, message: Message) -> None:
        self._message: Message | None = message
        self._waiter: asyncio.Future[None] | None = None
        self._finished = False

    async def receive(self) -> Message:
        """The body message first; afterwards wait for the end of the response."""
        message = self._message
        if message is not None:
            self._message = None
            return message
        if not self._finished:
            waiter = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            await waiter
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        """Notice the final body message."""
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self.finish()

    def finish(self) -> None:
        """The response is complete: wake a pending ``receive``."""
        self._finished = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


@dataclass
class Response:
    """Everything an app sent for one HTTP request."""

    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    complete: bool = False

    @property
    def body(self) -> bytes:
        """The whole body."""
        return b"".join(self.chunks)

    def header(self, name: str) -> str | None:
        """First value of header ``name`` (case-insensitive), decoded."""
        wanted = name.lower().encode()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None

    def header_values(self, name: str) -> list[str]:
        """All values of header ``name`` (case-insensitive), decoded."""
        wanted = name.lower().encode()
        return [v.decode("latin-1") for k, v in self.headers if k.lower() == wanted]


class Recorder(HttpExchange):
    """An exchange whose ``send`` records and sanity-checks the response."""

    __slots__ = ("response", "started")

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.response = Response()
        self.started = False

    async def send(self, message: Message) -> None:
        """Record one message, rejecting protocol violations."""
        kind = message["type"]
        if kind == "http.response.start":
            if self.started:
                raise DriverError("http.response.start sent twice")
            self.started = True
            self.response.status = int(message["status"])
            self.response.headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
        elif kind == "http.response.body":
            if not self.started or self.response.complete:
                raise DriverError("http.response.body outside a response")
            self.response.chunks.append(bytes(message.get("body", b"")))
            self.response.complete = not message.get("more_body", False)
            if self.response.complete:
                self.finish()
        else:
            raise DriverError(f"unexpected message {kind!r} for an HTTP request")


def body_message(body: bytes) -> Message:
    """The single ``http.request`` message carrying ``body``."""
    return {"type": "http.request", "body": body, "more_body": False}


async def request_once(
    app: ASGIApp, scope: Scope, body: bytes = b"", timeout: float = 10.0
) -> Response:
    """Run one request through ``app`` and return what it sent."""
    recorder = Recorder(body_message(body))
    request_scope = scope.copy()
    request_scope["state"] = dict(scope.get("state", {}))
    try:
        await asyncio.wait_for(app(request_scope, recorder.receive, recorder.send), timeout)
    except TimeoutError:
        raise DriverError(f"no complete response within {timeout:g}s") from None
    if not recorder.response.complete:
        raise DriverError("the app returned before finishing its response")
    return recorder.response


async def time_requests(app: ASGIApp, scope: Scope, body: bytes, count: int) -> int:
    """Run ``count`` identical requests back to back; return elapsed nanoseconds.

    The event loop runs one iteration after each request, as it does in a server between
    requests: what an app scheduled (callbacks, cancelled timers) is processed as it would
    be there. Without it, cancelled timers pile up in the loop's heap for the whole batch
    and an app arming one per request would look slower than it is under a server.
    """
    message = body_message(body)
    state: dict[str, Any] = scope.get("state", {})
    clock = time.perf_counter_ns
    loop_turn = asyncio.sleep
    start = clock()
    for _ in range(count):
        request_scope = scope.copy()
        request_scope["state"] = state.copy()
        exchange = HttpExchange(message)
        await app(request_scope, exchange.receive, exchange.send)
        await loop_turn(0)
    return clock() - start


class Channel:
    """Two one-way mailboxes between the driver and an app (websocket/lifespan).

    ``receive``/``send`` are the app's side; ``push``/``pull`` are the driver's.
    Each side waits on a bare future, the cheapest wake-up asyncio offers.
    """

    def __init__(self) -> None:
        self._to_app: deque[Message] = deque()
        self._from_app: deque[Message] = deque()
        self._app_waiter: asyncio.Future[Message] | None = None
        self._driver_waiter: asyncio.Future[Message] | None = None

    async def receive(self) -> Message:
        """App side: next message from the driver."""
        if self._to_app:
            return self._to_app.popleft()
        waiter = asyncio.get_running_loop().create_future()
        self._app_waiter = waiter
        return await waiter

    async def send(self, message: Message) -> None:
        """App side: hand a message to the driver."""
        waiter = self._driver_waiter
        if waiter is not None and not waiter.done():
            self._driver_waiter = None
            waiter.set_result(message)
        else:
            self._from_app.append(message)

    def push(self, message: Message) -> None:
        """Driver side: give the app a message."""
        waiter = self._app_waiter
        if waiter is not None and not waiter.done():
            self._app_waiter = None
            waiter.set_result(message)
        else:
            self._to_app.append(message)

    async def pull(self) -> Message:
        """Driver side: wait for the app's next message."""
        if self._from_app:
            return self._from_app.popleft()
        waiter = asyncio.get_running_loop().create_future()
        self._driver_waiter = waiter
        return await waiter

    async def pull_within(self, timeout: float, task: asyncio.Task[None]) -> Message:
        """``pull`` with a deadline, failing early if the app task ended."""
        pulling = asyncio.ensure_future(self.pull())
        await asyncio.wait({pulling, task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if pulling.done():
            return pulling.result()
        pulling.cancel()
        self._driver_waiter = None
        if task.done():
            error = task.exception()
            if error is not None:
                raise DriverError(f"app raised {type(error).__name__}: {error}")
            raise DriverError("the app returned without answering")
        raise DriverError(f"no message from the app within {timeout:g}s")


async def stop_task(task: asyncio.Task[None], timeout: float) -> BaseException | None:
    """Wait for ``task`` to end, cancelling it after ``timeout``; return its error."""
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.cancel()
        await asyncio.wait({task}, timeout=timeout)
        return DriverError(f"the app did not finish within {timeout:g}s and was cancelled")
    if task.cancelled():
        return None
    return task.exception()


def receive_message(payload: str | bytes) -> Message:
    """The ``websocket.receive`` event carrying ``payload`` (binary if bytes)."""
    if isinstance(payload, bytes):
        return {"type": "websocket.receive", "bytes": payload}
    return {"type": "websocket.receive", "text": payload}


class WebSocketClient:
    """One websocket connection to an app, driven message by message."""

    def __init__(
        self,
        app: ASGIApp,
        path: str,
        state: dict[str, Any],
        subprotocols: tuple[str, ...] = (),
        headers: tuple[tuple[bytes, bytes], ...] = (),
        query: bytes = b"",
    ) -> None:
        self.channel = Channel()
        scope = websocket_scope(path, subprotocols, headers, query)
        scope["state"] = state.copy()
        self.task: asyncio.Task[None] = asyncio.ensure_future(
            app(scope, self.channel.receive, self.channel.send)
        )

    async def connect(self, timeout: float = 10.0) -> Message:
        """Handshake: expect ``websocket.accept`` and return it."""
        self.channel.push({"type": "websocket.connect"})
        reply = await self.channel.pull_within(timeout, self.task)
        if reply["type"] != "websocket.accept":
            raise DriverError(f"expected websocket.accept, got {reply['type']!r}")
        return reply

    async def echo(self, payload: str | bytes, timeout: float = 10.0) -> Message:
        """Send one message (text, or binary if bytes) and return the app's reply."""
        return await self.echo_reply(payload, timeout)

    async def echo_reply(self, payload: str | bytes | None, timeout: float = 10.0) -> Message:
        """Send ``payload`` unless it is None, then return the app's next message."""
        if payload is not None:
            self.channel.push(receive_message(payload))
        return await self.channel.pull_within(timeout, self.task)

    async def time_echoes(self, payload: str | bytes, count: int, replies: int = 1) -> int:
        """Send ``count`` messages one at a time, each awaiting its ``replies`` answers;
        return ns."""
        channel = self.channel
        message = receive_message(payload)
        clock = time.perf_counter_ns
        start = clock()
        if replies == 1:
            for _ in range(count):
                channel.push(message)
                await channel.pull()
        else:
            for _ in range(count):
                channel.push(message)
                for _ in range(replies):
                    await channel.pull()
        return clock() - start

    async def close(self, timeout: float = 5.0) -> BaseException | None:
        """Send a client disconnect and wait for the app to finish."""
        self.channel.push({"type": "websocket.disconnect", "code": 1000})
        return await stop_task(self.task, timeout)


CONNECT: Message = {"type": "websocket.connect"}
DISCONNECT: Message = {"type": "websocket.disconnect", "code": 1000}


async def time_connections(
    app: ASGIApp,
    path: str,
    state: dict[str, Any],
    payload: str | bytes,
    count: int,
    headers: tuple[tuple[bytes, bytes], ...] = (),
    subprotocols: tuple[str, ...] = (),
    query: bytes = b"",
    greetings: int = 0,
) -> int:
    """Run ``count`` whole websocket connections one after the other; return ns.

    Each: handshake (to ``path?query``, offering ``subprotocols``), the app's
    ``greetings`` messages, one message, the app's reply, the app's close; then the
    ``websocket.disconnect`` a server delivers after a close, and the app's end.
    The responses were verified beforehand (``WebSocketClient``), so nothing is checked.
    """
    template = websocket_scope(path, subprotocols, headers, query)
    message = receive_message(payload)
    clock = time.perf_counter_ns
    ensure_future = asyncio.ensure_future
    start = clock()
    for _ in range(count):
        channel = Channel()
        scope = template.copy()
        scope["state"] = state.copy()
        task = ensure_future(app(scope, channel.receive, channel.send))
        channel.push(CONNECT)
        await channel.pull()
        for _ in range(greetings):
            await channel.pull()
        channel.push(message)
        await channel.pull()
        await channel.pull()
        channel.push(DISCONNECT)
        await task
    return clock() - start


async def time_broadcasts(clients: list[WebSocketClient], payload: str | bytes, count: int) -> int:
    """Send ``count`` messages from the first client, each awaited at every client in
    turn (a broadcast); return ns."""
    message = receive_message(payload)
    sender = clients[0].channel
    channels = [client.channel for client in clients]
    clock = time.perf_counter_ns
    start = clock()
    for _ in range(count):
        sender.push(message)
        for channel in channels:
            await channel.pull()
    return clock() - start


class Lifespan:
    """Drive the ASGI lifespan protocol around a serving session."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self.channel = Channel()
        self.task: asyncio.Task[None] | None = None
        self.supported = False

    async def startup(self, timeout: float = 30.0) -> None:
        """Send ``lifespan.startup``; raise if the app reports a failure."""
        scope = {"type": "lifespan", "asgi": ASGI_VERSION, "state": self.state}
        self.task = asyncio.ensure_future(self.app(scope, self.channel.receive, self.channel.send))
        self.channel.push({"type": "lifespan.startup"})
        try:
            reply = await self.channel.pull_within(timeout, self.task)
        except DriverError:
            if self.task.done() and self.task.exception() is not None:
                return  # The app raised: it does not support lifespan (allowed by the spec).
            raise
        if reply["type"] == "lifespan.startup.failed":
            raise DriverError(f"lifespan startup failed: {reply.get('message', '')}")
        if reply["type"] != "lifespan.startup.complete":
            raise DriverError(f"unexpected lifespan reply {reply['type']!r}")
        self.supported = True

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Send ``lifespan.shutdown`` and wait for the app to acknowledge it."""
        if self.task is None or not self.supported:
            return
        self.channel.push({"type": "lifespan.shutdown"})
        reply = await self.channel.pull_within(timeout, self.task)
        if reply["type"] != "lifespan.shutdown.complete":
            raise DriverError(f"lifespan shutdown: {reply['type']!r}")
        await stop_task(self.task, timeout)
