"""Async form parsing: urlencoded bodies and incremental multipart (Quart's
``FormDataParser`` and ``MultiPartParser``).

Multipart bodies are fed chunk by chunk into werkzeug's sans-IO ``MultipartDecoder``;
file parts go to memory, then to a temporary file, so a large upload is never held in
memory whole. ``MAX_FORM_MEMORY_SIZE`` bounds each non-file field (and a urlencoded body),
``MAX_FORM_TOTAL_MEMORY_SIZE`` all of them together, ``MAX_FORM_PARTS`` the number of
parts and ``MAX_FORM_PART_HEADERS_SIZE`` their headers (413 when exceeded); a malformed
body is a 400. With the default stream factory the file parts of a form share
:data:`SPOOL_MAX_MEMORY` bytes of memory, the rest of their data is in one temporary file
per form (one descriptor, however many parts).
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Awaitable, Callable
from tempfile import SpooledTemporaryFile, TemporaryFile
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from .datastructures import FileStorage

if TYPE_CHECKING:
    from .wrappers.request import Body

#: Bytes of memory the file parts of one form share (with the default stream factory);
#: the data past them is written to the form's one temporary file.
SPOOL_MAX_MEMORY = 500 * 1024
#: Bytes handed to the multipart decoder at a time.
FEED_SIZE = 64 * 1024


#: ``stream_factory(total_content_length, content_type, filename, content_length)``: the
#: binary file a multipart file part is written to (werkzeug's and Quart's signature).
StreamFactory = Callable[[int | None, str | None, str | None, int | None], IO[bytes]]
#: A parse function of :attr:`FormDataParser.parse_functions`.
ParserFunc = Callable[
    ["FormDataParser", "Body", str, "int | None", dict[str, str]], Awaitable[tuple[Any, Any]]
]


def spooled_stream_factory(
    total_content_length: int | None,
    content_type: str | None,
    filename: str | None,
    content_length: int | None = None,
) -> IO[bytes]:
    """The default ``stream_factory``: a temporary file kept in memory up to
    ``SPOOL_MAX_MEMORY`` bytes, on disk past that."""
    return SpooledTemporaryFile(max_size=SPOOL_MAX_MEMORY)  # type: ignore[return-value]


class MultiPartParser:
    """Parse a ``multipart/form-data`` body incrementally (Quart's class): fields into
    ``cls`` pairs, file parts into ``file_storage_cls`` objects over ``stream_factory``
    files. The body is fed to the decoder ``buffer_size`` bytes at a time (at most half of
    ``max_form_memory_size``, so a field over that limit is seen before it is buffered)."""

    def __init__(
        self,
        *,
        buffer_size: int = FEED_SIZE,
        cls: type[Any] = ImmutableMultiDict,
        file_storage_cls: type[FileStorage] = FileStorage,
        max_content_length: int | None = None,
        max_form_memory_size: int | None = None,
        max_form_parts: int | None = None,
        stream_factory: StreamFactory = spooled_stream_factory,
        max_form_total_memory_size: int | None = None,
        max_form_part_headers_size: int | None = None,
    ) -> None:
        self.buffer_size = buffer_size
        self.max_form_total_memory_size = max_form_total_memory_size
        self.max_form_part_headers_size = max_form_part_headers_size
        self.cls = cls
        self.file_storage_cls = file_storage_cls
        self.max_content_length = max_content_length
        self.max_form_memory_size = max_form_memory_size
        self.max_form_parts = max_form_parts
        self.stream_factory = stream_factory

    def get_part_charset(self, headers: Headers) -> str:
        """The charset of a field part (its ``Content-Type``'s, else UTF-8)."""
        return _part_charset(headers)

    def start_file_streaming(self, event: File, total_content_length: int | None) -> IO[bytes]:
        """The file a file part is written to (from :attr:`stream_factory`)."""
        try:
            part_length: int | None = int(event.headers["content-length"])
        except (KeyError, ValueError):
            part_length = None
        return self.stream_factory(
            total_content_length, event.headers.get("content-type"), event.filename, part_length
        )

    async def parse(
        self, body: Body, boundary: bytes, content_length: int | None
    ) -> tuple[Any, Any]:
        """Read ``body`` (a :class:`~erlen.wrappers.request.Body`) to its end; returns
        ``(form, files)``. 413 over the limits, 400 for a malformed body."""
        memory_limit = self.max_form_memory_size
        decoder = _CountingDecoder(
            boundary, memory_limit, self.max_form_parts, self.max_form_part_headers_size
        )
        feed_size = max(1, self.buffer_size)
        if memory_limit is not None:
            feed_size = max(1, min(feed_size, memory_limit // 2))
        parts = _Parts(self, decoder, content_length)
        feeder = _Feeder(decoder, parts, boundary, feed_size)
        rest = b""  # not fed yet: a byte at most, waiting for the next chunk
        empty = True
        body.start_deadline()
        try:
            async for chunk in body:
                empty = empty and not chunk
                if not feeder.done:  # after the epilogue the body is still read to its end
                    rest = feeder.feed(rest + chunk if rest else chunk, final=False)
            if not feeder.done and not empty:  # an empty body is an empty form, not a broken one
                feeder.feed(rest, final=True)
                if not feeder.done:
                    decoder.receive_data(None)
                    parts.drain()
        except BaseException as e:
            for container in parts.containers:  # nothing will read them: release them
                container.close()
            if isinstance(e, ValueError):  # werkzeug reports malformed multipart so
                raise BadRequest(f"Invalid multipart body: {e}") from None
            raise
        body.mark_parsed()
        return self.cls(parts.fields), self.cls(parts.files)


class _CountingDecoder(MultipartDecoder):
    """werkzeug's decoder, counting the bytes of the header blocks of the form's parts
    before it parses them: past ``max_header_bytes`` (``MAX_FORM_PART_HEADERS_SIZE``)
    together, 413.

    Parsing a header block costs far more than its size, in memory (a four-byte line,
    ``a:`` and CRLF, becomes a parsed header about 17 times that) and in CPU (each
    parameter of ``Content-Disposition``, each escape in a quoted filename), and the
    other limits let 16 MB of header blocks through (a block is bounded by
    ``MAX_FORM_MEMORY_SIZE`` only, the parts by ``MAX_FORM_PARTS``): such a form of
    four-byte lines grew the server by 270 MB, one of ``; a=1`` parameters held its
    event loop for about 70 times the CPU of a file upload of that size. Every header
    block passes through ``_parse_headers`` (werkzeug 3.1;
    ``test_part_headers_are_bounded`` in tests/plugins/serving/test_limits_server.py
    pins it), so the count is taken there, on the raw block, before anything is built."""

    def __init__(
        self,
        boundary: bytes,
        max_form_memory_size: int | None,
        max_parts: int | None,
        max_header_bytes: int | None,
    ) -> None:
        super().__init__(boundary, max_form_memory_size, max_parts=max_parts)
        self.header_bytes_left = max_header_bytes

    def _parse_headers(self, data: bytes | bytearray) -> Headers:
        if self.header_bytes_left is not None:
            self.header_bytes_left -= len(data)
            if self.header_bytes_left < 0:
                raise RequestEntityTooLarge()
        return super()._parse_headers(data)


class _Feeder:
    """Hands a multipart body to the decoder as it arrives, in slices of at most ``size``
    bytes, and never with the data fed so far ending in the closing delimiter less its
    last byte (``CRLF--boundary-``): werkzeug's decoder then appends the delimiter's CR
    to the part's data (werkzeug issue 3285, seen on 3.1.9; pinned by
    ``test_a_part_is_the_same_however_the_body_is_cut``). That byte waits for the next
    chunk."""

    def __init__(
        self, decoder: MultipartDecoder, parts: _Parts, boundary: bytes, size: int
    ) -> None:
        self.decoder = decoder
        self.parts = parts
        self.size = size
        self.unsafe_end = b"\r\n--" + boundary + b"-"
        self.tail = b""  # the last bytes fed, as long as unsafe_end at most
        self.done = False  # the epilogue was reached

    def feed(self, data: bytes, final: bool) -> bytes:
        """Feed ``data``; returns what was not fed: nothing when ``final`` (the body is
        complete), else at most its last byte (see the class)."""
        fed, available, size, unsafe = 0, len(data), self.size, self.unsafe_end
        while not self.done and fed < available:
            end = min(fed + size, available)
            if (end < available or not final) and (
                self.tail + data[max(fed, end - len(unsafe)) : end]
            ).endswith(unsafe):
                # One byte more ends elsewhere (the delimiter starts with the only CR in
                # it); with no byte more yet, the last one waits for the next chunk.
                end = end + 1 if end < available else end - 1
                if end <= fed:
                    break
            block = data[fed:end]  # the chunk itself when it is fed whole
            self.tail = (self.tail + block[-len(unsafe) :])[-len(unsafe) :]
            self.decoder.receive_data(block)
            self.done = self.parts.drain()
            fed = end
        return data[fed:] if not self.done else b""


class _Spill:
    """The temporary file of one form holding its file parts past the memory budget,
    one after the other; each part reads its own :class:`_Region`. The file is closed
    with the last region (a part's ``FileStorage``, closed when the request ends)."""

    def __init__(self) -> None:
        self.file: IO[bytes] = TemporaryFile()
        self.regions = 0

    def release(self) -> None:
        """A region is closed; the last one closes the file."""
        self.regions -= 1
        if self.regions == 0:
            self.file.close()


class _Region(io.RawIOBase):
    """A read-only, seekable file over ``size`` bytes of a :class:`_Spill` from
    ``start``. Reads are ``os.pread`` calls, so regions of one file share no position:
    two parts may be saved at once (``FileStorage.save`` copies in a thread)."""

    def __init__(self, spill: _Spill, start: int, size: int) -> None:
        super().__init__()
        spill.regions += 1
        self._spill = spill
        self._fd = spill.file.fileno()
        self._start = start
        self._size = size
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._pread(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        return self._pread(self._size - self._position)

    def _pread(self, size: int) -> bytes:
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        size = min(size, self._size - self._position)
        if size <= 0:
            return b""
        data = os.pread(self._fd, size, self._start + self._position)
        self._position += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._position + offset
        elif whence == io.SEEK_END:
            position = self._size + offset
        else:
            raise ValueError(f"invalid whence ({whence})")
        if position < 0:
            raise ValueError(f"negative seek position {position}")
        self._position = position
        return position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        if not self.closed:
            self._spill.release()
        super().close()


class _Parts:
    """The fields and files of one multipart body, built from the decoder's events."""

    def __init__(
        self, parser: MultiPartParser, decoder: MultipartDecoder, total: int | None
    ) -> None:
        self.parser = parser
        self.decoder = decoder
        self.total = total
        self.fields: list[tuple[str, str]] = []
        self.files: list[tuple[str, FileStorage]] = []
        self.containers: list[IO[bytes]] = []
        self.current: Any = None
        self.field_data = bytearray()  # the current field's bytes so far
        self.container: IO[bytes] | None = None
        self.fields_size = 0  # the non-file fields' bytes so far, all in memory
        self.total_limit = _total_limit(
            parser.max_form_total_memory_size, parser.max_form_memory_size
        )
        # The default factory's files share one memory budget, and the parts past it
        # one temporary file (a descriptor per form, not per part); a custom factory or
        # start_file_streaming is used as is.
        self.spill: _Spill | None = None
        self.part_start: int | None = None  # where the current part begins in the spill
        self.spool_budget: int | None = (
            SPOOL_MAX_MEMORY
            if parser.stream_factory is spooled_stream_factory
            and type(parser).start_file_streaming is MultiPartParser.start_file_streaming
            else None
        )

    def open_file(self, event: File) -> IO[bytes]:
        """The file ``event``'s part is written to: the app's (a custom factory), else
        memory while the form's budget lasts, else the form's :class:`_Spill`."""
        budget = self.spool_budget
        if budget is None:
            return self.parser.start_file_streaming(event, self.total)
        if budget > 0:
            return io.BytesIO()
        return self.to_spill(b"")

    def to_spill(self, data: bytes) -> IO[bytes]:
        """Go on writing the current part at the end of the form's spill file, ``data``
        (what the part had in memory) first."""
        if self.spill is None:
            self.spill = _Spill()
            self.containers.append(self.spill.file)
        file = self.spill.file
        file.seek(0, io.SEEK_END)
        self.part_start = file.tell()
        file.write(data)
        return file

    def write_file_data(self, event: Data) -> None:
        """Write ``event``'s data to the current file part; at its end, the part's
        :class:`FileStorage`."""
        container = self.container
        assert container is not None
        container.write(event.data)
        budget = self.spool_budget
        in_memory = self.part_start is None and budget is not None
        if in_memory and container.tell() > budget:  # type: ignore[operator]
            assert isinstance(container, io.BytesIO)
            container = self.container = self.to_spill(container.getvalue())
            in_memory = False
        if event.more_data:
            return
        stream: Any = container
        if self.part_start is not None:  # in the spill file
            assert self.spill is not None
            container.flush()  # regions read the descriptor, not the file's buffer
            stream = _Region(self.spill, self.part_start, container.tell() - self.part_start)
            self.part_start = None
        else:
            if in_memory:
                self.spool_budget = budget - container.tell()  # type: ignore[operator]
            container.seek(0)
        current = self.current
        storage = self.parser.file_storage_cls(
            stream,
            current.filename,
            current.name,
            headers=current.headers,  # the decoder's own, made for this part
        )
        self.files.append((current.name or "", storage))

    def drain(self) -> bool:
        """Handle the decoder's pending events; True once the epilogue is reached."""
        parser = self.parser
        memory_limit = parser.max_form_memory_size
        while True:
            event = self.decoder.next_event()
            if isinstance(event, NeedData):
                return False
            if isinstance(event, Epilogue):
                return True
            if isinstance(event, Field):
                self.current, self.field_data = event, bytearray()
            elif isinstance(event, File):
                self.current = event
                self.container = self.open_file(event)
                self.containers.append(self.container)
            elif isinstance(event, Data):
                current = self.current
                if isinstance(current, File):
                    self.write_file_data(event)
                else:
                    self.field_data += event.data
                    if memory_limit is not None and len(self.field_data) > memory_limit:
                        raise RequestEntityTooLarge()
                    self.fields_size += len(event.data)
                    if self.total_limit is not None and self.fields_size > self.total_limit:
                        raise RequestEntityTooLarge()
                    if not event.more_data:
                        charset = parser.get_part_charset(current.headers)
                        value = _decode_field(self.field_data, charset)
                        self.fields.append((current.name or "", value))  # a part may lack a name


def _total_limit(total: int | None, per_field: int | None) -> int | None:
    """The bound of a form's non-file fields together: ``MAX_FORM_TOTAL_MEMORY_SIZE``,
    never below one field's bound (an app that raised only ``MAX_FORM_MEMORY_SIZE``, as
    a Flask app would, still takes one such field); ``None``: no bound."""
    if total is None or per_field is None:
        return total
    return max(total, per_field)


def _decode_field(data: bytes | bytearray, charset: str) -> str:
    """A field's bytes as text in ``charset``, bad bytes replaced; as UTF-8 when the
    charset cannot decode text that way: a codec that is not a text encoding (``rot13``,
    ``hex``: LookupError) or refuses ``errors="replace"`` (``idna``, and
    ``punycode`` before Python 3.13: UnicodeError) is the client's mistake, not a 500."""
    try:
        return data.decode(charset, "replace")
    except (LookupError, UnicodeError):
        return data.decode("utf-8", "replace")


def _part_charset(headers: Any) -> str:
    # A scan, not headers.get(): werkzeug's get builds a BadRequestKeyError for a missing
    # name, and most fields have no Content-Type.
    content_type = ""
    for name, value in headers.items() if headers else ():
        if name.lower() == "content-type":
            content_type = value
            break
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            try:  # a charset Python does not know is the client's mistake, not a 500
                return codecs.lookup(value.strip('"')).name
            except LookupError:
                break
    return "utf-8"


class FormDataParser:
    """Quart's form parser interface: ``request.make_form_data_parser()`` builds one
    from :attr:`Request.form_data_parser_class` and ``request.form`` awaits its
    :meth:`parse`, which calls the function :meth:`get_parse_func` picks from
    :attr:`parse_functions` by mimetype. Subclass it to parse other mimetypes or change
    the limits.

    Malformed bodies are a 400 and bodies over the limits a 413, whatever ``silent``
    says (Quart's ``silent=True`` turns a malformed body into an empty form).
    """

    #: The class of uploaded files.
    file_storage_class = FileStorage

    def __init__(
        self,
        *,
        cls: type[Any] | None = ImmutableMultiDict,
        max_content_length: int | None = None,
        max_form_memory_size: int | None = None,
        max_form_parts: int | None = None,
        silent: bool = True,
        stream_factory: StreamFactory = spooled_stream_factory,
        max_form_total_memory_size: int | None = None,
        max_form_part_headers_size: int | None = None,
    ) -> None:
        self.max_form_total_memory_size = max_form_total_memory_size
        self.max_form_part_headers_size = max_form_part_headers_size
        self.cls = cls or ImmutableMultiDict
        self.max_content_length = max_content_length
        self.max_form_memory_size = max_form_memory_size
        self.max_form_parts = max_form_parts
        self.silent = silent
        self.stream_factory = stream_factory

    def get_parse_func(self, mimetype: str, options: dict[str, str]) -> ParserFunc | None:
        """The parse function for ``mimetype`` (None: not a form)."""
        return self.parse_functions.get(mimetype)

    async def parse(
        self,
        body: Body,
        mimetype: str,
        content_length: int | None,
        options: dict[str, str] | None = None,
    ) -> tuple[Any, Any]:
        """Parse ``body`` (a :class:`~erlen.wrappers.request.Body`) as a form of
        ``mimetype`` (``options``: its parameters, e.g. the multipart boundary);
        returns ``(form, files)``, both empty for other mimetypes."""
        if self.max_content_length is not None and (content_length or 0) > self.max_content_length:
            raise RequestEntityTooLarge()
        options = options or {}
        parse_func = self.get_parse_func(mimetype, options)
        if parse_func is None:
            return self.cls(), self.cls()
        return await parse_func(self, body, mimetype, content_length, options)

    async def _parse_multipart(
        self, body: Body, mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> tuple[Any, Any]:
        boundary = options.get("boundary")
        if not boundary:
            raise BadRequest("Missing boundary in multipart/form-data content type")
        parser = MultiPartParser(
            cls=self.cls,
            file_storage_cls=self.file_storage_class,
            max_content_length=self.max_content_length,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            stream_factory=self.stream_factory,
            max_form_total_memory_size=self.max_form_total_memory_size,
            max_form_part_headers_size=self.max_form_part_headers_size,
        )
        return await parser.parse(body, boundary.encode("latin-1"), content_length)

    async def _parse_urlencoded(
        self, body: Body, mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> tuple[Any, Any]:
        limit = self.max_form_memory_size
        if limit is not None and content_length is not None and content_length > limit:
            raise RequestEntityTooLarge()
        # Without a declared length (chunked, or HTTP/2 without content-length) the read
        # stops past the limit: read whole, such a body took MAX_CONTENT_LENGTH of memory
        # before its 413 (test_chunked_urlencoded_form_is_413_once_past_the_form_limit).
        data = await body.read(limit)
        if limit is not None and len(data) > limit:  # kept whole by an earlier read
            raise RequestEntityTooLarge()
        try:
            pairs = parse_qsl(
                data.decode("utf-8", "replace"),
                keep_blank_values=True,
                max_num_fields=self.max_form_parts,
            )
        except ValueError:
            raise RequestEntityTooLarge() from None
        return self.cls(pairs), self.cls()

    #: mimetype -> parse function ``(parser, body, mimetype, content_length, options)``.
    parse_functions: dict[str, ParserFunc] = {
        "multipart/form-data": _parse_multipart,
        "application/x-www-form-urlencoded": _parse_urlencoded,
        "application/x-url-encoded": _parse_urlencoded,
    }


__all__ = [
    "FormDataParser",
    "MultiPartParser",
    "ParserFunc",
    "StreamFactory",
    "spooled_stream_factory",
]
