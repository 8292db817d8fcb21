"""Async form parsing: urlencoded bodies and incremental multipart (Quart's
``FormDataParser`` and ``MultiPartParser``).

Multipart bodies are fed chunk by chunk into werkzeug's sans-IO ``MultipartDecoder``;
file parts go to spooled temporary files, so a large upload is never held in memory
whole. ``MAX_FORM_MEMORY_SIZE`` bounds each non-file field (and a urlencoded body),
``MAX_FORM_TOTAL_MEMORY_SIZE`` all of them together and ``MAX_FORM_PARTS`` the number of
parts (413 when exceeded); a malformed body is a 400. With the default stream factory the
file parts of a form share :data:`SPOOL_MAX_MEMORY` bytes of memory, the rest of their
data is on disk.
"""

from __future__ import annotations

import codecs
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
#: the data past them is written to temporary files.
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
    ) -> None:
        self.buffer_size = buffer_size
        self.max_form_total_memory_size = max_form_total_memory_size
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
        decoder = MultipartDecoder(boundary, memory_limit, max_parts=self.max_form_parts)
        feed_size = max(1, self.buffer_size)
        if memory_limit is not None:
            feed_size = max(1, min(feed_size, memory_limit // 2))
        parts = _Parts(self, decoder, content_length)
        done = False
        empty = True
        body.start_deadline()
        try:
            async for chunk in body:
                # Feed in slices: the decoder bounds its buffer by MAX_FORM_MEMORY_SIZE,
                # and a file part is drained to its file after each slice.
                empty = empty and not chunk
                for start in range(0, len(chunk), feed_size):
                    if done:
                        break  # the epilogue is ignored, but the body is still read to its end
                    decoder.receive_data(chunk[start : start + feed_size])
                    done = parts.drain()
            if not done and not empty:  # an empty body is an empty form, not a broken one
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
        self.field_parts: list[bytes] = []
        self.field_size = 0
        self.container: IO[bytes] | None = None
        self.fields_size = 0  # the non-file fields' bytes so far, all in memory
        self.total_limit = _total_limit(
            parser.max_form_total_memory_size, parser.max_form_memory_size
        )
        # The default factory's files share one memory budget (a spool rolls over to
        # disk past its max_size); a custom factory or start_file_streaming is used as is.
        self.spool_budget: int | None = (
            SPOOL_MAX_MEMORY
            if parser.stream_factory is spooled_stream_factory
            and type(parser).start_file_streaming is MultiPartParser.start_file_streaming
            else None
        )

    def open_file(self, event: File) -> IO[bytes]:
        """The file ``event``'s part is written to."""
        budget = self.spool_budget
        if budget is None:
            return self.parser.start_file_streaming(event, self.total)
        if budget > 0:
            return SpooledTemporaryFile(max_size=budget)  # type: ignore[return-value]
        return TemporaryFile()

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
                self.current, self.field_parts, self.field_size = event, [], 0
            elif isinstance(event, File):
                self.current = event
                self.container = self.open_file(event)
                self.containers.append(self.container)
            elif isinstance(event, Data):
                current = self.current
                if isinstance(current, File):
                    container = self.container
                    assert container is not None
                    container.write(event.data)
                    if not event.more_data:
                        size = container.tell()
                        budget = self.spool_budget
                        if budget is not None and size <= budget:  # still in memory
                            self.spool_budget = budget - size
                        container.seek(0)
                        storage = parser.file_storage_cls(
                            container,
                            current.filename,
                            current.name,
                            headers=current.headers,  # the decoder's own, made for this part
                        )
                        self.files.append((current.name or "", storage))
                else:
                    self.field_parts.append(event.data)
                    self.field_size += len(event.data)
                    if memory_limit is not None and self.field_size > memory_limit:
                        raise RequestEntityTooLarge()
                    self.fields_size += len(event.data)
                    if self.total_limit is not None and self.fields_size > self.total_limit:
                        raise RequestEntityTooLarge()
                    if not event.more_data:
                        charset = parser.get_part_charset(current.headers)
                        value = b"".join(self.field_parts).decode(charset, "replace")
                        self.fields.append((current.name or "", value))  # a part may lack a name


def _total_limit(total: int | None, per_field: int | None) -> int | None:
    """The bound of a form's non-file fields together: ``MAX_FORM_TOTAL_MEMORY_SIZE``,
    never below one field's bound (an app that raised only ``MAX_FORM_MEMORY_SIZE``, as
    a Flask app would, still takes one such field); ``None``: no bound."""
    if total is None or per_field is None:
        return total
    return max(total, per_field)


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
    ) -> None:
        self.max_form_total_memory_size = max_form_total_memory_size
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
        )
        return await parser.parse(body, boundary.encode("latin-1"), content_length)

    async def _parse_urlencoded(
        self, body: Body, mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> tuple[Any, Any]:
        limit = self.max_form_memory_size
        if limit is not None and content_length is not None and content_length > limit:
            raise RequestEntityTooLarge()
        data = await body.read()
        if limit is not None and len(data) > limit:
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
