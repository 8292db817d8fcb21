"""How a session cookie is written: compiled once per app settings.

A :class:`CookieWriter` holds what every save of one app's session cookie shares: the
signer (its key derived once), and the ``Set-Cookie`` header around the value, built by
werkzeug's ``dump_cookie`` from the cookie settings (name, domain, path, secure,
httponly, samesite, partitioned) for a browser session, a permanent one (its
``Expires`` date formatted once per second) and a deleted one. Saving a session is then
a payload dump, one HMAC and a string join.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

from erlen.wrappers.headers import ResponseHeaders
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode, bytes_to_int, want_bytes
from werkzeug.datastructures import Headers
from werkzeug.http import dump_cookie, http_date

from . import verified as cache
from .serializer import session_json_serializer
from .verified import Verified

#: Stand-ins for the cookie's value and Expires date in the header templates: characters
#: ``dump_cookie`` passes through unquoted, as it does a signed value (URL-safe base64
#: and dots) and an HTTP date.
_VALUE = "ErlenSessionValue3f9a"
_DATE = "ErlenSessionDate7c41"

#: Every spelling of ``Vary`` but by the case of its letters: one set lookup per header.
_VARY = frozenset(a + b + c + d for a in "vV" for b in "aA" for c in "rR" for d in "yY")


class CookieSettings(NamedTuple):
    """The ``Set-Cookie`` attributes of a session cookie (the interface's getters)."""

    name: str
    domain: str | None
    path: str
    secure: bool
    httponly: bool
    samesite: str | None
    partitioned: bool

    def header(self, value: str, expires: Any = None, max_age: int | None = None) -> str:
        """The ``Set-Cookie`` value, by werkzeug (no size warning)."""
        return dump_cookie(
            self.name,
            value,
            expires=expires,
            max_age=max_age,
            domain=self.domain,
            path=self.path,
            secure=self.secure,
            httponly=self.httponly,
            samesite=self.samesite,
            partitioned=self.partitioned,
            max_size=0,
        )


class CookieWriter:
    """Writes one app's session cookie with settings fixed when it was built."""

    __slots__ = (
        "settings",
        "_sign",
        "_verified",
        "_browser",
        "_permanent",
        "_deleted",
        "_max_size",
        "_lifetime",
        "_expires",
    )

    def __init__(
        self,
        serializer: Any,
        settings: CookieSettings,
        lifetime: float,
        max_size: int,
        verified: dict[str, Verified] | None = None,
    ) -> None:
        """``lifetime``: a permanent session's seconds; ``max_size``: ``MAX_COOKIE_SIZE``;
        ``verified``: the verified-cookie cache of ``serializer``'s keys, if any."""
        self.settings = settings
        self._sign, fast = _signing_function(serializer)
        # A cookie this writer signs is what the browser sends back next: it is put in the
        # verified cache as opening it would (see _remember).
        stock = fast and serializer.serializer is session_json_serializer
        self._verified = verified if stock else None
        # Built by dump_cookie with stand-ins, so the attributes, their order and their
        # validation (samesite, domain) are werkzeug's.
        self._browser = settings.header(_VALUE).split(_VALUE)
        self._permanent = [
            part.split(_DATE) for part in settings.header(_VALUE, _DATE).split(_VALUE)
        ]
        self._deleted = settings.header("", expires=0, max_age=0)
        if len(self._browser) != 2 or [len(p) for p in self._permanent] != [1, 2]:
            raise ValueError("the cookie settings quote the stand-in value")
        self._max_size = max_size
        self._lifetime = lifetime
        #: (a second, its HTTP date): one tuple, replaced whole.
        self._expires = (-1, "")

    def set(self, response: Any, data: dict[str, Any], permanent: bool) -> None:
        """Add the cookie holding ``data`` (signed now) to ``response``; a permanent one
        expires the lifetime from now."""
        value = self._sign(data)
        if self._verified is not None:
            self._remember(value, data)
        if permanent:
            expires_at = int(time.time() + self._lifetime)
            second, date = self._expires
            if expires_at != second:
                date = http_date(expires_at)
                self._expires = (expires_at, date)
            (before,), (middle, after) = self._permanent
            header = f"{before}{value}{middle}{date}{after}"
        else:
            header = f"{self._browser[0]}{value}{self._browser[1]}"
        if len(header) > self._max_size > 0:
            # Too large for browsers: werkzeug's set_cookie sends it with its warning.
            self._set_cookie(response, value, date if permanent else None)
            return
        _add_header(response, "Set-Cookie", header)

    def set_expiring(self, response: Any, data: dict[str, Any], expires: Any) -> None:
        """Add the cookie holding ``data``, expiring at ``expires`` (a datetime or None),
        for an interface with its own ``get_expiration_time``."""
        value = self._sign(data)
        if self._verified is not None:
            self._remember(value, data)
        self._set_cookie(response, value, expires)

    def _set_cookie(self, response: Any, value: str, expires: Any) -> None:
        """The cookie through werkzeug's ``set_cookie`` (its size warning included)."""
        s = self.settings
        response.set_cookie(
            s.name,
            value,
            expires=expires,
            domain=s.domain,
            path=s.path,
            secure=s.secure,
            httponly=s.httponly,
            samesite=s.samesite,
            partitioned=s.partitioned,
        )

    def _remember(self, value: str, data: dict[str, Any]) -> None:
        """Put the cookie ``value`` just signed for ``data`` in the verified cache.

        Valid because verifying ``value`` would give ``data`` back: the stock tagged JSON
        of str keys and plain values round-trips exactly (the open path keeps only such
        sessions too), and the timestamp is the one itsdangerous wrote into ``value``.
        """
        for key, item in data.items():
            if type(key) is not str or type(item) not in cache.PLAIN_VALUES:
                return
        signed_at = bytes_to_int(base64_decode(value.rsplit(".", 2)[1]))
        verified = self._verified
        assert verified is not None
        if len(verified) >= cache.MAX_VERIFIED_COOKIES:
            del verified[next(iter(verified))]  # the least recently used
        verified[value] = (data, signed_at, bool(data.get("_permanent")))

    def delete(self, response: Any) -> None:
        """Add the header that deletes the cookie (``response.delete_cookie``'s)."""
        _add_header(response, "Set-Cookie", self._deleted)


#: The size of serialized session from which the payload is zlib-compressed when that
#: makes it shorter, as itsdangerous does for every size. Below it the payload is left
#: uncompressed: compressing costs more than the rest of the save (zlib sets up its
#: whole state per call), and it saves at most a few dozen bytes of so short a text.
COMPRESS_FROM = 128


def _signing_function(serializer: Any) -> tuple[Any, bool]:
    """(``serializer.dumps`` for a dict, whether it is the one built here).

    ``URLSafeTimedSerializer.dumps`` builds a signer per call, and the signer derives its
    key per call. For that class the signer is built once with the derived key and
    ``key_derivation="none"`` (itsdangerous's option for a key already derived): the same
    signature. A payload shorter than :data:`COMPRESS_FROM` is not compressed (any
    itsdangerous reader opens both forms). Checked once by verifying a token it made; any
    other serializer (an overriding ``get_signing_serializer``'s) keeps its ``dumps``.
    """
    if type(serializer) is not URLSafeTimedSerializer:
        return serializer.dumps, False
    derived = serializer.make_signer(serializer.salt).derive_key()
    signer = serializer.signer(
        derived,
        salt=serializer.salt,
        **{**serializer.signer_kwargs, "key_derivation": "none"},
    )
    dump_payload = serializer.dump_payload
    inner = serializer.serializer
    inner_kwargs = serializer.serializer_kwargs
    sign = signer.sign

    def dumps(data: dict[str, Any]) -> str:
        text = want_bytes(inner.dumps(data, **inner_kwargs))
        if len(text) < COMPRESS_FROM:
            payload = base64_encode(text)  # dump_payload's output when it does not compress
        else:
            payload = dump_payload(data)
        return sign(payload).decode("ascii")

    try:
        if serializer.loads(dumps({})) != {}:
            return serializer.dumps, False
    except Exception:  # a signer class of its own that takes no derived key
        return serializer.dumps, False
    return dumps, True


def _add_header(response: Any, name: str, value: str) -> None:
    headers = response.headers
    kind = type(headers)
    if kind is ResponseHeaders or kind is Headers:
        headers._list.append((name, value))  # Headers.add for a str value, no options
    else:
        headers.add(name, value)


def vary_on_cookie(response: Any) -> None:
    """``response.vary.add("Cookie")``, without parsing a ``Vary`` header that is absent."""
    headers = response.headers
    kind = type(headers)
    plain = kind is ResponseHeaders or kind is Headers
    for name, _value in headers._list if plain else headers:
        if name in _VARY:
            response.vary.add("Cookie")
            return
    if plain:
        headers._list.append(("Vary", "Cookie"))  # what Headers.add does for this value
    else:
        headers.add("Vary", "Cookie")
