"""Flask's helper functions: ``abort``, ``redirect``, ``url_for``, ``flash``, ``send_file``..."""

from __future__ import annotations

import functools
import io
import mimetypes
import os
import time
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from markupsafe import escape
from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join
from werkzeug.urls import iri_to_uri

from . import signals
from .globals import _cv_app, _cv_request, _cv_websocket, current_app, session
from .wrappers.response import FileBody

if TYPE_CHECKING:
    from .wrappers.response import Response

F = TypeVar("F", bound=Callable[..., Any])


def abort(code: int | Response, *args: Any, **kwargs: Any) -> NoReturn:
    """Raise the HTTP exception for ``code`` (or for a response)."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        ctx.app.aborter(code, *args, **kwargs)
    from werkzeug.exceptions import abort as _abort

    _abort(code, *args, **kwargs)


def _redirect_response(response_class: Any, location: str, code: int) -> Response:
    display_location = escape(location)
    location = iri_to_uri(location)
    body = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL:"
        f' <a href="{escape(location)}">{display_location}</a>. If not, click the link.\n'
    )
    response = response_class(body, code, mimetype="text/html")
    response.headers["Location"] = location
    return response  # type: ignore[no-any-return]


def redirect(location: str, code: int = 302, Response: Any = None) -> Response:  # noqa: N803
    """A redirect response to ``location`` (uses ``app.redirect`` in an app context)."""
    if Response is None:
        ctx = _cv_app.get(None)
        if ctx is not None:
            return ctx.app.redirect(location, code)
        from .wrappers.response import Response as _Response

        Response = _Response  # noqa: N806
    return _redirect_response(Response, location, code)


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _external: bool | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    **values: Any,
) -> str:
    """Build the URL of ``endpoint`` with the current app (see ``Erlen.url_for``)."""
    return current_app.url_for(
        endpoint, _anchor=_anchor, _external=_external, _method=_method, _scheme=_scheme, **values
    )


async def make_response(*args: Any) -> Response:
    """Turn view-style return values into a response (``await make_response(...)``)."""
    if not args:
        return current_app.response_class()
    if len(args) == 1:
        args = args[0]
    return await current_app.make_response(args)


def stream_with_context(func: F) -> F:
    """Keep the request context for a streamed body produced after the view returns."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError("Attempt to stream with context outside of a request context")
    request_ctx = ctx.copy()

    @functools.wraps(func)
    async def generator(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        request_ctx.push()
        try:
            result = func(*args, **kwargs)
            if hasattr(result, "__aiter__"):
                async for item in result:
                    yield item
            else:
                for item in result:
                    yield item
        finally:
            await request_ctx.pop(None)

    return generator  # type: ignore[return-value]


async def make_push_promise(path: str) -> None:
    """Ask the server to push ``path`` (HTTP/2 with a server that offers it)."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError("make_push_promise needs a request context")
    send_push = getattr(ctx.request, "send_push_promise", None)
    if send_push is not None:
        await send_push(path)


def flash(message: str, category: str = "message") -> None:
    """Store a message for the next request (in the session)."""
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if signals.message_flashed.receivers:
        signals.send_sync(signals.message_flashed, app, message=message, category=category)


def get_flashed_messages(
    with_categories: bool = False, category_filter: Any = ()
) -> list[Any]:
    """Pop the flashed messages (optionally with categories, filtered by category)."""
    ctx: Any = _cv_request.get(None) or _cv_websocket.get(None)
    flashes = ctx.flashes if ctx is not None else None
    if flashes is None:
        flashes = session.pop("_flashes") if "_flashes" in session else []
        if ctx is not None:
            ctx.flashes = flashes
    if category_filter:
        flashes = [f for f in flashes if f[0] in category_filter]
    if not with_categories:
        return [x[1] for x in flashes]
    return list(flashes)


async def get_template_attribute(template_name: str, attribute: str) -> Any:
    """A macro or variable exported by a template (templating plugin)."""
    return await current_app._templating().get_template_attribute(template_name, attribute)


def _etag_for_file(path: str, stat: os.stat_result) -> str:
    return f"{stat.st_mtime}-{stat.st_size}-{zlib.adler32(path.encode()) & 0xFFFFFFFF}"


async def send_file(
    filename_or_io: str | os.PathLike[str] | bytes | io.BytesIO | Any,
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: int | Callable[[str | None], int | None] | None = None,
    cache_timeout: int | None = None,
) -> Response:
    """Send a file from a path, bytes or a file object.

    With ``conditional`` the response answers ``If-None-Match``/``If-Modified-Since``
    (304) and ``Range`` (206, or 416 for an unsatisfiable range).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    file_path: str | None = None
    body: Any
    size: int | None = None
    if isinstance(filename_or_io, (str, os.PathLike)):
        file_path = os.path.abspath(os.fspath(filename_or_io))
        if not os.path.isfile(file_path):
            raise NotFound()
        body = FileBody(file_path)
        size = body.size
        if download_name is None:
            download_name = os.path.basename(file_path)
    elif isinstance(filename_or_io, (bytes, bytearray, memoryview)):
        body = [bytes(filename_or_io)]
        size = len(body[0])
    else:
        data = filename_or_io.read()
        if isinstance(data, str):
            data = data.encode()
        body = [data]
        size = len(data)
    if mimetype is None:
        if download_name is None:
            raise ValueError(
                "Unable to detect the MIME type because a file name is not available."
                " Either set 'download_name', pass a path instead of a file, or set 'mimetype'."
            )
        mimetype = mimetypes.guess_type(download_name)[0] or "application/octet-stream"
    response = app.response_class(mimetype=mimetype)
    response.response, response._is_data = body, isinstance(body, list)
    if size is not None:
        response.content_length = size
    if download_name is not None:
        from werkzeug.http import dump_options_header

        try:
            download_name.encode("ascii")
            options = {"filename": download_name}
        except UnicodeEncodeError:
            from urllib.parse import quote

            simple = download_name.encode("ascii", "ignore").decode("ascii")
            options = {"filename": simple, "filename*": f"UTF-8''{quote(download_name, safe='')}"}
        value = "attachment" if as_attachment else "inline"
        response.headers["Content-Disposition"] = dump_options_header(value, options)
    if file_path is not None:
        stat = os.stat(file_path)
        if last_modified is None:
            last_modified = stat.st_mtime
        if etag is True:
            etag = _etag_for_file(file_path, stat)
    elif etag is True:
        etag = False
    if last_modified is not None:
        response.last_modified = last_modified  # type: ignore[assignment]
    if isinstance(etag, str):
        response.set_etag(etag)
    if cache_timeout is not None:
        max_age = cache_timeout
    if callable(max_age):
        max_age = max_age(file_path)
    if max_age is not None:
        if max_age > 0:
            response.cache_control.max_age = max_age
            response.cache_control.public = True
        response.expires = int(time.time() + max_age)  # type: ignore[assignment]
    if conditional:
        ctx: Any = _cv_request.get(None)
        if ctx is not None:
            await response.make_conditional(ctx.request, accept_ranges=True, complete_length=size)
    return response  # type: ignore[no-any-return]


async def send_from_directory(
    directory: str | os.PathLike[str], file_name: str, **kwargs: Any
) -> Response:
    """Send ``file_name`` from ``directory``; a path escaping the directory is a 404."""
    if "\x00" in file_name or "\\" in file_name:
        raise NotFound()
    file_path = safe_join(os.fspath(directory), file_name)
    if file_path is None:
        raise NotFound()
    path = Path(file_path)
    if not path.is_file():
        raise NotFound()
    return await send_file(path, **kwargs)


__all__ = [
    "abort",
    "flash",
    "get_flashed_messages",
    "get_template_attribute",
    "make_push_promise",
    "make_response",
    "redirect",
    "send_file",
    "send_from_directory",
    "stream_with_context",
    "url_for",
]
