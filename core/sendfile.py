"""``send_file`` and ``send_from_directory``: files as responses, with HTTP caching.

Both accept Flask's keyword names (``download_name``, ``etag``, ``max_age``) and Quart's
older ones (``attachment_filename``, ``add_etags``, ``cache_timeout``). Responses are
conditional by default: ``If-None-Match``/``If-Modified-Since`` give 304, ``Range`` gives
206 with ``Content-Range`` (416 when it cannot be satisfied).
"""

from __future__ import annotations

import asyncio
import io
import mimetypes
import os
import time
import unicodedata
import zlib
from collections.abc import Callable
from datetime import datetime
from stat import S_ISREG
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from werkzeug.datastructures import ResponseCacheControl
from werkzeug.exceptions import NotFound
from werkzeug.http import parse_cache_control_header
from werkzeug.security import safe_join

from .globals import _cv_app, _cv_request, current_app
from .wrappers.response import FileBody

if TYPE_CHECKING:
    from .wrappers.response import Response

DEFAULT_MIMETYPE = "application/octet-stream"


class MimetypeError(ValueError, TypeError):
    """No MIME type given and none can be guessed (Quart raises ValueError, Flask TypeError)."""


def _resolve(path: str | os.PathLike[str]) -> str:
    # Quart resolves a relative path against the working directory, Flask against the
    # app's root_path: take the first that exists, so code written for either works.
    # Outside an app context there is no root_path: the working directory's path is the
    # only candidate (a missing file is then a 404, as in Quart).
    path = os.fspath(path)
    ctx = _cv_app.get(None)
    if ctx is None or os.path.isabs(path) or os.path.exists(path):
        return os.path.abspath(path)
    return os.path.join(ctx.app.root_path, path)


def _stat_file(path: str) -> os.stat_result:
    # One stat call (cheap, so not worth a thread); anything but a regular file is a 404.
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        raise NotFound() from None
    if not S_ISREG(stat.st_mode):
        raise NotFound()
    return stat


def _etag_for_file(path: str, stat: os.stat_result) -> str:
    return f"{stat.st_mtime}-{stat.st_size}-{zlib.adler32(path.encode()) & 0xFFFFFFFF}"


def _content_disposition(download_name: str, as_attachment: bool) -> tuple[str, dict[str, str]]:
    value = "attachment" if as_attachment else "inline"
    try:
        download_name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", download_name).encode("ascii", "ignore").decode()
        quoted = quote(download_name, safe="!#$&+-.^_`|~")
        return value, {"filename": simple, "filename*": f"UTF-8''{quoted}"}
    return value, {"filename": download_name}


async def _read_io(stream: Any) -> bytes:
    if isinstance(stream, io.TextIOBase):
        raise ValueError("Files must be opened in binary mode or use BytesIO.")
    if isinstance(stream, io.BytesIO):
        return stream.getvalue()[stream.tell() :]
    data = await asyncio.get_running_loop().run_in_executor(None, stream.read)
    if isinstance(data, str):
        raise ValueError("Files must be opened in binary mode or use BytesIO.")
    return bytes(data)


async def send_file(
    filename_or_io: str | os.PathLike[str] | bytes | io.IOBase | Any,
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: int | Callable[[str | None], int | None] | None = None,
    *,
    attachment_filename: str | None = None,
    add_etags: bool | None = None,
    cache_timeout: int | None = None,
) -> Response:
    """A response sending a file: a path, ``bytes``, or a binary file object.

    :param mimetype: guessed from ``download_name`` (or the path) when not given.
    :param as_attachment: ``Content-Disposition: attachment`` (a download) instead of
        ``inline``; needs a name.
    :param download_name: the file name the client sees (default: the path's name).
    :param conditional: answer conditional and range requests (304/206/416).
    :param etag: ``True`` computes one for a path; a string is used as is.
    :param last_modified: defaults to the file's modification time.
    :param max_age: cache lifetime in seconds (or a callable taking the path); for a path
        it defaults to ``app.get_send_file_max_age`` (``SEND_FILE_MAX_AGE_DEFAULT``).

    A path that is not a file gives 404. File objects are read into memory: pass a path
    to stream a big file.
    """
    if attachment_filename is not None and download_name is None:
        download_name = attachment_filename
    if add_etags is not None:
        etag = add_etags
    if cache_timeout is not None and max_age is None:
        max_age = cache_timeout
    file_path: str | None = None
    body: Any
    if isinstance(filename_or_io, (str, os.PathLike)):
        file_path = _resolve(filename_or_io)
        stat = _stat_file(file_path)  # a missing file is a 404 even outside an app context
        body = FileBody(file_path, size=stat.st_size)
        size = stat.st_size
        if download_name is None:
            download_name = os.path.basename(file_path)
    else:
        if isinstance(filename_or_io, (bytes, bytearray, memoryview)):
            data = bytes(filename_or_io)
        else:
            data = await _read_io(filename_or_io)
        body = [data]
        size = len(data)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if mimetype is None:
        if download_name is None:
            raise MimetypeError(
                "Unable to detect the MIME type because a file name is not available."
                " Either set 'download_name', pass a path instead of a file, or set 'mimetype'."
            )
        mimetype = mimetypes.guess_type(download_name)[0] or DEFAULT_MIMETYPE
    response = app.response_class(mimetype=mimetype)
    response.response, response._is_data = body, file_path is None
    response.content_length = size
    if download_name is not None:
        value, options = _content_disposition(download_name, as_attachment)
        response.headers.set("Content-Disposition", value, **options)
    elif as_attachment:
        raise TypeError("No name provided for attachment.")
    if file_path is not None:
        if last_modified is None:
            last_modified = stat.st_mtime
        if etag is True:
            etag = _etag_for_file(file_path, stat)
        if max_age is None:
            max_age = app.get_send_file_max_age
    if last_modified is not None:
        response.last_modified = last_modified  # type: ignore[assignment]
    if isinstance(etag, str):
        response.set_etag(etag)
    if callable(max_age):
        max_age = max_age(file_path)
    # Parsed once and written once: each change made through ``response.cache_control``
    # would parse the header again and write it back.
    cache_control = parse_cache_control_header(
        response.headers.get("Cache-Control"), cls=ResponseCacheControl
    )
    cache_control.no_cache = True
    if max_age is not None:
        if max_age > 0:
            cache_control.no_cache = None
            cache_control.public = True
        cache_control.max_age = max_age
        response.expires = int(time.time() + max_age)  # type: ignore[assignment]
    response.headers["Cache-Control"] = cache_control.to_header()
    if conditional:
        ctx: Any = _cv_request.get(None)
        if ctx is not None:
            await response.make_conditional(ctx.request, accept_ranges=True, complete_length=size)
    return response  # type: ignore[no-any-return]


async def send_from_directory(
    directory: str | os.PathLike[str], file_name: str | None = None, **kwargs: Any
) -> Response:
    """Send ``file_name`` from ``directory``; ``file_name`` usually comes from the URL.

    A name that would leave the directory (``..``, an absolute path, a backslash, a NUL
    byte) or that is not a file gives 404. Other arguments are those of :func:`send_file`.
    Flask's spelling ``send_from_directory(directory, path=...)`` works too.
    """
    if file_name is None:
        file_name = kwargs.pop("path", None)
        if file_name is None:
            raise TypeError("send_from_directory() needs the file name")
    file_name = os.fspath(file_name)
    if "\x00" in file_name or "\\" in file_name:
        raise NotFound()
    joined = safe_join(_resolve(directory), file_name)
    if joined is None:
        raise NotFound()
    return await send_file(joined, **kwargs)


__all__ = ["DEFAULT_MIMETYPE", "MimetypeError", "send_file", "send_from_directory"]
