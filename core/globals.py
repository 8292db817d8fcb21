"""Context-local proxies: ``current_app``, ``g``, ``request``, ``websocket``, ``session``.

They are werkzeug ``LocalProxy`` objects over ``contextvars``, so they follow
``asyncio.create_task`` and ``asyncio.gather`` into child tasks.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

from werkzeug.local import LocalProxy

if TYPE_CHECKING:
    from .app import Erlen
    from .ctx import AppContext, RequestContext, WebsocketContext
    from .sessions import SessionMixin
    from .wrappers.request import Request
    from .wrappers.websocket import Websocket

_no_app_msg = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed the current
application. To solve this, set up an application context with `async with app.app_context()`.\
"""
_no_req_msg = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed an active HTTP
request. Consult the documentation on testing for information about how to avoid this
problem (`async with app.test_request_context(...)`).\
"""
_no_ws_msg = """\
Working outside of websocket context.

This typically means that you attempted to use functionality that needed an active
websocket connection (inside a handler registered with `@app.websocket`).\
"""

_cv_app: ContextVar[AppContext] = ContextVar("erlen.app_ctx")
_cv_request: ContextVar[RequestContext] = ContextVar("erlen.request_ctx")
_cv_websocket: ContextVar[WebsocketContext] = ContextVar("erlen.websocket_ctx")
# Bound once: the proxies call them on every attribute read.
#: The context variables behind the proxies, public for plugins that read or set the
#: current contexts themselves (a template renderer, a test client re-pushing a finished
#: request): ``request_context_var.get(None)`` is the current request context or None.
app_context_var = _cv_app
request_context_var = _cv_request
websocket_context_var = _cv_websocket

_app_ctx = _cv_app.get
_request_ctx = _cv_request.get
_websocket_ctx = _cv_websocket.get


class _StoredProxyError(TypeError):
    pass


_STORED_PROXY_MSG = (
    "The `websocket` global is a context proxy: it always means the connection of the "
    "handler that is running, so storing it (in a set, dict or list) and using it from "
    "another connection's handler would reach the wrong client. Store the connection "
    "object instead: `connections.add(websocket.connection)`."
)


class _WebsocketProxy(LocalProxy):  # type: ignore[type-arg]
    """The ``websocket`` proxy refuses to be hashed or compared with itself.

    Keeping the proxy in a set of connections (as a chat broadcast does) cannot work: every
    stored entry resolves to whichever connection is current, so a broadcast silently
    reaches nobody. Hashing it (``set.add``, dict keys) or comparing it with itself fails
    at once with a message naming the fix, ``websocket.connection``.
    """

    __slots__ = ()

    def __hash__(self) -> int:
        raise _StoredProxyError(_STORED_PROXY_MSG)

    def __eq__(self, other: object) -> bool:
        if other is self:
            raise _StoredProxyError(_STORED_PROXY_MSG)
        return bool(self._get_current_object() == other)

    def __ne__(self, other: object) -> bool:
        return not _WebsocketProxy.__eq__(self, other)  # self.__eq__ is the connection's

    def __getattribute__(self, name: str) -> Any:
        # Every message goes through here (`websocket.receive`, `websocket.send`).
        ctx = _websocket_ctx(None)
        if ctx is not None and name != "_get_current_object":
            try:
                return getattr(ctx.websocket, name)
            except AttributeError:
                if name[0] != "_":
                    raise
        elif name[0] != "_":
            raise RuntimeError(_no_ws_msg)
        return object.__getattribute__(self, name)


# `websocket.receive`, `request.method`, `g.user`, `session.get(...)`: code reads these
# proxies many times per request or message. Inside a context any name is read from the
# current object with one ContextVar lookup, instead of a failed lookup on the proxy plus
# werkzeug's descriptor chain (tests/core/test_globals_proxies.py pins what each kind of
# name gives, inside a context and outside).
# werkzeug's LocalProxy forwards dunders such as `__class__` and `__dict__` to the object
# too, so only a name the object lacks differs: an underscore one (the proxy's own
# `_get_current_object`, `__wrapped__`) then takes werkzeug's usual path, which is also
# the path of underscore names outside a context (`isinstance(g, X)` must not raise).


class _RequestProxy(LocalProxy):  # type: ignore[type-arg]
    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        ctx = _request_ctx(None)
        if ctx is not None and name != "_get_current_object":
            try:
                return getattr(ctx.request, name)
            except AttributeError:
                if name[0] != "_":
                    raise
        elif name[0] != "_":
            raise RuntimeError(_no_req_msg)
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        ctx = _request_ctx(None)
        if ctx is None:
            raise RuntimeError(_no_req_msg)
        setattr(ctx.request, name, value)


class _GlobalsProxy(LocalProxy):  # type: ignore[type-arg]
    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        ctx = _app_ctx(None)
        if ctx is not None and name != "_get_current_object":
            try:
                return getattr(ctx.g, name)
            except AttributeError:
                if name[0] != "_":
                    raise
        elif name[0] != "_":
            raise RuntimeError(_no_app_msg)
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        ctx = _app_ctx(None)
        if ctx is None:
            raise RuntimeError(_no_app_msg)
        setattr(ctx.g, name, value)


class _SessionProxy(LocalProxy):  # type: ignore[type-arg]
    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        # _current_session() inlined: `session.get(...)` is the hot use.
        ctx: Any = _request_ctx(None) or _websocket_ctx(None)
        if ctx is not None and name != "_get_current_object":
            current = ctx._session  # opened already (the common second read)
            if current is None:  # ctx.session's first use, without the property call
                current = ctx._session = ctx.app.open_session_for(ctx._connection)
            try:
                return getattr(current, name)
            except AttributeError:
                if name[0] != "_":
                    raise
        elif name[0] != "_":
            raise RuntimeError(_no_req_msg)
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_current_session(), name, value)


#: The current contexts themselves, as Flask's and Quart's ``app_ctx``/``request_ctx``/
#: ``websocket_ctx`` proxies (``request_ctx.request``, ``app_ctx.g``...).
app_ctx: AppContext = cast("AppContext", LocalProxy(_cv_app, unbound_message=_no_app_msg))
request_ctx: RequestContext = cast(
    "RequestContext", LocalProxy(_cv_request, unbound_message=_no_req_msg)
)
websocket_ctx: WebsocketContext = cast(
    "WebsocketContext", LocalProxy(_cv_websocket, unbound_message=_no_ws_msg)
)
current_app: Erlen = cast("Erlen", LocalProxy(_cv_app, "app", unbound_message=_no_app_msg))
g: Any = _GlobalsProxy(_cv_app, "g", unbound_message=_no_app_msg)
request: Request = cast(
    "Request", _RequestProxy(_cv_request, "request", unbound_message=_no_req_msg)
)
session: SessionMixin = cast(
    "SessionMixin", _SessionProxy(lambda: _current_session(), unbound_message=_no_req_msg)
)
websocket: Websocket = cast(
    "Websocket", _WebsocketProxy(_cv_websocket, "websocket", unbound_message=_no_ws_msg)
)


def _current_session() -> SessionMixin:
    ctx: Any = _cv_request.get(None) or _cv_websocket.get(None)
    if ctx is None:
        raise RuntimeError(_no_req_msg)
    return ctx.session  # type: ignore[no-any-return]
