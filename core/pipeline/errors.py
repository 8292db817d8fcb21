"""Error handling, for every protocol: handlers compiled per endpoint, Quart's rules.

An exception raised by a view (or a before/after function) goes to
:func:`handle_user_exception`: an :class:`~werkzeug.exceptions.HTTPException` is answered
by its handler or becomes the response itself; any other exception by its handler, or is
re-raised to :func:`handle_exception` (the 500 path: signal, plugins, propagation in
testing/debug, one log line, the 500 handler).

Which handler answers depends only on the exception's class and the endpoint's blueprints
(handlers are registered before the app freezes). Each :class:`ErrorHandlers` (one per
blueprint chain) looks a class up once, wraps the handler with ``ensure_async`` once, and
remembers the answer, so raising the same exception again costs one dict lookup.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import RequestRedirect, RoutingException

from ..debug import traceback_response
from ..hints import add_error_hints
from ..logging import printable
from ..pluginmanager import first_result

if TYPE_CHECKING:
    from ..app import Erlen
    from ..wrappers.response import Response
    from .plan import Pipeline

Handler = Callable[[Any], Awaitable[Any]]

#: Exception classes remembered per blueprint chain, at most (a program creating classes
#: at run time must not grow it without bound; past the limit a class is looked up again).
MAX_REMEMBERED_CLASSES = 512


def find_error_handler(
    app: Erlen, error: BaseException, blueprints: tuple[str, ...]
) -> Callable[..., Any] | None:
    """The registered handler for ``error`` under ``blueprints`` (innermost first), as
    registered: a handler for the status code beats one for a class, a blueprint's beats
    the app's, and the nearest class in the MRO wins."""
    exc_class, code = app._get_exc_class_and_code(type(error))
    names = (*blueprints, None)
    for c in (code, None) if code is not None else (None,):
        for name in names:
            handler_map = app.error_handler_spec.get(name, {}).get(c)
            if not handler_map:
                continue
            for cls in exc_class.__mro__:
                handler = handler_map.get(cls)
                if handler is not None:
                    return handler
    return None


class ErrorHandlers:
    """The error handlers of one blueprint chain, by exception class, each looked up and
    made awaitable once (valid after freeze: no handler can be registered any more)."""

    __slots__ = ("app", "blueprints", "_by_class")

    def __init__(self, app: Erlen, blueprints: tuple[str, ...]) -> None:
        self.app = app
        self.blueprints = blueprints
        self._by_class: dict[type[BaseException], Handler | None] = {}

    def for_error(self, error: BaseException) -> Handler | None:
        """The awaitable handler for ``error``, or None."""
        cls = type(error)
        try:
            return self._by_class[cls]
        except KeyError:
            pass
        found = find_error_handler(self.app, error, self.blueprints)
        handler = self.app.ensure_async(found) if found is not None else None
        if len(self._by_class) < MAX_REMEMBERED_CLASSES:
            self._by_class[cls] = handler
        return handler


async def handle_http_exception(app: Erlen, error: HTTPException, handlers: ErrorHandlers) -> Any:
    """The registered handler's answer to ``error``, or ``error`` itself (it is a
    response); redirects and routing exceptions are never handled."""
    if error.code is None or isinstance(error, RequestRedirect):
        return error
    if isinstance(error, RoutingException) and not isinstance(error, HTTPException):
        return error
    handler = handlers.for_error(error)
    if handler is None:
        return error
    return await handler(error)


async def handle_user_exception(app: Erlen, error: Exception, handlers: ErrorHandlers) -> Any:
    """Answer an exception raised while handling a request or connection; re-raise it
    when no handler answers (it then goes to the 500 path)."""
    if isinstance(error, HTTPException) and not app.trap_http_exception(error):
        return await app.handle_http_exception(error)
    handler = handlers.for_error(error)
    if handler is None:
        try:
            raise error
        finally:
            # The traceback holds this frame: without the local, no reference cycle
            # (tests/core/test_reference_cycles.py).
            error = None  # type: ignore[assignment]
    return await handler(error)


async def server_error(
    app: Erlen, error: Exception, connection: Any, handlers: ErrorHandlers
) -> tuple[Any, bool]:
    """The unhandled-error path shared by every protocol, after its signal: the plugins'
    ``erlen_handle_exception`` answer, else propagation (``should_propagate``: testing,
    debug or ``PROPAGATE_EXCEPTIONS``; the protocol handler then answers it with
    :func:`answer_escaped_error`), else one log line and the 500 handler's answer (or
    the 500 error itself).

    Returns ``(result, finalize)``: a plugin's answer is a finished response
    (``finalize`` False); the 500 answer still goes through the protocol's finalizing."""
    add_error_hints(error)  # "did you forget 'await'?", "import erlen.quart_patch"
    hooked = plugin_exception_answer(app, connection, error)
    if hooked is not None:
        if isinstance(hooked, Awaitable):
            hooked = await hooked
        if hooked is not None:
            return await app.make_response(hooked), False
    exc_info: Any = sys.exc_info()
    if exc_info[1] is not error:
        exc_info = (type(error), error, error.__traceback__)
    if app.should_propagate():
        raise error
    app.log_exception(exc_info)
    internal: Any = InternalServerError(original_exception=error)
    handler = handlers.for_error(internal)
    if handler is not None:
        internal = await handler(internal)
    return internal, True


def plugin_exception_answer(app: Erlen, connection: Any, error: BaseException) -> Any:
    """The ``erlen_handle_exception`` plugins' answer for ``error`` (None: none answers;
    it may be awaitable): through the compiled hooks once ``app`` has frozen, unless an
    implementation is a wrapper."""
    pipeline: Pipeline | None = app.__dict__.get("_pipeline")
    compiled = pipeline.exception_hooks if pipeline is not None else None
    if compiled is None:
        return app.plugin_manager.hook.erlen_handle_exception(
            app=app, request=connection, exc=error
        )
    return first_result(compiled, app, connection, error)


async def answer_escaped_error(app: Erlen, error: Exception, connection: Any) -> Response:
    """What a protocol handler answers for ``error``, which escaped ``app``'s lifecycle of
    ``connection`` (it propagated: ``PROPAGATE_EXCEPTIONS``, or testing/debug): in debug
    or testing mode the traceback page (``erlen.debug.traceback_response``, a 500),
    as Quart 0.22 answers, after one log line; otherwise the error is raised on, to the
    ASGI server (``PROPAGATE_EXCEPTIONS`` alone asks for that).

    Called from an ``except`` clause around the lifecycle: nothing on the normal path.
    tests/core/test_escaped_errors.py pins each mode."""
    if not (app.debug or app.testing):
        raise error
    if connection is None:
        where = "a connection"
    elif connection.scope.get("type") == "websocket":
        where = f"websocket {printable(connection.path)}"
    else:
        where = f"request {printable(connection.method)} {printable(connection.path)}"
    app.logger.error(f"Exception on {where}", exc_info=(type(error), error, error.__traceback__))
    return await traceback_response(error, connection)
