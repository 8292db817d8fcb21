"""Signed-cookie sessions (itsdangerous): Quart's ``SecureCookieSessionInterface``.

A tampered, expired or undecodable cookie gives an empty session, never an error. The
interface opens sessions without awaiting (:meth:`~SecureCookieSessionInterface.open_session_sync`),
so the kernel opens one only when the view first touches ``session``.

Shortcuts, each valid while the interface's class keeps this module's methods (checked
when a snapshot or a writer is built; a subclass or an attribute set on the instance
takes the general path):

- a cookie verified before is opened from the snapshot (``verified.py``);
- an unchanged browser session is saved by adding ``Vary: Cookie`` only
  (:meth:`~SecureCookieSessionInterface.save_session_sync`);
- a modified session is written by a :class:`~erlen.plugins.sessions.CookieWriter`
  compiled per config.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import time
import weakref
from datetime import timedelta
from typing import Any, NamedTuple

from erlen import Erlen
from erlen.config import Config
from erlen.sessions import (
    NullSession,
    SessionInterface,
    SessionMixin,
    cookie_value,
    unparsed_cookie_header,
)
from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict

from . import verified as cache
from .serializer import session_json_serializer
from .verified import Snapshot, Verified, max_age, snapshot_holds, verified_hit
from .writer import CookieSettings, CookieWriter, vary_on_cookie


def _mark_modified(session: SecureCookieSession) -> None:
    """``CallbackDict``'s update callback (one function for every session)."""
    session.modified = True
    session.accessed = True


_dict_get = dict.get
_new_dict = dict.__new__


class SecureCookieSession(CallbackDict[str, Any], SessionMixin):  # type: ignore[misc]
    """The default session: a dict that tracks modification and access."""

    # Slots: a session made per request sets them without creating an instance dict.
    __slots__ = ("accessed", "modified", "saved_by")
    #: Every session shares the one callback, instead of an attribute set on each
    #: instance (assigning ``session.on_update`` still overrides it).
    on_update = staticmethod(_mark_modified)

    def __init__(self, initial: Any = None) -> None:
        # CallbackDict's __init__, without the super() chain: a session is made per
        # request that reads it.
        self.accessed = self.modified = False
        #: The stock interface that may save it unmodified by adding ``Vary: Cookie`` at
        #: most (set when the snapshot opens a browser session's cookie).
        self.saved_by: SecureCookieSessionInterface | None = None
        if initial is not None:
            dict.update(self, initial)

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        # A copy or an unpickled session is saved the general way: saved_by is about
        # the request that opened this one (and an interface is not for pickling).
        return None, {"accessed": self.accessed, "modified": self.modified, "saved_by": None}

    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return _dict_get(self, key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return super().setdefault(key, default)


class _WriterEntry(NamedTuple):
    """An app's compiled writer (in ``app.extensions``), valid while its config's
    generation is the one it was built at and the app's interface is ``interface``."""

    interface: SecureCookieSessionInterface
    config: Any
    generation: int
    version: int
    writer: CookieWriter


_WRITER_KEY = "erlen.sessions.writer"
_MAX_WRITERS = 16
_versions = itertools.count(1)

#: The snapshot of an app refused once (its class or interface not the stock one).
_REFUSED_CONFIG: Any = None


class SecureCookieSessionInterface(SessionInterface):
    """Sessions stored in a cookie signed with ``SECRET_KEY`` (itsdangerous)."""

    salt = "cookie-session"
    digest_method = staticmethod(hashlib.sha1)
    key_derivation = "hmac"
    serializer = session_json_serializer
    session_class = SecureCookieSession

    #: What opening needs for one app, while its settings stay those it was built from;
    #: None until a cookie is verified, or when this interface is not the stock one.
    _snapshot: Snapshot | None = None
    #: Moves on whenever an attribute is set on (or deleted from) the instance.
    _version = 0

    def __setattr__(self, name: str, value: Any) -> None:
        # Any attribute set on the instance (a salt, a method) may change how cookies are
        # opened or saved: forget the snapshot (rebuilt on the next request) and the
        # writers the apps keep (their entries name the version).
        self.__dict__.pop("_snapshot", None)
        self.__dict__["_version"] = next(_versions)
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        self.__dict__.pop("_snapshot", None)
        self.__dict__["_version"] = next(_versions)
        super().__delattr__(name)

    # --- signing ---------------------------------------------------------------------

    def get_signing_serializer(self, app: Erlen) -> URLSafeTimedSerializer | None:
        """The itsdangerous serializer (None without a secret key).

        Built once per set of keys and signing settings, and reused: building one costs
        more than verifying a cookie.
        """
        entry = self._signing_entry(app)
        return entry[0] if entry is not None else None

    def _signing_entry(
        self, app: Erlen
    ) -> tuple[URLSafeTimedSerializer, dict[str, Verified]] | None:
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
        serializers = self.__dict__.setdefault("_serializers", {})
        serializer = URLSafeTimedSerializer(
            list(keys),  # type: ignore[arg-type]
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )
        if len(serializers) >= cache.MAX_SERIALIZERS:
            serializers.clear()
        entry: tuple[URLSafeTimedSerializer, dict[str, Verified]] = (serializer, {})
        serializers[cache_key] = entry
        return entry

    def _verified_cookies(self, serializer: Any) -> dict[str, Verified] | None:
        """The cache of cookies ``serializer`` verified (None for a serializer built
        elsewhere, e.g. by an overriding ``get_signing_serializer``)."""
        for known, verified in self.__dict__.get("_serializers", {}).values():
            if known is serializer:
                return verified  # type: ignore[no-any-return]
        return None

    # --- opening ---------------------------------------------------------------------

    async def open_session(self, app: Erlen, request: Any) -> SecureCookieSession | None:
        """Open the session from the signed cookie; a bad cookie gives an empty session."""
        return SecureCookieSessionInterface.open_session_sync(self, app, request)

    def open_session_sync(self, app: Erlen, request: Any) -> SecureCookieSession | None:
        """Open the session without awaiting (the kernel then opens it on first use).

        A missing, tampered, expired or undecodable cookie gives an empty session.
        """
        snapshot = self._snapshot
        remember = True
        if snapshot is not None:
            config = app.config
            if snapshot.config is config and snapshot.app() is app:
                if snapshot.generation == config.generation:
                    # The snapshot holds: a cookie verified with its settings is opened
                    # without the method calls below. While request.cookies was neither
                    # read nor set, they are what the Cookie header says: a header seen
                    # before gives the verified cookie.
                    raw = unparsed_cookie_header(request)
                    if raw:
                        found = snapshot.by_header.get(raw)
                    elif raw is None:
                        found = None
                    else:  # no Cookie header: the empty session the general path gives
                        return self.session_class()
                    if found is None:
                        found = verified_hit(self, snapshot, request, raw)
                    if found is not None:
                        data, signed_at, deadline, saved_by = found
                        # 0 <= int(now) - signed_at <= max_age (the test below) for an
                        # int signed_at: deadline is signed_at + max_age + 1.
                        if signed_at <= time.time() < deadline:
                            known = _new_dict(SecureCookieSession)
                            known.accessed = known.modified = False
                            known.saved_by = saved_by
                            dict.update(known, data)
                            return known
                    remember = False  # nothing to remember: the snapshot holds
            elif snapshot.config is _REFUSED_CONFIG and snapshot.app() is app:
                remember = False
        verified: dict[str, Verified] | None
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
        age_limit = max_age(app.permanent_session_lifetime)
        if verified is not None:
            hit = verified.pop(val, None)
            if hit is not None:
                if 0 <= int(time.time()) - hit[1] <= age_limit:
                    verified[val] = hit  # most recently used last: evicted last (LRU)
                    if remember:
                        self._remember_settings(app, verified)
                    return self.session_class(hit[0])
                return self.session_class()  # expired (and dropped), as SignatureExpired
        try:
            data, timestamp = s.loads(val, max_age=age_limit, return_timestamp=True)
        except Exception:  # BadSignature, SignatureExpired, bad JSON or tags: start afresh
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        if verified is not None and all(type(v) in cache.PLAIN_VALUES for v in data.values()):
            if len(verified) >= cache.MAX_VERIFIED_COOKIES:
                del verified[next(iter(verified))]  # the least recently used
            verified[val] = (data, int(timestamp.timestamp()), bool(data.get("_permanent")))
            if remember:
                self._remember_settings(app, verified)
        return self.session_class(data)

    def _remember_settings(self, app: Erlen, verified: dict[str, Verified]) -> None:
        """Keep the snapshot :meth:`open_session_sync` uses for ``app``, when this
        interface and ``app`` use the stock methods and settings only.

        Called once a cookie was verified with the current keys, and only when there is
        no snapshot for ``app`` or its settings changed; a refusal is kept too, so an
        interface with overridden methods is checked once per app.
        """
        if type(self) is not SecureCookieSessionInterface:
            return  # a subclass: its methods may differ, it keeps the general path
        config = app.config
        secret_key = config["SECRET_KEY"]
        lifetime = config["PERMANENT_SESSION_LIFETIME"]
        # The snapshot stands while config.generation is unchanged: only settings that
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
            self.__dict__["_snapshot"] = Snapshot(
                weakref.ref(app), _REFUSED_CONFIG, 0, "", 0, {}, {}
            )
            return
        self.__dict__["_snapshot"] = Snapshot(
            weakref.ref(app),
            config,
            config.generation,
            config["SESSION_COOKIE_NAME"],
            max_age(lifetime) + 1,
            verified,
            {},
        )

    # --- untouched sessions ----------------------------------------------------------

    def must_refresh_untouched(self, app: Erlen, request: Any, cookie: bytes | None = None) -> bool:
        """Whether a request that sent cookies but never touched ``session`` must still
        open and save it: only a permanent session's cookie is refreshed.

        False without a secret key or a session cookie, and for a cookie already verified
        with the current keys as a browser session (opening it would give that session,
        or an empty one if it has expired since, and saving an untouched, unmodified
        browser session sends nothing). True when the answer needs opening it.
        """
        snapshot = self._snapshot
        if snapshot_holds(snapshot, app):  # (a snapshot implies a secret key)
            assert snapshot is not None
            raw = unparsed_cookie_header(request)  # (not ``cookie``: cookies may be set)
            hit = snapshot.by_header.get(raw) if raw is not None else None
            if hit is None:
                if cookie_value(request, snapshot.cookie_name) is None:
                    return False  # other cookies, no session one
                hit = verified_hit(self, snapshot, request, raw)
            return hit is None or hit[3] is None  # None: permanent
        if app.secret_key is None:
            return False
        value = cookie_value(request, app.config["SESSION_COOKIE_NAME"])
        if value is None:
            return False
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
        known = entry[1].get(value)
        return known is None or known[2]

    # --- saving ----------------------------------------------------------------------

    def save_session_sync(self, app: Erlen, session: SessionMixin, response: Any) -> bool:
        """Save ``session`` without awaiting (True), when :meth:`save_session` is this
        class's: an unchanged browser session adds ``Vary: Cookie`` at most; any other
        is written with the app's compiled :class:`~erlen.plugins.sessions.CookieWriter`.

        False (``save_session`` awaited) for an interface replacing ``save_session``
        and for a session of another class (a null session).
        """
        if type(session) is not SecureCookieSession or session.modified:
            if not self._saves_stock() or not isinstance(session, SecureCookieSession):
                return False
            self._write(app, session, response)
            return True
        if session.saved_by is not self:  # else: the snapshot's browser session
            snapshot = self._snapshot
            if (
                snapshot is None
                or snapshot.config is _REFUSED_CONFIG
                or dict.get(session, "_permanent")
            ):
                if not self._saves_stock():
                    return False
                self._write(app, session, response)
                return True
        if session.accessed:
            vary_on_cookie(response)
        elif session:
            # save_session reads ``session.permanent`` (a read: it marks the session accessed)
            session.accessed = True
        return True

    def _saves_stock(self) -> bool:
        """Whether :meth:`save_session` is this class's (on the class and the instance)."""
        return (
            type(self).save_session is SecureCookieSessionInterface.save_session
            and "save_session" not in self.__dict__
        )

    async def save_session(self, app: Erlen, session: SessionMixin, response: Any) -> None:
        """Set, refresh or delete the session cookie (Flask's rules). ``response`` is None
        after a websocket handler that returned none: no cookie can be set, and a
        modified session is lost (logged)."""
        if response is None:
            if session.modified:
                app.logger.warning(
                    "The session was modified during a websocket handler that returned no"
                    " response: the change is lost, as no cookie can be set after the"
                    " handshake."
                )
            return
        self._write(app, session, response)

    def _write(self, app: Erlen, session: SessionMixin, response: Any) -> None:
        """:meth:`save_session`'s work: ``Vary: Cookie`` once, for a session read or a
        cookie sent; the cookie when modified (deleted once emptied) or refreshed."""
        vary = session.accessed
        if not session:
            if session.modified:
                self.cookie_writer(app).delete(response)
                vary = True
        elif self.should_set_cookie(app, session):
            writer = self.cookie_writer(app)
            if type(self).get_expiration_time is SessionInterface.get_expiration_time:
                writer.set(response, dict(session), session.permanent)
            else:
                expires = self.get_expiration_time(app, session)
                writer.set_expiring(response, dict(session), expires)
            vary = True
        if vary:
            vary_on_cookie(response)

    def cookie_writer(self, app: Erlen) -> CookieWriter:
        """The writer of ``app``'s session cookie for its current settings.

        Kept per settings on the interface, and found without calling the getters while
        ``app``'s config is unchanged and this interface and the app's class keep the
        stock getters (kept in ``app.extensions``, dropped when an attribute is set on
        the interface).
        """
        config = app.config
        entry: _WriterEntry | None = app.extensions.get(_WRITER_KEY)
        if (
            entry is not None
            and entry.interface is self
            and entry.config is config
            and entry.generation == config.generation
            and entry.version == self._version
        ):
            return entry.writer
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            raise RuntimeError("The session cannot be saved without a secret key.")
        settings = CookieSettings(
            self.get_cookie_name(app),
            self.get_cookie_domain(app),
            self.get_cookie_path(app),
            self.get_cookie_secure(app),
            self.get_cookie_httponly(app),
            self.get_cookie_samesite(app),
            self.get_cookie_partitioned(app),
        )
        lifetime = app.permanent_session_lifetime
        seconds = lifetime.total_seconds() if lifetime is not None else 0.0
        max_size = config.get("MAX_COOKIE_SIZE", 4093)
        key = (settings, serializer, seconds, max_size)
        writers = self.__dict__.setdefault("_writers", {})
        writer = writers.get(key)
        if writer is None:
            if len(writers) >= _MAX_WRITERS:
                writers.clear()
            writer = writers[key] = CookieWriter(
                serializer, settings, seconds, max_size, self._verified_cookies(serializer)
            )
        if _writer_cacheable(self, app):
            app.extensions[_WRITER_KEY] = _WriterEntry(
                self, config, config.generation, self._version, writer
            )
        return writer


#: The class attributes the shortcuts stand in for, as this module defines them.
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

#: The getters a compiled writer stands in for.
_WRITER_GETTERS: dict[str, Any] = {
    name: inspect.getattr_static(SecureCookieSessionInterface, name)
    for name in (
        "get_signing_serializer",
        "_signing_entry",
        "get_cookie_name",
        "get_cookie_domain",
        "get_cookie_path",
        "get_cookie_secure",
        "get_cookie_httponly",
        "get_cookie_samesite",
        "get_cookie_partitioned",
        "salt",
        "serializer",
        "key_derivation",
        "digest_method",
    )
}

#: Instance attributes that are the interface's own caches, not settings.
_CACHES = frozenset(("_serializers", "_snapshot", "_writers", "_version"))


def _stock_app(app: Erlen) -> bool:
    """Whether ``app``'s class reads the secret key and the lifetime from its config."""
    return all(
        inspect.getattr_static(type(app), name) is Erlen.__dict__[name]
        for name in ("secret_key", "permanent_session_lifetime")
    )


def _stock_interface(interface: SessionInterface, app: Erlen) -> bool:
    """Whether ``interface`` and ``app`` open and save sessions with the stock methods
    only: nothing set on the instance, nothing replaced on the classes."""
    if not interface.__dict__.keys() <= _CACHES:
        return False
    for name, value in _STOCK_ATTRIBUTES.items():
        if inspect.getattr_static(type(interface), name) is not value:
            return False
    return _stock_app(app)


def _writer_cacheable(interface: SessionInterface, app: Erlen) -> bool:
    """Whether ``app``'s writer depends on its config only: the stock getters, nothing
    set on the interface, a :class:`~erlen.config.Config` (its generation moves on every
    change) whose secret key cannot change in place."""
    config = app.config
    if (
        not isinstance(config, Config)
        or type(config["SECRET_KEY"]) not in (str, bytes)
        or not interface.__dict__.keys() <= _CACHES
    ):
        return False
    for name, value in _WRITER_GETTERS.items():
        if inspect.getattr_static(type(interface), name) is not value:
            return False
    return _stock_app(app)


#: The interface every app loading the plugin shares (Quart's class attribute value).
DEFAULT_INTERFACE = SecureCookieSessionInterface()


__all__ = [
    "DEFAULT_INTERFACE",
    "NullSession",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
]
