"""Sessions: the protocol the kernel uses, and Quart's ``quart.sessions`` names.

The kernel owns the protocol: :class:`SessionMixin`, :class:`SessionInterface` (Quart's
methods plus three optional ones with generic defaults, see below), :class:`NullSession`
and the functions the request pipeline calls (:func:`open_session_lazily`,
:func:`open_session_async`, ``can_open_sync``; the save step is
``erlen.pipeline.session``). Which interface an app uses is chosen once, in
``Erlen.__init__``, by the ``erlen_session_interface`` hook; the ``sessions`` plugin
answers with its signed-cookie interface. With no plugin answering, the app gets a
:class:`NullSessionInterface`: ``session`` reads empty and refuses writes.

Signed-cookie sessions live in :mod:`erlen.plugins.sessions`. Their Quart names
(``SecureCookieSession``, ``SecureCookieSessionInterface``) are importable from here too:
this module is the plugin's declared facade and imports it on first use of one of them.
"""

from __future__ import annotations

import inspect
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import ImmutableMultiDict

from .wrappers.base import connection_cookie_header, cookie_header

if TYPE_CHECKING:
    from .app import Erlen
    from .plugins.sessions import (
        SecureCookieSession,
        SecureCookieSessionInterface,
        TaggedJSONSerializer,
        session_json_serializer,
    )
    from .wrappers.response import Response

__all__ = [
    "NullSession",
    "NullSessionInterface",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
    "SessionInterface",
    "SessionMixin",
    "TaggedJSONSerializer",
    "can_open_sync",
    "cookie_value",
    "open_session_async",
    "open_session_lazily",
    "session_json_serializer",
    "unparsed_cookie_header",
]


class SessionMixin(MutableMapping[str, Any]):
    """Session attributes on top of a mapping."""

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser session (``PERMANENT_SESSION_LIFETIME``)."""
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    new = False
    modified = True
    accessed = True


class NullSession(dict[str, Any], SessionMixin):  # type: ignore[misc]
    """The session when no ``SECRET_KEY`` is set: reading works, writing explains why not."""

    modified = False
    accessed = False

    #: Why writing fails, and how to make it work.
    unavailable_message = (
        "The session is unavailable because no secret key was set. Set the"
        " secret_key on the application to something unique and secret."
    )

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(self.unavailable_message)

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail  # type: ignore[assignment]


class SessionsUnavailable(NullSession):
    """The session of an app that loads no session plugin (``exclude_plugins=["sessions"]``)."""

    unavailable_message = (
        "The session is unavailable because no sessions plugin is loaded: this app was"
        " made without the 'sessions' plugin. Load it (leave it out of exclude_plugins"
        " and ERLEN_DISABLE_PLUGINS, or name it in Erlen(..., plugins=[..., 'sessions'])),"
        " or set app.session_interface to an interface of your own."
    )


def cookie_value(request: Any, name: str) -> str | None:
    """``request.cookies.get(name)``, reading the first value of werkzeug's
    ``ImmutableMultiDict`` (a dict of value lists) without its two Python calls."""
    cookies = request.cookies
    if type(cookies) is ImmutableMultiDict:
        values = dict.get(cookies, name)
        return values[0] if values else None
    return cookies.get(name)  # type: ignore[no-any-return]


def unparsed_cookie_header(connection: Any) -> bytes | None:
    """The ``Cookie`` header of ``connection`` (``b""`` when it sent none), while
    ``connection.cookies`` was neither read nor set and is the stock mapping; else None.

    While it is not None, the cookies are exactly what the header says, so an interface
    may key a cache on it instead of parsing the cookies.
    """
    if connection._cookies is not None:
        return None
    if connection._headers_used:  # read or set: what they say now (Quart's rule)
        return connection_cookie_header(connection) or b""
    raw = None
    for name, value in connection.scope.get("headers", ()):
        if name == b"cookie":  # ASGI header names are lowercase
            raw = value if raw is None else raw + b";" + value
    if raw is None:  # none, or a scope breaking that rule
        return cookie_header(connection.scope) or b""
    return raw


class SessionInterface:
    """How sessions are opened and saved. Subclass and set ``app.session_interface``.

    ``open_session`` and ``save_session`` are coroutines, as in Quart; plain methods
    (a Flask interface being ported) work too. Such an interface is awaited when the
    request or websocket context is entered, and saved after every request.

    Three optional methods let the kernel do less, each with a default that keeps the
    general behaviour:

    - :meth:`open_session_sync`: an interface that defines it (in the class defining
      ``open_session``, or a subclass) opens sessions lazily, on the first use of
      ``session``; a request that never touches it costs nothing.
    - :meth:`save_session_sync`: saves a session without awaiting when the interface
      can; the default answers False (``save_session`` is awaited).
    - :meth:`must_refresh_untouched`: whether a lazily opened session that a request
      never touched must be opened and saved anyway (a permanent cookie's refresh).
    """

    null_session_class: type[NullSession] = NullSession
    pickle_based = False

    def make_null_session(self, app: Erlen) -> NullSession:
        """The session used when the real one cannot be opened."""
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """Whether ``obj`` is a null session."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Erlen) -> str:
        """``SESSION_COOKIE_NAME``."""
        return app.config["SESSION_COOKIE_NAME"]  # type: ignore[no-any-return]

    def get_cookie_domain(self, app: Erlen) -> str | None:
        """``SESSION_COOKIE_DOMAIN``."""
        return app.config["SESSION_COOKIE_DOMAIN"]  # type: ignore[no-any-return]

    def get_cookie_path(self, app: Erlen) -> str:
        """``SESSION_COOKIE_PATH`` or ``APPLICATION_ROOT``."""
        return app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]  # type: ignore[no-any-return]

    def get_cookie_httponly(self, app: Erlen) -> bool:
        """``SESSION_COOKIE_HTTPONLY``."""
        return app.config["SESSION_COOKIE_HTTPONLY"]  # type: ignore[no-any-return]

    def get_cookie_secure(self, app: Erlen) -> bool:
        """``SESSION_COOKIE_SECURE``."""
        return app.config["SESSION_COOKIE_SECURE"]  # type: ignore[no-any-return]

    def get_cookie_samesite(self, app: Erlen) -> str | None:
        """``SESSION_COOKIE_SAMESITE``."""
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: Erlen) -> bool:
        """``SESSION_COOKIE_PARTITIONED``."""
        return app.config["SESSION_COOKIE_PARTITIONED"]  # type: ignore[no-any-return]

    def get_expiration_time(self, app: Erlen, session: SessionMixin) -> datetime | None:
        """When a permanent session expires (None for a browser session)."""
        if session.permanent:
            return datetime.now(UTC) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: Erlen, session: SessionMixin) -> bool:
        """Set the cookie when modified, or when permanent and refreshed each request."""
        return session.modified or (
            session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
        )

    async def open_session(self, app: Erlen, request: Any) -> SessionMixin | None:
        """Open the session for ``request`` (None: use a null session)."""
        raise NotImplementedError

    async def save_session(
        self, app: Erlen, session: SessionMixin, response: Response | None
    ) -> None:
        """Write ``session`` into ``response``. After a websocket whose handler returned no
        response (the connection was accepted), ``response`` is None, as in Quart: a
        store keeping sessions server-side saves then; a cookie cannot be set."""
        raise NotImplementedError

    def open_session_sync(self, app: Erlen, request: Any) -> SessionMixin | None:
        """Open the session for ``request`` without awaiting (None: a null session).

        Optional. Defining it (see ``can_open_sync``) makes the kernel open sessions
        on the first use of ``session`` instead of awaiting :meth:`open_session` for every
        request. ``open_session`` should then give the same session.
        """
        raise NotImplementedError

    def save_session_sync(self, app: Erlen, session: SessionMixin, response: Response) -> bool:
        """Save ``session`` into ``response`` without awaiting, when this interface can.

        Called after the request's ``after_request`` functions, for a session that was
        opened, before :meth:`save_session`. Return True when the save is done
        (``save_session`` is then not called), False to have ``save_session`` awaited.
        The default answers False. The cookie interface saves every session this way
        (its ``save_session`` awaits nothing) unless a subclass replaces ``save_session``;
        an interface keeping sessions in a store may answer True for an unmodified one.
        """
        return False

    def must_refresh_untouched(self, app: Erlen, request: Any, cookie: bytes | None = None) -> bool:
        """Whether a session that ``request`` never touched must be opened and saved.

        Asked only for lazily opened sessions (see :meth:`open_session_sync`), when the
        request sent cookies and ``SESSION_REFRESH_EACH_REQUEST`` is set (a permanent
        session's cookie is then refreshed on every request, as in Flask). ``cookie``:
        the request's raw ``Cookie`` header, when the kernel has it. The default answers
        whether the request sent the cookie named :meth:`get_cookie_name`.
        """
        return cookie_value(request, self.get_cookie_name(app)) is not None


class NullSessionInterface(SessionInterface):
    """The session interface of an app no plugin gives one (the ``sessions`` plugin
    excluded): every session is a :class:`SessionsUnavailable`. Reading it gives
    nothing, writing raises a ``RuntimeError`` that says how to enable sessions."""

    null_session_class = SessionsUnavailable

    def open_session_sync(self, app: Erlen, request: Any) -> None:
        """No session: the kernel uses :meth:`make_null_session`."""
        return None

    async def open_session(self, app: Erlen, request: Any) -> None:
        """No session: the kernel uses :meth:`make_null_session`."""
        return None

    async def save_session(
        self, app: Erlen, session: SessionMixin, response: Response | None
    ) -> None:
        """Nothing is ever saved."""

    def save_session_sync(self, app: Erlen, session: SessionMixin, response: Response) -> bool:
        """Nothing to save."""
        return True

    def must_refresh_untouched(self, app: Erlen, request: Any, cookie: bytes | None = None) -> bool:
        """Nothing to refresh."""
        return False


def default_session_interface(app: Erlen) -> SessionInterface:
    """The interface the ``erlen_session_interface`` hook gives ``app``, or a
    :class:`NullSessionInterface` when no plugin answers."""
    interface = app.plugin_manager.hook.erlen_session_interface(app=app)
    return interface if interface is not None else NullSessionInterface()


class DefaultSessionInterface:
    """``Erlen.session_interface`` as the kernel declares it (Quart's class attribute).

    Read on the class it gives the ``sessions`` plugin's shared cookie interface, as
    ``Quart.session_interface`` does. An app does not read it: ``Erlen.__init__`` stores
    the interface the ``erlen_session_interface`` hook gives on the instance, unless a
    subclass set ``session_interface`` to an interface of its own, which is kept.
    """

    def __get__(self, instance: object, owner: type | None = None) -> SessionInterface:
        from .plugins.sessions import DEFAULT_INTERFACE  # the facade: on first use only

        return DEFAULT_INTERFACE


def can_open_sync(interface: SessionInterface) -> bool:
    """Whether ``interface`` opens sessions lazily, without awaiting.

    True when it defines :meth:`SessionInterface.open_session_sync` in the class that
    defines its ``open_session`` or in a subclass of it (a subclass replacing only
    ``open_session`` is awaited: its own method must run), or on the instance. Any other
    interface is awaited when the request (or websocket) context is entered, as Quart does.
    """
    own = getattr(interface, "__dict__", {})
    if "open_session" in own:
        return False
    if "open_session_sync" in own:
        return True
    cls = type(interface)
    sync_owner = _defining_class(cls, "open_session_sync")
    if sync_owner is None or sync_owner is SessionInterface:
        return False
    async_owner = _defining_class(cls, "open_session")
    return async_owner is None or issubclass(sync_owner, async_owner)


def _defining_class(cls: type, name: str) -> type | None:
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass
    return None


def open_session_lazily(app: Erlen, connection: Any) -> SessionMixin:
    """Open the session on first use of ``session`` (sync interfaces only)."""
    interface = app.session_interface
    # The app remembers the interface it found lazy: one identity test instead of the
    # class checks on every later request. Valid because the answer depends only on that
    # interface object, and an app given another interface misses the identity test
    # (tests/plugins/sessions/test_plugin.py,
    # test_an_interface_set_after_requests_is_checked_again).
    lazy = app.__dict__.get("_lazy_session_interface")
    if interface is not lazy:
        if not can_open_sync(interface):
            raise RuntimeError(
                f"The session interface {type(interface).__name__} opens sessions with an"
                " async open_session(); the session is opened when the context is entered"
                " with `async with` (or by the request handling), not by a bare push()."
            )
        app.__dict__["_lazy_session_interface"] = interface
    session = interface.open_session_sync(app, connection)
    if session is None:
        session = interface.make_null_session(app)
    return session


async def open_session_async(app: Erlen, connection: Any) -> SessionMixin:
    """Open the session with ``await app.session_interface.open_session(...)``."""
    interface = app.session_interface
    session: Any = interface.open_session(app, connection)
    if inspect.isawaitable(session):  # Quart's interfaces are async; Flask's are sync
        session = await session
    if session is None:
        session = interface.make_null_session(app)
    return session  # type: ignore[no-any-return]


#: The plugin's names served from here (Quart's module has them), imported on first use.
_FACADE_NAMES = frozenset(
    (
        "SecureCookieSession",
        "SecureCookieSessionInterface",
        "TaggedJSONSerializer",
        "session_json_serializer",
    )
)


def __getattr__(name: str) -> Any:
    if name in _FACADE_NAMES:
        from .plugins import sessions as plugin  # the facade: on first use only

        value = getattr(plugin, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
