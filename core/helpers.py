"""Flask's helper functions: ``abort``, ``redirect``, ``url_for``, ``flash``, ``send_file``..."""

from __future__ import annotations

import functools
import importlib.util
import inspect
import os
import sys
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, overload

from markupsafe import escape
from werkzeug.security import safe_join as safe_join
from werkzeug.urls import iri_to_uri

from . import signals
from .globals import _cv_app, _cv_request, _cv_websocket, current_app, session
from .sendfile import DEFAULT_MIMETYPE as DEFAULT_MIMETYPE
from .sendfile import send_file as send_file
from .sendfile import send_from_directory as send_from_directory
from .wrappers.response import Response as _Response

if TYPE_CHECKING:
    from .wrappers.response import Response

F = TypeVar("F", bound=Callable[..., Any])

#: The environment variable read by :func:`get_debug_flag` (``ERLEN_DEBUG`` is read too).
DEBUG_ENV = "KERNEL_DEBUG"
#: The environment variable read by :func:`get_load_dotenv`.
SKIP_DOTENV_ENV = "KERNEL_SKIP_DOTENV"
_FALSE_VALUES = frozenset(("0", "false", "no"))

#: Quart's name for a property computed on each access (Flask's thread-locked cache is
#: not needed by an async app): kept so that code importing it runs.
locked_cached_property = property


def get_root_path(import_name: str) -> str:
    """The folder of the module or package ``import_name`` (cwd when unknown)."""
    mod = sys.modules.get(import_name)
    mod_file = getattr(mod, "__file__", None) if mod is not None else None
    if mod_file is not None:
        return os.path.dirname(os.path.abspath(mod_file))
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin in (None, "namespace", "built-in", "frozen"):
        return os.getcwd()
    return os.path.dirname(os.path.abspath(spec.origin))


def get_debug_flag() -> bool:
    """Whether ``KERNEL_DEBUG`` (else ``ERLEN_DEBUG``) asks for debug mode.

    Quart reads ``QUART_DEBUG`` the same way: unset or ``0``/``false``/``no`` is False,
    any other value True. ``kernel --debug`` sets the variable; a new app reads it into
    ``config["DEBUG"]``.
    """
    for name in (DEBUG_ENV, "ERLEN_DEBUG"):
        value = os.environ.get(name)
        if value:
            return value.lower() not in _FALSE_VALUES
    return False


def get_load_dotenv(default: bool = True) -> bool:
    """Whether the ``kernel`` command should load the default ``.env`` files.

    ``default`` when ``KERNEL_SKIP_DOTENV`` is unset or empty; otherwise True only for
    ``0``/``false``/``no`` (skipping turned off), as Quart reads ``QUART_SKIP_DOTENV``.
    """
    value = os.environ.get(SKIP_DOTENV_ENV)
    if not value:
        return default
    return value.lower() in _FALSE_VALUES


def find_package(name: str) -> tuple[Path | None, Path]:
    """``(install prefix or None, folder holding the top-level package or module)``.

    The prefix is set when the package is installed (under ``sys.prefix`` or a
    ``site-packages`` folder): the app's instance folder then goes to
    ``{prefix}/var/{name}-instance``. A name that cannot be found (``__main__``, an
    interactive session) gives the current directory.
    """
    root_name = name.partition(".")[0]
    try:
        spec = importlib.util.find_spec(root_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or (
        not spec.submodule_search_locations and spec.origin in (None, "built-in", "frozen")
    ):
        return None, Path.cwd()
    if spec.submodule_search_locations:
        if spec.origin in (None, "namespace"):
            package_path = Path(list(spec.submodule_search_locations)[0]).parent
        else:
            package_path = Path(str(spec.origin)).parent.parent
    else:
        package_path = Path(str(spec.origin)).parent
    package_path = Path(os.path.abspath(package_path))
    prefix = Path(os.path.abspath(sys.prefix))
    if package_path == prefix or prefix in package_path.parents:
        return prefix, package_path
    if package_path.name.lower() == "site-packages":
        lib = package_path.parent
        if lib.name.lower() == "lib":  # Windows: {prefix}/Lib/site-packages
            return lib.parent, package_path
        if lib.parent.name.lower() == "lib":  # {prefix}/lib/pythonX.Y/site-packages
            return lib.parent.parent, package_path
    return None, package_path


def abort(code: int | Response, *args: Any, **kwargs: Any) -> NoReturn:
    """Raise the HTTP exception for ``code`` (or for a response)."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        ctx.app.aborter(code, *args, **kwargs)
    from werkzeug.exceptions import abort as _abort

    _abort(code, *args, **kwargs)


def _redirect_page(location: str) -> tuple[str, str]:
    """``location``'s URI and the HTML page of a redirect to it."""
    uri = iri_to_uri(location)
    body = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL:"
        f' <a href="{escape(uri)}">{escape(location)}</a>. If not, click the link.\n'
    )
    return uri, body


class _RedirectPages(dict):  # type: ignore[type-arg]
    """location -> :func:`_redirect_page`, for ``str`` locations of up to 512
    characters (an app redirects to a few locations again and again); a few hundred
    are kept at most (emptied when full)."""

    def __missing__(self, location: str) -> tuple[str, str]:
        page = _redirect_page(location)
        if len(location) <= 512:
            if len(self) >= 256:
                self.clear()
            self[location] = page
        return page


_REDIRECT_PAGES = _RedirectPages()


def _redirect_response(response_class: Any, location: str, code: int) -> Response:
    # Only exact str locations are looked up: a str subclass (Markup) escapes otherwise.
    if location.__class__ is str:
        uri, body = _REDIRECT_PAGES[location]
    else:
        uri, body = _redirect_page(location)
    response = response_class(body, code, mimetype="text/html")
    response.headers["Location"] = uri
    return response  # type: ignore[no-any-return]


def redirect(location: str, code: int = 302, Response: Any = None) -> Response:
    """A redirect response to ``location`` (uses ``app.redirect`` in an app context)."""
    if Response is None:
        ctx = _cv_app.get(None)
        if ctx is not None:
            return ctx.app.redirect(location, code)
        Response = _Response
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
    ctx = _cv_app.get(None)
    app = ctx.app if ctx is not None else current_app  # the proxy raises out of context
    return app.url_for(
        endpoint, _anchor=_anchor, _external=_external, _method=_method, _scheme=_scheme, **values
    )


async def make_response(*args: Any) -> Response:
    """Turn view-style return values into a response (``await make_response(...)``)."""
    ctx = _cv_app.get(None)
    app = ctx.app if ctx is not None else current_app  # the proxy raises out of context
    if not args:
        return app.response_class()  # type: ignore[no-any-return]
    if len(args) == 1:
        args = args[0]
    return await app.make_response(args)  # type: ignore[no-any-return]


@overload
def stream_with_context(func: F) -> F: ...


@overload
def stream_with_context(func: Iterable[Any] | AsyncIterable[Any]) -> AsyncIterator[Any]: ...


def stream_with_context(func: Any) -> Any:
    """Keep the request context for a streamed body produced after the view returns.

    Decorate an (async or sync) generator function inside a view; iterating it then sees
    the view's ``request``, ``session`` and ``g``. Flask's other spelling works too: give
    it the generator itself, ``return stream_with_context(generate())``, and return what
    it gives (an async iterator). Teardown functions still run once, when the view's
    request ends.
    """
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError("Attempt to stream with context outside of a request context")
    app_ctx = ctx.app_ctx
    if not callable(func):
        if not hasattr(func, "__aiter__") and not hasattr(func, "__iter__"):
            raise TypeError(
                "stream_with_context() takes a generator function (as a decorator) or a"
                f" generator (Flask's stream_with_context(generate())), not {func!r}"
            )
        iterable = func

        def func() -> Any:
            return iterable

        return _in_context(func, ctx, app_ctx)()
    return _in_context(func, ctx, app_ctx)


def _in_context(func: Callable[..., Any], ctx: Any, app_ctx: Any) -> Callable[..., Any]:
    @functools.wraps(func)
    async def generator(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        # Re-enter the view's own contexts (no push: teardown and the appcontext signals
        # already ran, or will run, for the view's request).
        token = _cv_request.set(ctx)
        app_token = _cv_app.set(app_ctx) if app_ctx is not None else None
        try:
            result = func(*args, **kwargs)
            if hasattr(result, "__aiter__"):
                async for item in result:
                    yield item
            else:
                for item in result:
                    yield item
        finally:
            try:
                if app_token is not None:
                    _cv_app.reset(app_token)
                _cv_request.reset(token)
            except ValueError:  # closed from another context (garbage collection)
                pass

    return generator


async def make_push_promise(path: str) -> None:
    """Ask the client to fetch ``path`` now (HTTP/2 server push).

    Sent when the server offers the ASGI ``http.response.push`` extension (hypercorn
    over HTTP/2); a no-op otherwise.
    """
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError("make_push_promise needs a request context")
    await ctx.request.send_push_promise(path)


class _Flashed:
    """What :func:`flash` returns: awaiting it waits for async ``message_flashed`` receivers.

    The message is stored at once, so ``flash(...)`` (Flask) and ``await flash(...)``
    (Quart) both work.
    """

    __slots__ = ("_pending",)

    def __init__(self, pending: list[Any]) -> None:
        self._pending = pending

    def __await__(self) -> Any:
        return self._wait().__await__()

    async def _wait(self) -> None:
        for pending in self._pending:
            await pending


def flash(message: str, category: str = "message") -> _Flashed:
    """Store ``message`` in the session, to show on a later request.

    Works both as ``flash(msg)`` (Flask) and ``await flash(msg)`` (Quart). Needs a
    ``SECRET_KEY`` (the session).
    """
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    pending: list[Any] = []
    if signals.message_flashed.receivers:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        for _receiver, result in signals.send_sync(
            signals.message_flashed, app, message=message, category=category
        ):
            if inspect.isawaitable(result):
                pending.append(result)
    return _Flashed(pending)


def get_flashed_messages(
    with_categories: bool = False, category_filter: Iterable[str] = ()
) -> list[Any]:
    """The flashed messages, removed from the session (kept for the rest of the request).

    With ``with_categories`` the items are ``(category, message)`` pairs;
    ``category_filter`` keeps only those categories (all messages are still removed).
    """
    ctx: Any = _cv_request.get(None) or _cv_websocket.get(None)
    flashes = ctx.flashes if ctx is not None else None
    if flashes is None:
        flashes = session.pop("_flashes") if "_flashes" in session else []
        if ctx is not None:
            ctx.flashes = flashes
    if category_filter:
        flashes = [f for f in flashes if f[0] in category_filter]
    if not with_categories:
        return [f[1] for f in flashes]
    return [tuple(f) for f in flashes]


async def get_template_attribute(template_name: str, attribute: str) -> Any:
    """A macro or variable exported by a template (templating plugin)."""
    return await current_app._templating().get_template_attribute(template_name, attribute)


__all__ = [
    "DEBUG_ENV",
    "DEFAULT_MIMETYPE",
    "SKIP_DOTENV_ENV",
    "abort",
    "find_package",
    "flash",
    "get_debug_flag",
    "get_flashed_messages",
    "get_load_dotenv",
    "get_root_path",
    "get_template_attribute",
    "locked_cached_property",
    "make_push_promise",
    "make_response",
    "redirect",
    "safe_join",
    "send_file",
    "send_from_directory",
    "stream_with_context",
    "url_for",
]
