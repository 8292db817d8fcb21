"""The HTTP response: werkzeug's sansio response with an async body.

The body is one of: a list of bytes chunks (the common case), an async iterable, a sync
iterable (run in a thread, as Quart does), or a file path (streamed in blocks).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from http import HTTPStatus
from inspect import getattr_static
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import ContentRange, Headers
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import HTTP_STATUS_CODES, parse_etags, parse_range_header
from werkzeug.sansio.http import is_resource_modified
from werkzeug.sansio.response import Response as _SansIOResponse
from werkzeug.utils import get_content_type

from .. import json as json_module
from ..globals import _cv_app
from ..synciter import iterate_in_thread
from .headers import ResponseHeaders, content_length_item, header_items, header_value, set_item

if TYPE_CHECKING:
    from .base import BaseRequestWebsocket

FILE_BLOCK_SIZE = 64 * 1024
_new_object = object.__new__
# (response class, mimetype) -> its plain Content-Type value (charset added) or None
_PLAIN_CONTENT_TYPES: dict[tuple[type, str | None], str | None] = {}
_MAX_PLAIN_CONTENT_TYPES = 256
_UNKNOWN: Any = object()
# The header classes whose item list the constructor may change itself (set_item keeps
# their rules); a subclass of them gets its own methods called.
_PLAIN_HEADERS = (Headers, ResponseHeaders)


class _StatusLines(dict):  # type: ignore[type-arg]
    """201 -> "201 CREATED": werkzeug's status line of an int status (read from its
    table once per code; a few hundred codes at most are kept)."""

    def __missing__(self, code: int) -> str:
        phrase = HTTP_STATUS_CODES.get(code)
        line = f"{code} {'UNKNOWN' if phrase is None else phrase.upper()}"
        if len(self) < 1024:
            self[code] = line
        return line


class _ContentTypeItems(dict):  # type: ignore[type-arg]
    """``"text/plain"`` -> ``("Content-Type", "text/plain; charset=utf-8")``: the header item
    of a mimetype, charset added as werkzeug adds it. A mimetype with a CR or LF raises
    werkzeug's ValueError (and is not kept)."""

    def __missing__(self, mimetype: str) -> tuple[str, str]:
        item = ("Content-Type", header_value(get_content_type(mimetype, "utf-8")))
        if len(self) < 256:
            self[mimetype] = item
        return item


def _content_type_item(mimetype: str) -> tuple[str, str]:
    if mimetype.__class__ is str:
        return _CONTENT_TYPE_ITEMS[mimetype]  # type: ignore[no-any-return]
    return ("Content-Type", header_value(get_content_type(mimetype, "utf-8")))


_STATUS_LINES = _StatusLines()
_CONTENT_TYPE_ITEMS = _ContentTypeItems()


class _BodyContext:
    # Quart's body objects are used as ``async with body as b: async for chunk in b``.
    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


def _restrict(body: Any, begin: int, end: int | None, size: int) -> int:
    """Restrict a body of ``size`` bytes to ``[begin, end)`` (``end`` clamped to the size,
    a negative ``begin`` counted from the end); 416 for an empty or outside range."""
    end = size if end is None else min(end, size)
    if begin < 0:
        begin = max(0, size + begin)
    if begin >= end:
        raise RequestedRangeNotSatisfiable(length=size)
    body.begin, body.end = begin, end
    return size


class FileBody(_BodyContext):
    """A file on disk, sent in blocks (optionally one byte range of it)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        buffer_size: int = FILE_BLOCK_SIZE,
        size: int | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.buffer_size = buffer_size
        self.begin = 0
        self.end: int | None = None
        #: The file's size: ``size`` when the caller has just read it (``send_file``'s
        #: stat), else read here.
        self.size = os.path.getsize(self.path) if size is None else size

    async def make_conditional(self, begin: int, end: int | None) -> int:
        """Restrict the body to the bytes ``[begin, end)`` (Quart's rules: ``end`` clamped
        to the size, 416 for a range outside the file); returns the full size."""
        return _restrict(self, begin, end, self.size)

    def _read_blocks(self) -> list[bytes]:
        end = self.size if self.end is None else self.end
        with open(self.path, "rb") as f:
            f.seek(self.begin)
            remaining = end - self.begin
            blocks = []
            while remaining > 0:
                block = f.read(min(self.buffer_size, remaining))
                if not block:
                    break
                remaining -= len(block)
                blocks.append(block)
            return blocks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        end = self.size if self.end is None else self.end
        if end - self.begin <= self.buffer_size * 4:
            for block in self._read_blocks():
                yield block
            return
        loop = asyncio.get_running_loop()
        f = await loop.run_in_executor(None, open, self.path, "rb")
        try:
            await loop.run_in_executor(None, f.seek, self.begin)
            remaining = end - self.begin
            while remaining > 0:
                block = await loop.run_in_executor(None, f.read, min(self.buffer_size, remaining))
                if not block:
                    break
                remaining -= len(block)
                yield block
        finally:
            f.close()


def _iterate_sync(iterable: Iterable[Any]) -> AsyncIterator[Any]:
    return iterate_in_thread(iterable)


class BodyChunks(list):  # type: ignore[type-arg]
    """The chunks of a body in memory (a list of bytes), usable as Quart's body classes
    are: ``async with response.response as body: async for chunk in body``."""

    __slots__ = ()

    async def __aenter__(self) -> BodyChunks:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        return None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self:
            yield chunk


class DataBody(_BodyContext):
    """Bytes in memory as a response body (Quart's ``Response.data_body_class``)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.begin = 0
        self.end = len(data)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        data = self.data
        yield data if (self.begin, self.end) == (0, len(data)) else data[self.begin : self.end]

    async def make_conditional(self, begin: int, end: int | None) -> int:
        """Restrict the body to ``[begin, end)`` (as :meth:`FileBody.make_conditional`)."""
        return _restrict(self, begin, end, len(self.data))


class IterableBody(_BodyContext):
    """A sync or async iterable as a response body (``iterable_body_class``); leaving
    ``async with`` closes the iterable."""

    def __init__(self, iterable: Any) -> None:
        self.iterable = iterable

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the iterable (a generator's ``aclose``/``close``), if it has one."""
        aclose = getattr(self.iterable, "aclose", None)
        if aclose is not None:
            await aclose()
            return
        close = getattr(self.iterable, "close", None)
        if close is not None:
            close()

    async def __aiter__(self) -> AsyncIterator[Any]:
        if isinstance(self.iterable, AsyncIterable):
            async for chunk in self.iterable:
                yield chunk
        else:
            async for chunk in _iterate_sync(self.iterable):
                yield chunk


class IOBody(_BodyContext):
    """A binary file-like object as a response body, read in blocks in a thread
    (``io_body_class``)."""

    def __init__(self, io_stream: Any, buffer_size: int = FILE_BLOCK_SIZE) -> None:
        self.io_stream = io_stream
        self.buffer_size = buffer_size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            block = await asyncio.to_thread(self.io_stream.read, self.buffer_size)
            if not block:
                return
            yield block


class ResponseBody(ABC):
    """The interface of a response body, as Quart names it: used as
    ``async with body as chunks: async for chunk in chunks``.

    Subclass it for a body of your own; Erlen's :class:`DataBody`, :class:`IterableBody`,
    :class:`IOBody` and :class:`FileBody` are registered as virtual subclasses.
    """

    @abstractmethod
    async def __aenter__(self) -> AsyncIterable[Any]:
        """Open the body (a file, say) and return what yields its chunks."""

    @abstractmethod
    async def __aexit__(self, *exc_info: Any) -> None:
        """Release what ``__aenter__`` opened."""


for _body_class in (DataBody, IterableBody, IOBody, FileBody):
    ResponseBody.register(_body_class)


class Response(_SansIOResponse):
    """An HTTP response. ``await response.get_data()`` reads a body of any kind."""

    # Slots for what every response sets: a response made per request needs no instance
    # dict for them (werkzeug's own attributes still go to one).
    __slots__ = ("headers", "_response")
    _response: Any  # the body as stored; read through the ``response`` property

    default_mimetype: str | None = "text/html"
    automatically_set_content_length = True
    #: Seconds the whole body may take to send; ``...`` means the app's ``RESPONSE_TIMEOUT``.
    timeout: Any = ...
    # What the constructor sets for a 200 response with a body in memory, as class
    # defaults: the constructor sets them on the instance only when they differ.
    _is_data = True
    _status = "200 OK"
    _status_code = 200
    #: Quart's body classes: ``Response(cls.io_body_class(stream))`` and the like stream
    #: that body. Strings and bytes are kept as a list of chunks, not a ``DataBody``.
    data_body_class = DataBody
    file_body_class = FileBody
    io_body_class = IOBody
    iterable_body_class = IterableBody
    #: Whether ``get_data()`` keeps a streamed body in memory once read (then it can be
    #: read again and sent); with False it is read once, as it streams.
    implicit_sequence_conversion = True
    #: The JSON module of :meth:`get_json` (``erlen.json``: the current app's provider).
    json_module: Any = json_module
    # Whether the class keeps Response's status parsing (then an int status is looked up
    # in _STATUS_LINES) / its set_data (then the constructor stores a str or bytes body
    # itself). Worked out per class when it is defined (__init_subclass__).
    _own_status = True
    _own_set_data = True
    #: Whether ``status_code`` is werkzeug's property reading ``_status_code`` (the send
    #: step then reads the field; tests/core/test_response_constructor.py).
    _status_code_field = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._own_status = (
            cls._clean_status is Response._clean_status
            and getattr_static(cls, "status") is getattr_static(Response, "status")
            and cls._status == "200 OK"
            and cls._status_code == 200
        )
        cls._own_set_data = cls.set_data is Response.set_data
        cls._status_code_field = getattr_static(cls, "status_code") is getattr_static(
            Response, "status_code"
        )

    # The common arguments take a short path with werkzeug's result (pinned, shape by
    # shape, by tests/core/test_response_constructor.py): a dict or list of headers is
    # copied into a new ResponseHeaders (a Headers object given is the response's own,
    # as in werkzeug), values checked for CR/LF; an int status gets its status line.
    def __init__(
        self,
        response: Any = None,
        status: int | str | HTTPStatus | None = None,
        headers: Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
    ) -> None:
        """werkzeug's ``Response(status, headers, mimetype, content_type)`` with ``response``
        as the body: a ``str`` (encoded as UTF-8), bytes, ``None`` (empty), or an iterable
        or async iterable of chunks (streamed; see the body classes)."""
        cls = type(self)
        # --- headers; `items`: their list, when set_item's rules are theirs (else None)
        items: list[tuple[Any, str]] | None
        if headers is None or (not headers and not isinstance(headers, Headers)):
            own = self.headers = _new_object(ResponseHeaders)
            items = own._list = []
        elif isinstance(headers, Headers):
            self.headers = headers
            items = headers._list if type(headers) in _PLAIN_HEADERS else None
        else:
            items = header_items(headers)
            if items is None:  # another kind of mapping or iterable: werkzeug's way
                own = self.headers = ResponseHeaders(headers)
                items = own._list
            else:
                own = self.headers = _new_object(ResponseHeaders)
                own._list = items
        # --- Content-Type: content_type, else mimetype, else the class default if none
        if items is None:
            self._set_content_type(mimetype, content_type)
        else:
            type_item = None
            if content_type is not None:  # checked before the headers, as werkzeug does
                type_item = ("Content-Type", header_value(content_type))
            elif mimetype.__class__ is str:
                type_item = _CONTENT_TYPE_ITEMS[mimetype]
            elif mimetype is not None:
                type_item = _content_type_item(mimetype)
            has_type = has_length = False
            for key, _value in items:  # the headers given, if any
                name = key.lower()
                if name == "content-type":
                    has_type = True
                elif name == "content-length":
                    has_length = True
            if type_item is None and not has_type:
                mimetype = cls.default_mimetype
                if mimetype.__class__ is str:
                    type_item = _CONTENT_TYPE_ITEMS[mimetype]
                elif mimetype is not None:
                    type_item = _content_type_item(mimetype)
            if type_item is not None:
                if has_type:
                    set_item(items, "content-type", type_item)
                else:
                    items.append(type_item)
        # --- status
        if status is None:
            status = cls.default_status
        if status.__class__ is int and cls._own_status:
            if status != 200:  # 200: the class default status line
                self._status = _STATUS_LINES[status]  # type: ignore[index]
            # On the instance even when it is the class default: the send step reads it.
            self._status_code = status  # type: ignore[assignment]
        else:
            self.status = status  # type: ignore[assignment]
        # --- the body, and its Content-Length
        if cls.timeout is not ...:
            self.timeout = ...
        length_item: tuple[str, str] | None = None
        kind = response.__class__
        if (kind is str or kind is bytes) and cls._own_set_data:  # set_data, inline
            data = response.encode() if kind is str else response
            self._response = [data]
            if cls.automatically_set_content_length:
                length_item = content_length_item(len(data))
            self._is_data = True  # on the instance, as below: the send step reads it
        elif response is None:  # no Content-Length until a body is set (Quart's rule)
            self._response = []
            self._is_data = True
        elif isinstance(response, (str, bytes, bytearray, memoryview)):
            self.set_data(response if isinstance(response, (str, bytes)) else bytes(response))
        else:
            self._is_data = False
            self._response = response
        if length_item is not None:
            if items is None:
                self.headers["Content-Length"] = length_item[1]
            elif has_length:
                set_item(items, "content-length", length_item)
            else:
                items.append(length_item)

    def _set_content_type(self, mimetype: str | None, content_type: str | None) -> None:
        # werkzeug's Content-Type step, for headers of a class of their own
        headers = self.headers
        if content_type is None:
            if mimetype is None and "content-type" not in headers:
                mimetype = self.default_mimetype
            if mimetype is not None:
                content_type = get_content_type(mimetype, "utf-8")
        if content_type is not None:
            headers["Content-Type"] = content_type

    @classmethod
    def _of_bytes(cls, data: bytes, mimetype: str | None = None) -> Response:
        """``cls(data, mimetype=mimetype)`` (kept for callers written before the
        constructor had its short path)."""
        return cls(data, mimetype=mimetype)

    @classmethod
    def _plain(cls, data: bytes, content_type: str) -> Response:
        """``cls(data, content_type=content_type)`` (as :meth:`_of_bytes`)."""
        return cls(data, content_type=content_type)

    @classmethod
    def _plain_content_type(cls, mimetype: str | None) -> str | None:
        """The ``Content-Type`` of ``cls(data, mimetype=mimetype)``, if that response is
        exactly status 200 with ``Content-Type`` and ``Content-Length`` (the class keeps
        Response's constructor and defaults); ``None`` when it may be anything else.

        Worked out once per class and mimetype (a few per app): a response class's
        constructor and defaults are set when the class is defined.
        """
        key = (cls, mimetype)
        content_type = _PLAIN_CONTENT_TYPES.get(key, _UNKNOWN)
        if content_type is not _UNKNOWN:
            return content_type  # type: ignore[no-any-return]
        if (
            mimetype is None
            or cls.__init__ is not Response.__init__
            or not cls._own_set_data
            or not cls.automatically_set_content_length
            or cls.default_status != 200
            or cls.timeout is not ...
            or cls._is_data is not True
            or cls._status_code != 200
        ):
            content_type = None
        else:
            content_type = _CONTENT_TYPE_ITEMS[mimetype][1]
        if len(_PLAIN_CONTENT_TYPES) < _MAX_PLAIN_CONTENT_TYPES:
            _PLAIN_CONTENT_TYPES[key] = content_type
        return content_type

    @property
    def response(self) -> Any:
        """The body: the chunks of a body in memory (``BodyChunks``, a list), a body
        object given (``FileBody``...), or an iterable given, wrapped in
        :attr:`iterable_body_class` on this first read; each one works as
        ``async with response.response as body: async for chunk in body``."""
        body = self._response
        if body.__class__ is list:
            body = self._response = BodyChunks(body)
        elif not self._is_data and not hasattr(body, "__aenter__"):
            body = self._response = self.iterable_body_class(body)
        return body

    @response.setter
    def response(self, value: Any) -> None:
        self._response = value

    @property
    def status(self) -> str:
        """The status line, e.g. ``"404 NOT FOUND"``; set it to an int, a line or an
        ``HTTPStatus`` (werkzeug's rules)."""
        return self._status

    @status.setter
    def status(self, value: str | int | HTTPStatus) -> None:
        if value.__class__ is int and self._own_status:
            self._status = _STATUS_LINES[value]
            self._status_code = value  # type: ignore[assignment]
        else:
            self._status, self._status_code = self._clean_status(value)

    def set_data(self, data: str | bytes) -> None:
        """Replace the body with ``data`` (str is encoded as UTF-8)."""
        if isinstance(data, str):
            data = data.encode()
        elif not isinstance(data, bytes):
            data = bytes(data)
        self._response = [data]
        self._is_data = True
        if self.automatically_set_content_length:
            self.headers["Content-Length"] = str(len(data))

    @property
    def max_cookie_size(self) -> int:  # type: ignore[override]
        """``MAX_COOKIE_SIZE`` of the current app (4093 outside one): ``set_cookie`` warns
        about a larger cookie, which browsers may silently drop."""
        ctx = _cv_app.get(None)
        if ctx is not None:
            return int(ctx.app.config["MAX_COOKIE_SIZE"])
        return 4093

    @property
    def is_streamed(self) -> bool:
        """Whether the body is an iterator or file rather than bytes in memory."""
        return not self._is_data

    async def get_data(self, as_text: bool = False) -> Any:
        """The whole body (consumes a streamed body and keeps it)."""
        if not self._is_data:
            chunks = [self._encode(c) async for c in self.iter_body()]
            if not self.implicit_sequence_conversion:
                data = b"".join(chunks)
                return data.decode() if as_text else data
            self._response = chunks
            self._is_data = True
        data = b"".join(self._response)
        return data.decode() if as_text else data

    @property
    def data(self) -> Any:
        """Awaitable: the whole body as bytes."""
        return self.get_data()

    @data.setter
    def data(self, value: str | bytes) -> None:
        self.set_data(value)

    @property
    def json(self) -> Any:
        """Awaitable: the body parsed as JSON."""
        return self.get_json()

    async def get_json(self, force: bool = False, silent: bool = False) -> Any:
        """Parse the body as JSON (None if not JSON, unless ``force``)."""
        if not (force or self.is_json):
            return None
        data = await self.get_data()
        if self.json_module is not json_module:  # swapped on the class or instance
            try:
                return self.json_module.loads(data)
            except ValueError:
                if silent:
                    return None
                raise
        try:
            ctx = _cv_app.get(None)
            if ctx is not None:
                return ctx.app.json.loads(data)
            return json.loads(data)
        except ValueError:
            if silent:
                return None
            raise

    @staticmethod
    def _encode(chunk: Any) -> bytes:
        if isinstance(chunk, str):
            return chunk.encode()
        return bytes(chunk)

    async def iter_body(self) -> AsyncIterator[Any]:
        """Iterate the body as it is (chunks may be str or bytes)."""
        body = self._response
        if self._is_data or isinstance(body, (list, tuple)):
            for chunk in body:
                yield chunk
        elif isinstance(body, (AsyncIterable, FileBody)):
            async for chunk in body:
                yield chunk
        else:
            async for chunk in _iterate_sync(body):
                yield chunk

    async def iter_encode(self) -> AsyncIterator[bytes]:
        """Iterate the body as bytes."""
        async for chunk in self.iter_body():
            yield self._encode(chunk)

    async def add_etag(self, overwrite: bool = False, weak: bool = False) -> None:
        """Set an ETag from the MD5 hash of the body, as Quart does (so the ETags a
        client cached from a Quart app still match after a port)."""
        if overwrite or "etag" not in self.headers:
            data = await self.get_data()
            self.set_etag(hashlib.md5(data, usedforsecurity=False).hexdigest(), weak)

    async def make_sequence(self) -> None:
        """Read a streamed body into memory, so it can be read again and measured."""
        if not self._is_data:
            self._response = [self._encode(c) async for c in self.iter_body()]
            self._is_data = True

    async def freeze(self) -> None:
        """Read a streamed body into memory."""
        await self.get_data()

    async def make_conditional(
        self,
        request: BaseRequestWebsocket,
        accept_ranges: bool | str = False,
        complete_length: int | None = None,
    ) -> Response:
        """Answer ``If-None-Match``/``If-Modified-Since``/``If-Match`` (304/412) and
        ``Range``/``If-Range`` for GET and HEAD, as Quart and werkzeug do.

        A single byte range is served as a 206 when ``complete_length`` (the full size) is
        given, or with ``accept_ranges`` when the size is known (bytes in memory, a file);
        a range running past the end is clamped; several ranges, another unit or a range
        outside the body raise 416 (``RequestedRangeNotSatisfiable``). ``accept_ranges``
        (True: ``"bytes"``) also sets ``Accept-Ranges``.
        """
        if request.method not in ("GET", "HEAD"):
            return self
        header = _single_header_reader(request)
        if accept_ranges:
            self.headers["Accept-Ranges"] = _accept_ranges_value(accept_ranges)
        if await self._process_range(header, complete_length, accept_ranges):
            return self
        if_modified_since = header(b"if-modified-since")
        if_none_match = header(b"if-none-match")
        if_match = header(b"if-match")
        # Without any of the three, is_resource_modified answers True whatever the ETag
        # and Last-Modified (it would still parse them): an unconditional GET.
        # tests/core/test_send_file.py (conditional requests) pins both ways.
        if (if_modified_since or if_none_match or if_match) and not resource_modified(
            if_modified_since,
            if_none_match,
            if_match,
            self.headers.get("ETag"),
            self.headers.get("Last-Modified"),
        ):
            if if_match and parse_etags(if_match):
                self.status_code = 412
            else:
                self.status_code = 304
                self._response, self._is_data = [], True
                self.headers.pop("Content-Length", None)
        return self

    def _range_length(self, complete_length: int | None, accept_ranges: Any) -> int | None:
        # The size ranges are served against: the one given, else (with accept_ranges)
        # the body's own when it is known without reading it.
        if complete_length is not None or not accept_ranges:
            return complete_length
        body = self._response
        if isinstance(body, (FileBody, DataBody)):
            return body.size if isinstance(body, FileBody) else len(body.data)
        if self._is_data:
            return sum(len(c) for c in body)
        return None  # a stream of unknown size: ranges cannot be served

    async def _process_range(
        self, header: Callable[[bytes], str | None], complete_length: int | None, accept_ranges: Any
    ) -> bool:
        range_header = header(b"range")
        if range_header is None:
            return False
        length = self._range_length(complete_length, accept_ranges)
        if not length:
            return False
        if_range = header(b"if-range")
        if if_range and is_resource_modified(
            http_range=range_header,
            http_if_range=if_range,
            etag=self.headers.get("ETag"),
            last_modified=self.headers.get("Last-Modified"),
            ignore_if_range=False,
        ):
            return False  # the client's copy is stale: send the whole body
        http_range = parse_range_header(range_header)
        if http_range is None or http_range.units != "bytes" or len(http_range.ranges) != 1:
            raise RequestedRangeNotSatisfiable(length=length)
        begin, end = http_range.ranges[0]
        if end is None and begin < 0 and -begin > length:
            return False  # a suffix longer than the body means all of it (RFC 9110 14.1.2)
        body = self._response
        restricted: Any
        if self._is_data:
            restricted = DataBody(b"".join(body))
            length = await restricted.make_conditional(begin, end)
            self._response = [restricted.data[restricted.begin : restricted.end]]
        else:
            if not callable(getattr(body, "make_conditional", None)):
                await self.make_sequence()  # a stream: read into memory, then cut (Quart's way)
                return await self._process_range(header, length, accept_ranges)
            length = await body.make_conditional(begin, end)
            restricted = body
        begin, end = restricted.begin, restricted.end
        self.headers["Content-Length"] = str(end - begin)
        self.headers["Accept-Ranges"] = _accept_ranges_value(accept_ranges)
        self.content_range = ContentRange("bytes", begin, end, length)  # type: ignore[assignment]
        self.status_code = 206
        return True


def _accept_ranges_value(accept_ranges: bool | str) -> str:
    # werkzeug's and Quart's spelling: True -> "bytes", False -> "none", a str as is
    if accept_ranges is True:
        return "bytes"
    if accept_ranges is False:
        return "none"
    if isinstance(accept_ranges, str):
        return accept_ranges
    raise ValueError("accept_ranges must be a bool or a str")


#: ``resource_modified``'s answers by its five header values (bounded; oldest dropped
#: first). A client revalidating a resource sends the same validators every time.
_MODIFIED: dict[tuple[str | None, ...], bool] = {}
_MAX_MODIFIED = 256
_MAX_MODIFIED_KEY = 1024  # characters over the five values; longer ones are not kept


def resource_modified(
    if_modified_since: str | None,
    if_none_match: str | None,
    if_match: str | None,
    etag: str | None,
    last_modified: str | None,
) -> bool:
    """werkzeug's ``is_resource_modified`` for these request and response headers,
    remembered per distinct combination: given strings and no body or range, it reads
    nothing else (no clock), and parsing two dates costs most of a 304.
    tests/core/test_conditional_requests.py compares it with werkzeug's, repeated."""
    key = (if_modified_since, if_none_match, if_match, etag, last_modified)
    modified = _MODIFIED.get(key)
    if modified is None:
        modified = is_resource_modified(
            http_if_modified_since=if_modified_since,
            http_if_none_match=if_none_match,
            http_if_match=if_match,
            etag=etag,
            last_modified=last_modified,
        )
        if sum(len(value) for value in key if value is not None) <= _MAX_MODIFIED_KEY:
            if len(_MODIFIED) >= _MAX_MODIFIED:
                del _MODIFIED[next(iter(_MODIFIED))]
            _MODIFIED[key] = modified
    return modified


def _single_header_reader(request: Any) -> Callable[[bytes], str | None]:
    """How :meth:`Response.make_conditional` reads one header of ``request`` (by its
    lowercase name): the request's own single-header read, which takes it from the scope
    without decoding the other headers until ``headers`` were read or set
    (``BaseRequestWebsocket._header``), else ``request.headers.get``."""
    single = getattr(request, "_header", None)
    if single is not None:
        return single  # type: ignore[no-any-return]
    headers = request.headers
    return lambda name: headers.get(name.decode("latin-1"))  # type: ignore[no-any-return]
