"""Signed-cookie sessions (itsdangerous), replaceable through ``app.session_interface``.

A tampered, expired or undecodable cookie gives an empty session, never an error. The
session is opened only when the view first touches ``session``.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import time
import weakref
from base64 import b64decode, b64encode
from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeGuard
from uuid import UUID

from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup
from werkzeug.datastructures import CallbackDict, Headers, ImmutableMultiDict
from werkzeug.http import http_date, parse_date

from .config import Config
from .wrappers.base import cookie_header
from .wrappers.headers import ResponseHeaders

if TYPE_CHECKING:
    from .app import Erlen
    from .wrappers.response import Response


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


def _mark_modified(session: SecureCookieSession) -> None:
    """``CallbackDict``'s update callback (one function for every session)."""
    session.modified = True
    session.accessed = True


_dict_get = dict.get


class SecureCookieSession(CallbackDict[str, Any], SessionMixin):  # type: ignore[misc]
    """The default session: a dict that tracks modification and access."""

    # Slots: a session made per request sets them without creating an instance dict.
    __slots__ = ("accessed", "modified", "_saved_by")
    #: Every session shares the one callback, instead of an attribute set on each
    #: instance (assigning ``session.on_update`` still overrides it).
    on_update = staticmethod(_mark_modified)

    def __init__(self, initial: Any = None) -> None:
        # CallbackDict's __init__, without the super() chain: a session is made per
        # request that reads it.
        self.accessed = self.modified = False
        # The stock interface that may save it unmodified by adding ``Vary: Cookie`` at
        # most (set by open_session_lazily's snapshot path for a non-permanent cookie).
        self._saved_by: SessionInterface | None = None
        if initial is not None:
            dict.update(self, initial)

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        # A copy or an unpickled session is saved the general way: _saved_by is about
        # the request that opened this one (and an interface is not for pickling).
        return None, {"accessed": self.accessed, "modified": self.modified, "_saved_by": None}

    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return _dict_get(self, key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return super().setdefault(key, default)


class NullSession(SecureCookieSession):
    """The session when no ``SECRET_KEY`` is set: reading works, writing explains why not."""

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "The session is unavailable because no secret key was set. Set the"
            " secret_key on the application to something unique and secret."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail  # type: ignore[assignment]


_TAGS = (" t", " b", " m", " u", " d", " di")


class TaggedJSONSerializer:
    """JSON that round-trips tuples, bytes, Markup, UUIDs and datetimes (Flask's tags).

    Values of those types are stored as one-key objects such as ``{" t": [...]}``; a user
    dict that happens to look like a tag is escaped as ``{" di": {key + "__": value}}``.
    Datetimes are kept with second precision, in UTC (HTTP date format), as in Flask.
    """

    def _tag(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, inner),) = value.items()
                if key in _TAGS:
                    return {" di": {f"{key}__": self._tag(inner)}}
            return {k: self._tag(v) for k, v in value.items()}
        if isinstance(value, tuple):
            return {" t": [self._tag(v) for v in value]}
        if isinstance(value, list):
            return [self._tag(v) for v in value]
        if isinstance(value, bytes):
            return {" b": b64encode(value).decode("ascii")}
        if isinstance(value, Markup) or callable(getattr(value, "__html__", None)):
            return {" m": str(value.__html__())}
        if isinstance(value, UUID):
            return {" u": value.hex}
        if isinstance(value, datetime):
            return {" d": http_date(value)}
        return value

    def _untag(self, value: Any) -> Any:
        # Called bottom-up by json.loads (object_hook): nested values are already untagged.
        if len(value) == 1:
            ((key, inner),) = value.items()
            if key == " t":
                return tuple(inner)
            if key == " b":
                return b64decode(inner)
            if key == " m":
                return Markup(inner)
            if key == " u":
                return UUID(inner)
            if key == " d":
                return parse_date(inner)
            if key == " di":
                ((escaped, item),) = inner.items()
                return {escaped[:-2]: item}
        return value

    def dumps(self, value: Any) -> str:
        """Serialize ``value``."""
        return json.dumps(self._tag(value), separators=(",", ":"))

    def loads(self, value: str | bytes) -> Any:
        """Deserialize ``value``."""
        return json.loads(value, object_hook=self._untag)


session_json_serializer = TaggedJSONSerializer()


class SessionInterface:
    """How sessions are opened and saved. Subclass and set ``app.session_interface``.

    ``open_session`` and ``save_session`` are coroutines, as in Quart; plain methods
    (a Flask interface being ported) work too.
    """

    null_session_class = NullSession
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

    async def save_session(self, app: Erlen, session: SessionMixin, response: Response) -> None:
        """Write ``session`` into ``response``."""
        raise NotImplementedError


_MAX_SERIALIZERS = 8
_MAX_VERIFIED_COOKIES = 4096
_PLAIN_VALUES = frozenset((str, int, float, bool, type(None)))

#: A verified cookie: (its session data, when it was signed, whether it is permanent).
_Verified = tuple[dict[str, Any], int, bool]

_MAX_AGES: dict[Any, int] = {}  # PERMANENT_SESSION_LIFETIME -> whole seconds


def _max_age(lifetime: timedelta | None) -> int:
    """``int(lifetime.total_seconds())``, remembered for the few lifetimes an app uses."""
    try:
        return _MAX_AGES[lifetime]
    except (KeyError, TypeError):  # TypeError: not hashable (not a timedelta)
        pass
    max_age = int(lifetime.total_seconds())  # type: ignore[union-attr]
    if type(lifetime) is timedelta and len(_MAX_AGES) < 64:
        _MAX_AGES[lifetime] = max_age
    return max_age


def cookie_value(request: Any, name: str) -> str | None:
    """``request.cookies.get(name)``.

    The stock cookies mapping is a werkzeug ``ImmutableMultiDict``: a dict of value
    lists, whose ``get`` is two Python calls; the first value is read directly.
    """
    cookies = request.cookies
    if type(cookies) is ImmutableMultiDict:
        values = dict.get(cookies, name)
        return values[0] if values else None
    return cookies.get(name)  # type: ignore[no-any-return]


#: What opening a cookie for one app needs while its config is unchanged: (a weak
#: reference to the app: the interface is shared by every app and must not keep one
#: alive, its config, the config's ``_generation`` then, SESSION_COOKIE_NAME, the
#: lifetime's seconds + 1, the cookies verified with those settings by value, and by
#: whole ``Cookie`` header as ``_HeaderHit``). A refused app's snapshot is
#: ``(its ref, _REFUSED)``.
_HeaderHit = tuple[dict[str, Any], float, float, "SecureCookieSessionInterface | None"]
_FastOpen = tuple[Any, Config, int, str, int, dict[str, _Verified], dict[bytes | None, _HeaderHit]]

#: Bounds of a snapshot's by-header cache: a browser repeats its Cookie header, but other
#: cookies in it may change while the session cookie does not.
_MAX_HEADER_HITS = 1024
_MAX_HEADER_HIT_SIZE = 2048


_REFUSED: Any = object()  # the snapshot of an interface or app that is not stock


def _stock_interface(interface: SessionInterface, app: Erlen) -> bool:
    """Whether ``interface`` and ``app`` open and save sessions with the stock methods
    only: nothing set on the instance, nothing replaced on the classes."""
    from .app import Erlen

    if not interface.__dict__.keys() <= {"_serializers", "_fast_open"}:
        return False
    for name, value in _STOCK_ATTRIBUTES.items():
        if inspect.getattr_static(type(interface), name) is not value:
            return False
    return all(
        inspect.getattr_static(type(app), name) is Erlen.__dict__[name]
        for name in ("secret_key", "permanent_session_lifetime")
    )


class SecureCookieSessionInterface(SessionInterface):
    """Sessions stored in a cookie signed with ``SECRET_KEY`` (itsdangerous)."""

    salt = "cookie-session"
    digest_method = staticmethod(hashlib.sha1)
    key_derivation = "hmac"
    serializer = session_json_serializer
    session_class = SecureCookieSession

    def get_signing_serializer(self, app: Erlen) -> URLSafeTimedSerializer | None:
        """The itsdangerous serializer (None without a secret key).

        Built once per set of keys and signing settings, and reused: building one costs
        more than verifying a cookie.
        """
        entry = self._signing_entry(app)
        return entry[0] if entry is not None else None

    def _signing_entry(self, app: Erlen) -> tuple[URLSafeTimedSerializer, dict[str, Any]] | None:
        """(serializer, cookies it verified) for the current keys and signing settings."""
        secret_key = app.secret_key
        if not secret_key:
            return None
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        keys = (*fallbacks, secret_key) if fallbacks else (secret_key,)
        cache_key = (keys, self.salt, self.serializer, self.key_derivation, self.digest_method)
        try:
            return self.__dict__["_serializers"][cache_key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        cache = self.__dict__.setdefault("_serializers", {})
        serializer = URLSafeTimedSerializer(
            list(keys),  # type: ignore[arg-type]
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )
        if len(cache) >= _MAX_SERIALIZERS:
            cache.clear()
        entry: tuple[URLSafeTimedSerializer, dict[str, Any]] = (serializer, {})
        cache[cache_key] = entry
        return entry

    def _verified_cookies(self, serializer: Any) -> dict[str, _Verified] | None:
        """The cache of cookies ``serializer`` verified (None for a serializer built
        elsewhere, e.g. by an overriding ``get_signing_serializer``)."""
        for known, verified in self.__dict__.get("_serializers", {}).values():
            if known is serializer:
                return verified  # type: ignore[no-any-return]
        return None

    #: What opening needs for one app, while its settings stay those it was built from
    #: (see :func:`open_session_lazily`); None when this interface is not the stock one.
    _fast_open: _FastOpen | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        # Any attribute set on the instance (a salt, a method) may change how cookies are
        # opened or saved: forget the fast-path snapshot, rebuilt on the next request.
        self.__dict__.pop("_fast_open", None)
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        self.__dict__.pop("_fast_open", None)
        super().__delattr__(name)

    def open_session_sync(self, app: Erlen, request: Any) -> SecureCookieSession | None:
        """Open the session without awaiting (the kernel's lazy-opening fast path).

        A missing, tampered, expired or undecodable cookie gives an empty session.
        """
        # (Cookies verified with the app's current settings are opened from the snapshot by
        # open_session_lazily, before this is called.) Remember the settings once a cookie
        # is verified, unless the snapshot for this app holds them or was refused.
        fast = self._fast_open
        remember = not _snapshot_holds(fast, app) and not (
            fast is not None and fast[1] is _REFUSED and fast[0]() is app
        )
        verified: dict[str, _Verified] | None
        if type(self).get_signing_serializer is SecureCookieSessionInterface.get_signing_serializer:
            entry = self._signing_entry(app)
            if entry is None:
                return None
            s, verified = entry
        else:  # an overriding get_signing_serializer: its serializer, no cache
            custom = self.get_signing_serializer(app)
            if custom is None:
                return None
            s, verified = custom, self._verified_cookies(custom)
            remember = False
        val = cookie_value(request, self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = _max_age(app.permanent_session_lifetime)
        # A browser sends the same cookie with every request until the session changes:
        # a cookie already verified with these keys is only checked for its age (as
        # itsdangerous does), not verified and decoded again. Only sessions of plain
        # values are kept, so the cached dict never shares a mutable value.
        if verified is not None:
            hit = verified.pop(val, None)
            if hit is not None:
                if 0 <= int(time.time()) - hit[1] <= max_age:
                    verified[val] = hit  # most recently used last: evicted last (LRU)
                    if remember:
                        self._remember_settings(app, verified)
                    return self.session_class(hit[0])
                return self.session_class()  # expired (and dropped), as SignatureExpired
        try:
            data, timestamp = s.loads(val, max_age=max_age, return_timestamp=True)
        except Exception:  # BadSignature, SignatureExpired, bad JSON or tags: start afresh
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        if verified is not None and all(type(v) in _PLAIN_VALUES for v in data.values()):
            if len(verified) >= _MAX_VERIFIED_COOKIES:
                del verified[next(iter(verified))]  # the least recently used
            verified[val] = (data, int(timestamp.timestamp()), bool(data.get("_permanent")))
            if remember:
                self._remember_settings(app, verified)
        return self.session_class(data)

    def _remember_settings(self, app: Erlen, verified: dict[str, _Verified]) -> None:
        """Keep the snapshot :func:`open_session_lazily` uses for ``app``, when this
        interface and ``app`` use the stock methods and settings only.

        Called once a cookie was verified with the current keys, and only when there is
        no snapshot for ``app`` or its settings changed; the class checks are kept as a
        refusal, so an interface with overridden methods is checked once per app.
        """
        if type(self) is not SecureCookieSessionInterface:
            return  # a subclass: its methods may differ, it keeps the general path
        config = app.config
        secret_key = config["SECRET_KEY"]
        lifetime = config["PERMANENT_SESSION_LIFETIME"]
        # The snapshot stands while config._generation is unchanged: only settings that
        # cannot change in place (a list of fallback keys, a bytearray key) qualify.
        if (
            not isinstance(config, Config)
            or not secret_key
            or type(secret_key) not in (str, bytes)
            or config["SECRET_KEY_FALLBACKS"] is not None
            or type(lifetime) is not timedelta
            or type(config["SESSION_COOKIE_NAME"]) is not str
        ):
            return
        if not _stock_interface(self, app):
            self.__dict__["_fast_open"] = (weakref.ref(app), _REFUSED)
            return
        limit = _max_age(lifetime) + 1
        name = config["SESSION_COOKIE_NAME"]
        self.__dict__["_fast_open"] = (
            weakref.ref(app),
            config,
            config._generation,
            name,
            limit,
            verified,
            {},
        )

    def _must_open_untouched(self, app: Erlen, value: str) -> bool:
        """Whether a request that sent cookie ``value`` but never touched ``session`` must
        still open and save it (to refresh a permanent session's cookie).

        False only when the answer is known without opening: this interface's stock
        methods, and ``value`` already verified with the current keys as a session that
        is not permanent. Opening it would give that session (or an empty one if it has
        expired since), and saving an untouched, unmodified, non-permanent session sends
        nothing. (While the app's snapshot holds, :func:`must_open_untouched` answers
        from it and does not call this.)
        """
        cls = type(self)
        if (
            cls.save_session is not SecureCookieSessionInterface.save_session
            or cls.open_session_sync is not SecureCookieSessionInterface.open_session_sync
            or cls.should_set_cookie is not SessionInterface.should_set_cookie
            or cls.get_signing_serializer is not SecureCookieSessionInterface.get_signing_serializer
            or self.session_class is not SecureCookieSession
        ):
            return True
        entry = self._signing_entry(app)
        if entry is None:
            return True
        hit = entry[1].get(value)
        return hit is None or hit[2]

    async def open_session(self, app: Erlen, request: Any) -> SecureCookieSession | None:
        """Open the session from the signed cookie; a bad cookie gives an empty session."""
        return SecureCookieSessionInterface.open_session_sync(self, app, request)

    async def save_session(self, app: Erlen, session: SessionMixin, response: Response) -> None:
        """Set, refresh or delete the session cookie."""
        if session.accessed:
            _vary_on_cookie(response)
        if session and not self.should_set_cookie(app, session):
            return  # the common case: an unchanged session, no cookie to send
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        if not session:
            if session.modified:
                response.delete_cookie(
                    name,
                    domain=domain,
                    path=path,
                    secure=secure,
                    partitioned=partitioned,
                    samesite=samesite,
                    httponly=httponly,
                )
                _vary_on_cookie(response)
            return
        expires = self.get_expiration_time(app, session)
        serializer = self.get_signing_serializer(app)
        assert serializer is not None
        val = serializer.dumps(dict(session))
        response.set_cookie(
            name,
            val,
            expires=expires,
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            partitioned=partitioned,
            samesite=samesite,
        )
        _vary_on_cookie(response)


_new_dict = dict.__new__


def can_open_sync(interface: SessionInterface) -> bool:
    """Whether ``interface`` can open sessions lazily, without awaiting.

    True for the built-in cookie interface (and subclasses that keep its
    ``open_session``). Any other interface is awaited when the request (or websocket)
    context is entered, as Quart does.
    """
    opener = getattr(interface, "open_session_sync", None)
    if opener is None:
        return False
    if isinstance(interface, SecureCookieSessionInterface):
        return type(interface).open_session is SecureCookieSessionInterface.open_session
    return True


def _snapshot_holds(fast: _FastOpen | None, app: Erlen) -> TypeGuard[_FastOpen]:
    """Whether the interface's snapshot ``fast`` is ``app``'s and ``app.config`` has not
    changed since it was taken (checked on every request: config may change)."""
    if fast is None:
        return False
    config = app.config
    return fast[1] is config and fast[0]() is app and fast[2] == config._generation


def _verified_hit(
    interface: SecureCookieSessionInterface, fast: _FastOpen, connection: Any, raw: bytes | None
) -> _HeaderHit | None:
    """The snapshot's verified cookie ``connection`` sends, as (data, signed_at, the first
    second it has expired at, the session's ``_saved_by``: ``interface``, or None for a
    permanent session), remembered by its whole ``Cookie`` header ``raw`` (None:
    request.cookies is not read from the header)."""
    value = cookie_value(connection, fast[3])
    if value is None:
        return None
    # (Not moved last for the LRU order: a hot cookie evicted after _MAX_VERIFIED_COOKIES
    # others is verified again, once.)
    verified = fast[5].get(value)
    if verified is None:
        return None
    data, signed_at, permanent = verified
    # Floats: time.time() compares with a float without converting (an int's compare
    # with a float does); exact, the seconds being far below 2**53.
    hit = (data, float(signed_at), float(signed_at + fast[4]), None if permanent else interface)
    if raw is not None and len(raw) <= _MAX_HEADER_HIT_SIZE:
        by_header = fast[6]
        if len(by_header) >= _MAX_HEADER_HITS:
            by_header.clear()
        by_header[raw] = hit
    return hit


def must_open_untouched(app: Erlen, connection: Any, cookie: bytes | None = None) -> bool:
    """Whether a request that sent a session cookie but never touched ``session`` must
    still open and save it (to refresh a permanent session's cookie).

    Answered from the snapshot's by-header cache when the app's interface is the stock
    one and the cookie is known (no cookie parsing); else by the interface. False without
    a secret key or a session cookie. ``cookie``: the request's ``Cookie`` header (as
    :func:`~erlen.wrappers.base.cookie_header` gives it), when the caller has it already.
    """
    interface = app.session_interface
    if type(interface) is SecureCookieSessionInterface:
        fast = interface._fast_open
        if _snapshot_holds(fast, app):  # (a snapshot implies a secret key)
            raw = None
            if connection._cookies is None:
                raw = cookie if cookie is not None else cookie_header(connection.scope)
            hit = fast[6].get(raw) if raw is not None else None
            if hit is None:
                if cookie_value(connection, fast[3]) is None:
                    return False  # other cookies, no session one
                hit = _verified_hit(interface, fast, connection, raw)
            return hit is None or hit[3] is None  # None: permanent
    if app.secret_key is None:
        return False
    value = cookie_value(connection, app.config["SESSION_COOKIE_NAME"])
    if value is None:
        return False
    must_open = getattr(interface, "_must_open_untouched", None)
    return must_open is None or bool(must_open(app, value))


def open_session_lazily(app: Erlen, connection: Any) -> SessionMixin:
    """Open the session on first use of ``session`` (sync interfaces only)."""
    interface = app.session_interface
    if type(interface) is SecureCookieSessionInterface:
        fast = interface._fast_open
        config = app.config
        if (
            fast is not None
            and fast[1] is config
            and fast[0]() is app
            and fast[2] == config._generation
        ):
            # The app's settings are those of the snapshot: what open_session_sync does
            # for a cookie it verified with them, without its method calls. While
            # request.cookies was neither read nor set (nor is a custom one), it is what
            # the Cookie header says: a header seen before gives the verified cookie.
            raw = None
            if connection._cookies is None:
                for name, value in connection.scope.get("headers", ()):
                    if name == b"cookie":  # cookie_header(), inlined
                        raw = value if raw is None else raw + b";" + value
                if raw is None:
                    raw = cookie_header(connection.scope)
                hit = fast[6].get(raw)
            else:
                hit = None
            if hit is None:
                hit = _verified_hit(interface, fast, connection, raw)
            if hit is not None:
                data, signed_at, deadline, saved_by = hit
                # 0 <= int(now) - signed_at <= max_age (open_session_sync's test) for an
                # int signed_at: deadline is signed_at + max_age + 1 (see _verified_hit).
                if signed_at <= time.time() < deadline:
                    known = _new_dict(SecureCookieSession)
                    known.accessed = known.modified = False
                    known._saved_by = saved_by
                    dict.update(known, data)
                    return known
    # The app remembers the interface it found lazy (``_session_is_lazy``): one identity
    # test instead of the method checks.
    if interface is not app.__dict__.get("_lazy_session_interface") and not can_open_sync(
        interface
    ):
        raise RuntimeError(
            f"The session interface {type(interface).__name__} opens sessions with an async"
            " open_session(); the session is opened when the context is entered with"
            " `async with` (or by the request handling), not by a bare push()."
        )
    session = interface.open_session_sync(app, connection)  # type: ignore[attr-defined]
    if session is None:
        session = interface.make_null_session(app)
    return session  # type: ignore[no-any-return]


async def open_session_async(app: Erlen, connection: Any) -> SessionMixin:
    """Open the session with ``await app.session_interface.open_session(...)``."""
    interface = app.session_interface
    session: Any = interface.open_session(app, connection)
    if inspect.isawaitable(session):  # Quart's interfaces are async; Flask's are sync
        session = await session
    if session is None:
        session = interface.make_null_session(app)
    return session


def save_if_unchanged(app: Erlen, ctx: Any, response: Response) -> bool:
    """``app.session_interface.save_session`` without awaiting or method calls, for the
    stock interface and an opened ``SecureCookieSession`` that was not modified and is
    not permanent: ``Vary: Cookie`` if it was read, no cookie. True when done.

    False, with nothing done, for a session not opened, another session class, any other
    interface (a subclass, or one with attributes set on it: it has no ``_fast_open``
    snapshot) and a permanent session, whose cookie the general path refreshes.
    """
    session = ctx._session
    if type(session) is not SecureCookieSession or session.modified:
        return False
    if session._saved_by is not app.session_interface:  # else: the snapshot's, not permanent
        fast = getattr(app.session_interface, "_fast_open", None)
        if fast is None or fast[1] is _REFUSED or dict.get(session, "_permanent"):
            return False
    if session.accessed:
        # (The fused HTTP handler does this common case inline, without this call.)
        _vary_on_cookie(response)
    elif session:
        # save_session reads ``session.permanent`` (a read: it marks the session accessed)
        session.accessed = True
    return True


#: Every name whose ``lower()`` is ``"vary"``: its 16 ASCII spellings (no other
#: character lowers to one of its letters). One set lookup per header, no ``lower()``.
VARY_SPELLINGS = frozenset(map("".join, itertools.product(*zip("vary", "VARY", strict=True))))


def _vary_on_cookie(response: Response) -> None:
    """``response.vary.add("Cookie")``, without parsing a ``Vary`` header that is absent."""
    headers = response.headers
    kind = type(headers)
    plain = kind is ResponseHeaders or kind is Headers
    for name, _value in headers._list if plain else headers:  # no generator per response
        if name.lower() == "vary":
            response.vary.add("Cookie")
            return
    if plain:
        headers._list.append(("Vary", "Cookie"))  # what Headers.add does for this value
    else:
        headers.add("Vary", "Cookie")  # absent: add is set without the search


#: The class attributes the fast paths stand in for, as this module defines them.
_STOCK_ATTRIBUTES: dict[str, Any] = {
    name: inspect.getattr_static(SecureCookieSessionInterface, name)
    for name in (
        "get_signing_serializer",
        "_signing_entry",
        "get_cookie_name",
        "open_session_sync",
        "open_session",
        "save_session",
        "should_set_cookie",
        "is_null_session",
        "null_session_class",
        "session_class",
        "salt",
        "serializer",
        "key_derivation",
        "digest_method",
    )
}
