"""The HTTP request: URL and headers from :mod:`.base`, plus an async body.

The body is read from the ASGI ``receive`` callable only when the view asks for it:
``await request.get_data()``, ``await request.form``, ``await request.get_json()`` or
``async for chunk in request.body``. ``MAX_CONTENT_LENGTH`` is enforced before reading
(from ``Content-Length``) and while reading (for chunked bodies): 413. A body slower than
``BODY_TIMEOUT`` seconds: 408.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from werkzeug.datastructures import CombinedMultiDict, Headers, ImmutableMultiDict, MultiDict
from werkzeug.exceptions import (
    BadRequest,
    ClientDisconnected,
    RequestEntityTooLarge,
)

from .. import json as json_module
from ..exceptions import BodyTimeout
from ..formparser import FormDataParser
from ..globals import _cv_app
from .base import BaseRequestWebsocket

if TYPE_CHECKING:
    from ..datastructures import FileStorage
    from ..typing import Receive, Scope, Send


_timeout = getattr(asyncio, "timeout", None)
_new_object = object.__new__


class RequestLimits(NamedTuple):
    """The limits every request of an app is built with (read from its config once)."""

    max_content_length: int | None = None
    body_timeout: float | None = None
    max_form_memory_size: int | None = 500_000
    max_form_parts: int | None = 1_000
    max_form_total_memory_size: int | None = 2_500_000
    max_form_part_headers_size: int | None = 250_000


#: The limits of a request built without an app's (Erlen's defaults).
DEFAULT_LIMITS = RequestLimits()


class _Expiry:
    """The timer of one bounded ``receive()``: cancels the task when it fires."""

    __slots__ = ("task", "fired")

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task
        self.fired = False

    def __call__(self) -> None:
        self.fired = True
        self.task.cancel()


async def _receive_within(receive: Receive, timeout: float) -> Any:
    """``await receive()``, or :class:`BodyTimeout` after ``timeout`` seconds.

    What ``asyncio.timeout`` does, but a timer is armed only if ``receive()`` has to wait:
    a request's body is usually there already (the server queued it with the headers),
    and arming and cancelling a timer for it costs more than the rest of the read.
    A cancellation from elsewhere still propagates as ``CancelledError``.
    """
    pending: Any = receive()
    if inspect.iscoroutine(pending):
        try:
            waiting_on = pending.send(None)  # runs receive() up to its first real wait
        except StopIteration as done:
            return done.value  # answered without waiting: nothing to time
        except BaseException:
            pending.close()
            raise
        pending = _Resumed(pending, waiting_on)
    # else: a future or other awaitable (any ASGI awaitable is allowed): awaited as is
    task = asyncio.current_task()
    assert task is not None
    expiry = _Expiry(task)
    handle = asyncio.get_running_loop().call_later(timeout, expiry)
    try:
        return await pending
    except asyncio.CancelledError:
        # Ours alone (no other cancel request pending on the task): a timeout.
        # Python 3.10 has no Task.uncancel: there a fired timer is taken as the cause.
        uncancel = getattr(task, "uncancel", None)
        if expiry.fired and (uncancel is None or uncancel() == 0):
            raise BodyTimeout() from None
        raise
    finally:
        handle.cancel()


class _Resumed:
    """Await a coroutine already run up to its first wait (what ``yield from`` does)."""

    __slots__ = ("coro", "waiting_on")

    def __init__(self, coro: Any, waiting_on: Any) -> None:
        self.coro = coro
        self.waiting_on = waiting_on

    def __await__(self) -> Any:
        coro, waiting_on = self.coro, self.waiting_on
        try:
            while True:
                try:
                    sent = yield waiting_on
                except GeneratorExit:
                    raise
                except BaseException as exc:  # thrown in by the task (a cancellation)
                    try:
                        waiting_on = coro.throw(exc)
                    except StopIteration as done:
                        return done.value
                else:
                    try:
                        waiting_on = coro.send(sent)
                    except StopIteration as done:
                        return done.value
        finally:
            coro.close()  # no-op once finished; stops it if this await is abandoned


class _Pushed:
    """The ``receive`` of a body fed with :meth:`Body.append` and :meth:`Body.set_complete`
    (Quart's way of building a body by hand) rather than read from the ASGI server."""

    __slots__ = ("chunks", "complete", "waiter")

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.complete = False
        self.waiter: asyncio.Future[None] | None = None

    def wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def __call__(self) -> dict[str, Any]:
        while not self.chunks and not self.complete:
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        data = b"".join(self.chunks)
        self.chunks.clear()
        return {"type": "http.request", "body": data, "more_body": not self.complete}


class Body:
    """The request body: Quart's ``Body(expected_content_length, max_content_length)``.

    ``async for chunk in body`` yields chunks as they arrive (once; a later ``await``
    returns what was not iterated yet); ``await body`` returns the whole body and keeps
    it, so later awaits return the same bytes. A body over ``max_content_length`` (declared
    or received) raises 413 when read.

    A request's body reads the ASGI ``receive`` of its request; a body built by hand is
    fed with :meth:`append` and :meth:`set_complete` (or :meth:`set_result`).
    """

    #: Called (no arguments) when the last message of a body read from ASGI arrives:
    #: after it, ``receive`` gives only ``http.disconnect`` (erlen.pipeline.disconnect).
    _on_complete: Callable[[], None] | None = None

    def __init__(self, expected_content_length: int | None, max_content_length: int | None) -> None:
        self._expected = expected_content_length
        self._max = max_content_length
        #: The ASGI ``receive`` read from (set by the request); None: fed by ``append``.
        self._receive: Any = None
        self._timeout: float | None = None
        self._received = 0
        self._complete = False
        self._started = False
        self._data: bytes | None = None
        self._deadline: float | None = None

    def start_deadline(self) -> None:
        """Bound the whole read by ``BODY_TIMEOUT`` (Quart's rule for a body read whole:
        a client trickling bytes cannot hold the request open forever). Streaming with
        ``async for`` bounds each wait for a chunk instead, so long uploads can stream."""
        if self._timeout and self._deadline is None:
            self._deadline = asyncio.get_running_loop().time() + self._timeout

    def _check_declared_length(self) -> None:
        if self._max is not None and self._expected is not None and self._expected > self._max:
            raise RequestEntityTooLarge()

    def _pushed(self) -> _Pushed:
        receive = self._receive
        if receive is None:
            receive = self._receive = _Pushed()
        elif not isinstance(receive, _Pushed):
            raise RuntimeError("This body is read from the ASGI server; append() cannot add to it.")
        return receive

    def append(self, data: bytes) -> None:
        """Add a chunk to a body built by hand (Quart's API)."""
        if data:
            pushed = self._pushed()
            pushed.chunks.append(bytes(data))
            pushed.wake()

    def set_complete(self) -> None:
        """Mark a body built by hand as complete: no more chunks follow."""
        pushed = self._pushed()
        pushed.complete = True
        pushed.wake()

    def clear(self) -> None:
        """Drop the kept body: later reads return ``b""`` (``get_data(cache=False)``)."""
        if self._data is not None:
            self._data = b""

    async def _next_chunk(self) -> bytes | None:
        if self._complete:
            return None
        receive = self._receive
        if receive is None:  # built by hand and not fed yet: wait for append()
            receive = self._pushed()
        while True:
            if self._timeout:
                timeout = self._timeout
                if self._deadline is not None:
                    timeout = self._deadline - asyncio.get_running_loop().time()
                    if timeout <= 0:
                        raise BodyTimeout()
                if _timeout is not None:  # Python 3.11+: a timer, not a task per chunk
                    message = await _receive_within(receive, timeout)
                else:
                    try:
                        message = await asyncio.wait_for(receive(), timeout)
                    except TimeoutError:
                        raise BodyTimeout() from None
            else:
                message = await receive()
            kind = message["type"]
            if kind == "http.request":
                chunk = message.get("body", b"")
                if not message.get("more_body", False):
                    self._complete = True
                    if self._on_complete is not None:
                        self._on_complete()
                self._received += len(chunk)
                if self._max is not None and self._received > self._max:
                    raise RequestEntityTooLarge()
                if chunk or self._complete:
                    return chunk
            elif kind == "http.disconnect":
                self._complete = True
                raise ClientDisconnected()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    def _start(self) -> None:
        """Begin reading the body from ``receive`` (once: a read after an earlier partial
        one gets the rest, as in Quart)."""
        if not self._started:
            self._started = True
            self._check_declared_length()

    async def _iterate(self) -> AsyncIterator[bytes]:
        if self._data is not None:
            if self._data:
                yield self._data
            return
        self._start()
        while True:  # (after an earlier partial read: the rest)
            chunk = await self._next_chunk()
            if chunk is None:
                return
            if chunk:
                yield chunk
            if self._complete:
                return

    async def read(self, limit: int | None = None) -> bytes:
        """Read and keep the whole body (the chunks :meth:`_iterate` would give, read
        without an async generator). ``limit``: 413 as soon as more than that many bytes
        of it arrived (a bound tighter than ``max_content_length``, such as a form's),
        the rest left unread; a body kept by an earlier read is returned as it is."""
        if self._data is None:
            self.start_deadline()
            self._start()
            first = b""
            more: bytearray | None = None  # from the second chunk on: chunks can be tiny
            while not self._complete:
                chunk = await self._next_chunk()
                if chunk is None:
                    break
                if more is not None:
                    more += chunk
                elif first:
                    more = bytearray(first)
                    more += chunk
                else:
                    first = chunk
                if limit is not None and len(first if more is None else more) > limit:
                    raise RequestEntityTooLarge()
            # Not a list of chunks joined at the end: a chunked body of one-byte chunks
            # would cost an object per byte (tests/core/test_bad_input.py).
            self._data = first if more is None else bytes(more)
        return self._data

    def __await__(self) -> Any:
        return self.read().__await__()

    def mark_parsed(self) -> None:
        """The body was consumed by the multipart parser: later reads return ``b""``, as
        werkzeug's ``get_data`` does after form parsing (the parts were never buffered)."""
        if self._data is None:
            self._data = b""

    def set_result(self, data: bytes) -> None:
        """Provide the complete body (used by test request contexts)."""
        self._data = data
        self._complete = True
        self._started = True


# Request headers a pushed request inherits (the ones that shape the pushed response).
_PUSH_HEADERS = frozenset(
    ("accept", "accept-encoding", "accept-language", "cache-control", "user-agent")
)
#: Quart's name for the request headers a pushed request inherits.
SERVER_PUSH_HEADERS_TO_COPY = _PUSH_HEADERS


class _JsonCache:
    """Quart's ``request._cached_json``: ``{silent: value}``, ``Ellipsis`` where nothing is
    parsed yet. Made on first read, so a request that reads no JSON allocates none; the
    dict is then the instance's own attribute, which hides this (non-data) descriptor. A
    subclass that overrides ``get_json`` reads and writes it as in Quart."""

    def __get__(self, request: Any, owner: Any = None) -> Any:
        if request is None:
            return self
        cache = request._cached_json = {False: Ellipsis, True: Ellipsis}
        return cache


class Request(BaseRequestWebsocket):
    """An HTTP request. Awaitable properties: ``data``, ``form``, ``files``, ``values``,
    ``json``; body streaming via ``request.body``."""

    body_class = Body
    #: The form parser class (see :meth:`make_form_data_parser`).
    form_data_parser_class = FormDataParser
    #: Quart's lock class for body parsing; the body reader needs no lock (one reader
    #: per request), so it is unused and kept for code that reads it.
    lock_class = asyncio.Lock
    #: The ASGI ``send`` used for server push (set by the ``http`` protocol handler).
    _push_send: Send | None = None
    # Set on first use (class defaults: a request that never reads its body or form
    # allocates nothing for them).
    _body: Body | None = None
    _form: ImmutableMultiDict[str, str] | None = None
    _files: ImmutableMultiDict[str, FileStorage] | None = None

    #: The ASGI ``receive`` the body is read from (None: the body is fed by hand).
    _receive: Receive | None = None
    #: Quart's push callable ``(path, headers)``, when the constructor was given one.
    _send_push_promise: Callable[[str, Headers], Awaitable[None]] | None = None

    def __init__(
        self,
        method: str,
        scheme: str,
        path: str,
        query_string: bytes,
        headers: Headers,
        root_path: str,
        http_version: str,
        scope: Scope,
        *,
        max_content_length: int | None = None,
        body_timeout: float | None = None,
        send_push_promise: Callable[[str, Headers], Awaitable[None]] | None = None,
        max_form_memory_size: int | None = 500_000,
        max_form_parts: int | None = 1_000,
        max_form_total_memory_size: int | None = 2_500_000,
        max_form_part_headers_size: int | None = 250_000,
    ) -> None:
        """Quart's constructor. The body of a request built this way is fed by hand
        (``request.body.append(chunk)``, ``request.body.set_complete()``); the server
        builds its requests with :meth:`from_scope`, reading the body from ASGI.
        ``send_push_promise(path, headers)`` is awaited by :meth:`send_push_promise`."""
        super().__init__(
            method, scheme, path, query_string, headers, root_path, http_version, scope
        )
        self._max_content_length = max_content_length
        self.body_timeout = body_timeout
        self.max_form_memory_size = max_form_memory_size
        self.max_form_parts = max_form_parts
        self.max_form_total_memory_size = max_form_total_memory_size
        self.max_form_part_headers_size = max_form_part_headers_size
        if send_push_promise is not None:
            self._send_push_promise = send_push_promise

    #: Whether :meth:`from_scope` may fill the fields itself: the class keeps this
    #: constructor and the fields it leaves to be derived on first read (set per class
    #: in ``__init_subclass__``; pinned by tests/core/test_hot_path.py).
    _fills_from_scope = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fills_from_scope = cls.__init__ is Request.__init__ and all(
            getattr(cls, name) is vars(BaseRequestWebsocket)[name]
            for name in ("scheme", "http_version", "query_string", "root_path")
        )

    @classmethod
    def from_scope(
        cls,
        scope: Scope,
        receive: Receive | None = None,
        send: Send | None = None,
        limits: RequestLimits = DEFAULT_LIMITS,
    ) -> Any:
        """The request the ``http`` protocol handler builds for ``scope``: its body read
        from ``receive`` (None: fed by hand), ``send`` kept for server push.

        For a class keeping this constructor the constructor is skipped:
        ``set_scope`` sets the fields, and the ones most requests never read (scheme,
        HTTP version, query string, headers) are derived from the scope on first read.
        Any other class gets its constructor, called with the fields taken from the scope
        the same way.
        """
        if cls._fills_from_scope:
            request = _new_object(cls)
            request.set_scope(scope)
        else:
            fields = _new_object(Request)
            fields.set_scope(scope)
            request = cls(
                *fields.scope_fields(),
                scope,
                max_content_length=limits.max_content_length,
                body_timeout=limits.body_timeout,
                send_push_promise=None,
            )
        request._receive = receive
        request._push_send = send
        # Class defaults set on the instance: the pipeline reads them on every request.
        request.routing_exception = None
        request._files = None
        (
            request._max_content_length,
            request.body_timeout,
            request.max_form_memory_size,
            request.max_form_parts,
            request.max_form_total_memory_size,
            request.max_form_part_headers_size,
        ) = limits
        return request

    _cached_json = _JsonCache()

    @property
    def max_content_length(self) -> int | None:
        """The largest body accepted, in bytes (``MAX_CONTENT_LENGTH``)."""
        return self._max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value
        if self._body is not None:
            self._body._max = value

    @property
    def body(self) -> Body:
        """The body: ``async for chunk in request.body`` or ``await request.body``."""
        body = self._body
        if body is None:
            body = self._body = self.body_class(self.content_length, self._max_content_length)
            body._receive = self._receive  # None for a request built by hand: fed by append()
            body._timeout = self.body_timeout
        return body

    @body.setter
    def body(self, value: Body) -> None:
        self._body = value

    @property
    def stream(self) -> NoReturn:
        """Not available: use ``request.body`` (async) instead."""
        raise NotImplementedError("Use `async for chunk in request.body` instead")

    async def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> Any:
        """The whole body as bytes (or text with ``as_text``)."""
        if parse_form_data:
            await self._load_form_data()
        body = self.body
        data = await body.read()
        if not cache:
            body.clear()
        # Invalid UTF-8 from the client is replaced, not a 500 (werkzeug does the same).
        return data.decode("utf-8", "replace") if as_text else data

    @property
    def data(self) -> Awaitable[bytes]:
        """Awaitable: the whole body as bytes."""
        return self.get_data()  # type: ignore[no-any-return]

    @property
    def form(self) -> Awaitable[ImmutableMultiDict[str, str]]:
        """Awaitable: the form fields of a urlencoded or multipart body."""
        return self._get_form()

    @property
    def files(self) -> Awaitable[ImmutableMultiDict[str, FileStorage]]:
        """Awaitable: the uploaded files of a multipart body."""
        return self._get_files()

    @property
    def values(self) -> Awaitable[CombinedMultiDict[str, str]]:
        """Awaitable: ``args`` and ``form`` combined."""
        return self._get_values()

    @property
    def json(self) -> Awaitable[Any]:
        """Awaitable: ``get_json()``."""
        return self.get_json()

    async def _get_form(self) -> ImmutableMultiDict[str, str]:
        await self._load_form_data()
        assert self._form is not None
        return self._form

    async def _get_files(self) -> ImmutableMultiDict[str, FileStorage]:
        await self._load_form_data()
        assert self._files is not None
        return self._files

    async def _get_values(self) -> CombinedMultiDict[str, str]:
        if self.method == "GET":
            # A GET body is not form data for most clients and servers (werkzeug, Quart).
            return CombinedMultiDict([self.args])
        form = await self._get_form()
        return CombinedMultiDict([self.args, form])

    async def _load_form_data(self) -> None:
        if self._form is not None:
            return
        parser = self.make_form_data_parser()
        self._form, self._files = await parser.parse(
            self.body, self.mimetype, self.content_length, self.mimetype_params
        )

    def make_form_data_parser(self) -> FormDataParser:
        """A :attr:`form_data_parser_class` with this request's form limits."""
        return self.form_data_parser_class(  # type: ignore[no-any-return]
            cls=self.parameter_storage_class,
            max_content_length=self.max_content_length,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            max_form_total_memory_size=self.max_form_total_memory_size,
            max_form_part_headers_size=self.max_form_part_headers_size,
        )

    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """Parse the body as JSON with the app's JSON provider.

        Without ``force`` a body whose mimetype is not JSON gives ``None`` (Quart's rule;
        Flask answers 415). Invalid JSON: 400, or ``None`` with ``silent``.
        """
        cached = self._cached_json
        if cache and cached[silent] is not Ellipsis:
            return cached[silent]
        if not (force or self.is_json):
            return None
        data = await self.get_data()
        try:
            ctx = _cv_app.get(None)
            if self.json_module is not json_module:  # swapped on the class or instance
                rv = self.json_module.loads(data)
            elif ctx is not None:
                rv = ctx.app.json.loads(data)
            else:
                rv = json.loads(data)
        except ValueError as e:
            if silent:
                rv = None
            else:
                return self.on_json_loading_failed(e)
        if cache:
            cached[silent] = rv
        return rv

    def on_json_loading_failed(self, error: Exception | None) -> Any:
        """Raise 400 for invalid JSON; the parser's message is shown in debug mode only.

        Override it to answer differently: its return value becomes ``get_json()``'s.
        """
        ctx = _cv_app.get(None)
        if ctx is not None and ctx.app.debug and error is not None:
            raise BadRequest(f"Failed to decode JSON object: {error}")
        raise BadRequest()

    async def send_push_promise(self, path: str) -> None:
        """Ask the client to fetch ``path`` (HTTP/2 server push); see ``make_push_promise``.

        The pushed request carries this one's ``Accept*``, ``Cache-Control`` and
        ``User-Agent`` headers. It goes to the ``send_push_promise`` callable the
        constructor was given, else to the ASGI server: a no-op unless the server offers
        the ``http.response.push`` extension.
        """
        headers = Headers(
            [item for item in self.headers.items() if item[0].lower() in _PUSH_HEADERS]
        )
        push = self._send_push_promise
        if push is not None:
            await push(path, headers)
            return
        send = self._push_send
        if send is None or "http.response.push" not in (self.scope.get("extensions") or {}):
            return
        raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
        await send({"type": "http.response.push", "path": path, "headers": raw})

    async def close(self) -> None:
        """Close uploaded files."""
        if self._files is not None:
            for _name, f in self._files.items(multi=True):
                f.close()


def empty_form() -> tuple[ImmutableMultiDict[str, str], ImmutableMultiDict[str, Any]]:
    """An empty (form, files) pair."""
    return ImmutableMultiDict(), ImmutableMultiDict()


__all__ = [
    "DEFAULT_LIMITS",
    "SERVER_PUSH_HEADERS_TO_COPY",
    "Body",
    "MultiDict",
    "Request",
    "RequestLimits",
    "empty_form",
]
