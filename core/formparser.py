"""Async form parsing: urlencoded bodies and incremental multipart.

Multipart bodies are fed chunk by chunk into werkzeug's sans-IO ``MultipartDecoder``;
file parts go to spooled temporary files, so a large upload is never held in memory
whole. ``MAX_FORM_MEMORY_SIZE`` bounds each non-file field, ``MAX_FORM_TOTAL_MEMORY_SIZE``
all of them together and ``MAX_FORM_PARTS`` the number of parts (413 when exceeded); the
file parts of a form share :data:`SPOOL_MAX_MEMORY` bytes of memory, the rest of their
data is on disk.
"""

from __future__ import annotations

import codecs
from tempfile import SpooledTemporaryFile, TemporaryFile
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from .datastructures import FileStorage

if TYPE_CHECKING:
    from .wrappers.request import Request

#: Bytes of memory the file parts of one form share; the data past them is written to
#: temporary files.
SPOOL_MAX_MEMORY = 500 * 1024
#: Bytes handed to the multipart decoder at a time.
FEED_SIZE = 64 * 1024


async def parse_form(
    request: Request,
) -> tuple[ImmutableMultiDict[str, str], ImmutableMultiDict[str, FileStorage]]:
    """Parse the request body as a form, according to its mimetype."""
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        return await _parse_urlencoded(request), ImmutableMultiDict()
    if mimetype == "multipart/form-data":
        boundary = request.mimetype_params.get("boundary")
        if not boundary:
            raise BadRequest("Missing boundary in multipart/form-data content type")
        return await _parse_multipart(request, boundary.encode("latin-1"))
    return ImmutableMultiDict(), ImmutableMultiDict()


async def _parse_urlencoded(request: Request) -> ImmutableMultiDict[str, str]:
    limit = request.max_form_memory_size
    if limit is not None and request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    data = await request.get_data()
    if limit is not None and len(data) > limit:
        raise RequestEntityTooLarge()
    try:
        pairs = parse_qsl(
            data.decode("utf-8", "replace"),
            keep_blank_values=True,
            max_num_fields=request.max_form_parts,
        )
    except ValueError:
        raise RequestEntityTooLarge() from None
    return ImmutableMultiDict(pairs)


async def _parse_multipart(
    request: Request, boundary: bytes
) -> tuple[ImmutableMultiDict[str, str], ImmutableMultiDict[str, FileStorage]]:
    memory_limit = request.max_form_memory_size
    total_limit = _total_limit(request.max_form_total_memory_size, memory_limit)
    decoder = MultipartDecoder(boundary, memory_limit, max_parts=request.max_form_parts)
    feed_size = FEED_SIZE if memory_limit is None else max(1, min(FEED_SIZE, memory_limit // 2))
    fields: list[tuple[str, str]] = []
    files: list[tuple[str, FileStorage]] = []
    current: Any = None
    field_parts: list[bytes] = []
    container: IO[bytes] | None = None
    containers: list[IO[bytes]] = []
    fields_size = 0  # the non-file fields' bytes so far, all in memory
    spool_budget = SPOOL_MAX_MEMORY  # the memory left to the file parts' spools

    def drain() -> bool:
        nonlocal current, container, fields_size, spool_budget
        while True:
            event = decoder.next_event()
            if isinstance(event, NeedData):
                return False
            if isinstance(event, Epilogue):
                return True
            if isinstance(event, Field):
                current, field_parts[:] = event, []
            elif isinstance(event, File):
                current = event
                # Spooled in memory up to what the earlier file parts left of the budget
                # (a spool rolls over to disk past its max_size; 0 would mean never).
                container = (
                    SpooledTemporaryFile(max_size=spool_budget)
                    if spool_budget > 0
                    else TemporaryFile()
                )
                containers.append(container)
            elif isinstance(event, Data):
                if isinstance(current, File):
                    assert container is not None
                    container.write(event.data)
                    if not event.more_data:
                        size = container.tell()
                        if size <= spool_budget:  # still in memory (rolled over past it)
                            spool_budget -= size
                        container.seek(0)
                        files.append(
                            (
                                current.name or "",
                                FileStorage(
                                    container,
                                    current.filename,
                                    current.name,
                                    headers=Headers(current.headers),
                                ),
                            )
                        )
                else:
                    field_parts.append(event.data)
                    field_size = sum(map(len, field_parts))
                    if memory_limit is not None and field_size > memory_limit:
                        raise RequestEntityTooLarge()
                    fields_size += len(event.data)
                    if total_limit is not None and fields_size > total_limit:
                        raise RequestEntityTooLarge()
                    if not event.more_data:
                        charset = _part_charset(current.headers)
                        value = b"".join(field_parts).decode(charset, "replace")
                        fields.append((current.name or "", value))  # a part may lack a name

    done = False
    empty = True
    body = request.body
    body.start_deadline()
    try:
        async for chunk in body:
            # Feed in slices: the decoder bounds its buffer by MAX_FORM_MEMORY_SIZE, and a
            # file part is drained to its spool after each slice, so a big chunk is fine.
            empty = empty and not chunk
            for start in range(0, len(chunk), feed_size):
                if done:
                    break  # the epilogue is ignored, but the body is still read to its end
                decoder.receive_data(chunk[start : start + feed_size])
                done = drain()
        if not done and not empty:  # an empty body is an empty form, not a broken one
            decoder.receive_data(None)
            drain()
    except BaseException as e:
        for spooled in containers:  # nothing will read them: release the temporary files
            spooled.close()
        if isinstance(e, ValueError):  # werkzeug reports malformed multipart as ValueError
            raise BadRequest(f"Invalid multipart body: {e}") from None
        raise
    body.mark_parsed()
    return ImmutableMultiDict(fields), ImmutableMultiDict(files)


def _total_limit(total: int | None, per_field: int | None) -> int | None:
    """The bound of a form's non-file fields together: ``MAX_FORM_TOTAL_MEMORY_SIZE``,
    never below one field's bound (an app that raised only ``MAX_FORM_MEMORY_SIZE``, as
    a Flask app would, still takes one such field); ``None``: no bound."""
    if total is None or per_field is None:
        return total
    return max(total, per_field)


def _part_charset(headers: Any) -> str:
    content_type = headers.get("content-type", "") if headers else ""
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            try:  # a charset Python does not know is the client's mistake, not a 500
                return codecs.lookup(value.strip('"')).name
            except LookupError:
                break
    return "utf-8"


class _ParseTarget:
    """What the parse functions read from a request, for :class:`FormDataParser`."""

    def __init__(self, parser: FormDataParser, body: Any, content_length: int | None) -> None:
        self.body = body
        self.content_length = content_length
        self.max_form_memory_size = parser.max_form_memory_size
        self.max_form_parts = parser.max_form_parts
        self.max_form_total_memory_size = parser.max_form_total_memory_size

    async def get_data(self) -> bytes:
        return await self.body.read()  # type: ignore[no-any-return]


class FormDataParser:
    """Quart's form parser interface: ``request.make_form_data_parser()`` builds one
    from :attr:`Request.form_data_parser_class` and ``request.form`` awaits its
    :meth:`parse`. Subclass it to parse other mimetypes or change the limits.

    Malformed bodies are a 400 and bodies over the limits a 413, whatever ``silent``
    says (Quart's ``silent=True`` turns a malformed body into an empty form).
    """

    def __init__(
        self,
        *,
        cls: type[Any] | None = ImmutableMultiDict,
        max_content_length: int | None = None,
        max_form_memory_size: int | None = None,
        max_form_parts: int | None = None,
        silent: bool = True,
        max_form_total_memory_size: int | None = None,
    ) -> None:
        self.cls = cls or ImmutableMultiDict
        self.max_content_length = max_content_length
        self.max_form_memory_size = max_form_memory_size
        self.max_form_parts = max_form_parts
        self.max_form_total_memory_size = max_form_total_memory_size
        self.silent = silent

    async def parse(
        self,
        body: Any,
        mimetype: str,
        content_length: int | None,
        options: dict[str, str] | None = None,
    ) -> tuple[Any, Any]:
        """Parse ``body`` (a :class:`~erlen.wrappers.request.Body`) as a form of
        ``mimetype`` (``options``: its parameters, e.g. the multipart boundary);
        returns ``(form, files)``, both empty for other mimetypes."""
        if self.max_content_length is not None and (content_length or 0) > self.max_content_length:
            raise RequestEntityTooLarge()
        target: Any = _ParseTarget(self, body, content_length)
        if mimetype == "application/x-www-form-urlencoded":
            form: Any = await _parse_urlencoded(target)
            files: Any = ImmutableMultiDict()
        elif mimetype == "multipart/form-data":
            boundary = (options or {}).get("boundary")
            if not boundary:
                raise BadRequest("Missing boundary in multipart/form-data content type")
            form, files = await _parse_multipart(target, boundary.encode("latin-1"))
        else:
            return self.cls(), self.cls()
        if self.cls is not ImmutableMultiDict:
            form, files = self.cls(form.items(multi=True)), self.cls(files.items(multi=True))
        return form, files
