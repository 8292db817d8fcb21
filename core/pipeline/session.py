"""The session steps of every protocol: open (for interfaces that cannot open lazily)
and save. The pipeline reaches sessions only through the kernel functions of
:mod:`erlen.sessions` and the app's ``session_interface``."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from ..sessions import must_open_untouched, save_if_unchanged
from ..wrappers.base import cookie_header

if TYPE_CHECKING:
    from ..app import Erlen
    from ..wrappers.response import Response


def cookie_needs_refresh(app: Erlen, connection: Any) -> bool:
    """Whether ``connection`` sent a session cookie that must be saved again although the
    session was never touched: a permanent session is refreshed on every request
    (``SESSION_REFRESH_EACH_REQUEST``, Flask's semantics)."""
    for name, _value in connection.scope.get("headers", ()):
        if name == b"cookie":
            break
    else:  # most requests send no cookie: then none needs a refresh
        return False
    cookie = cookie_header(connection.scope)
    if cookie is None or not app.config["SESSION_REFRESH_EACH_REQUEST"]:
        return False
    return must_open_untouched(app, connection, cookie)


def save_session(app: Erlen, ctx: Any, response: Response) -> Awaitable[Any] | None:
    """Save the session of ``ctx`` into ``response``; returns what the interface's
    ``save_session`` returned when it must be awaited (Quart's interfaces are async,
    Flask's sync), else None.

    Nothing is saved for a session never opened (unless its cookie needs a refresh), and
    ``erlen.sessions.save_if_unchanged`` answers for an unchanged one."""
    if ctx._session is None and not cookie_needs_refresh(app, ctx._connection):
        return None
    session = ctx.session  # opened now if only its cookie needs a refresh
    if save_if_unchanged(app, ctx, response):
        return None
    interface = app.session_interface
    if interface.is_null_session(session):
        return None
    saved = interface.save_session(app, session, response)
    return saved if isinstance(saved, Awaitable) else None
