"""The session steps of every protocol: whether an untouched session must be saved, and
the save. The pipeline reaches sessions only through the app's ``session_interface``
(the :class:`~erlen.sessions.SessionInterface` protocol)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

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
    return app.session_interface.must_refresh_untouched(app, connection, cookie)  # type: ignore[no-any-return]


def save_session(app: Erlen, ctx: Any, response: Response) -> Awaitable[Any] | None:
    """Save the session of ``ctx`` into ``response``; returns what the interface's
    ``save_session`` returned when it must be awaited (Quart's interfaces are async,
    Flask's sync), else None.

    Nothing is saved for a session never opened (unless its cookie needs a refresh); an
    interface that saves without awaiting does it in ``save_session_sync`` (True), the
    cookie interface for every session but under a subclass replacing ``save_session``.
    """
    session = ctx._session
    if session is None:
        if not cookie_needs_refresh(app, ctx._connection):
            return None
        session = ctx.session  # opened now: only its cookie needs a refresh
    interface = app.session_interface
    # ``is True``: an interface answering anything else (a mock's attribute) is awaited
    if interface.save_session_sync(app, session, response) is True:
        return None
    if interface.is_null_session(session):
        return None
    saved = interface.save_session(app, session, response)
    return saved if isinstance(saved, Awaitable) else None
