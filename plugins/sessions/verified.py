"""What the cookie interface remembers between requests, so a known cookie is cheap.

- Signing entries: one itsdangerous serializer per set of keys and signing settings
  (building one costs more than verifying a cookie), each with the cookies it verified.
- Verified cookies: a browser sends the same cookie until its session changes; a cookie
  verified with the current keys is only checked for its age, not verified and decoded
  again. Only sessions of plain values are kept, so a cached dict never shares a
  mutable value.
- The snapshot (:class:`Snapshot`): for one app whose interface and settings are the
  stock ones, what opening its cookie needs while its config is unchanged, and the
  verified cookies by whole ``Cookie`` header.
"""

from __future__ import annotations

import weakref
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from erlen.sessions import cookie_value

if TYPE_CHECKING:
    from .cookie import SecureCookieSessionInterface

MAX_SERIALIZERS = 8
MAX_VERIFIED_COOKIES = 4096
PLAIN_VALUES = frozenset((str, int, float, bool, type(None)))

#: A verified cookie: (its session data, when it was signed, whether it is permanent).
Verified = tuple[dict[str, Any], int, bool]

#: A verified cookie found by ``Cookie`` header: (data, when it was signed as a float,
#: the first second it has expired at, the session's ``saved_by``: the interface for a
#: browser session, None for a permanent one).
HeaderHit = tuple[dict[str, Any], float, float, "SecureCookieSessionInterface | None"]

#: Bounds of a snapshot's by-header cache: a browser repeats its Cookie header, but other
#: cookies in it may change while the session cookie does not.
MAX_HEADER_HITS = 1024
MAX_HEADER_HIT_SIZE = 2048

_MAX_AGES: dict[Any, int] = {}  # PERMANENT_SESSION_LIFETIME -> whole seconds


def max_age(lifetime: timedelta | None) -> int:
    """``int(lifetime.total_seconds())``, remembered for the few lifetimes an app uses."""
    try:
        return _MAX_AGES[lifetime]
    except (KeyError, TypeError):  # TypeError: not hashable (not a timedelta)
        pass
    seconds = int(lifetime.total_seconds())  # type: ignore[union-attr]
    if type(lifetime) is timedelta and len(_MAX_AGES) < 64:
        _MAX_AGES[lifetime] = seconds
    return seconds


class Snapshot(NamedTuple):
    """What opening a cookie for one app needs while its config is unchanged.

    Held by the interface (shared by every app: a weak reference, so it keeps no app
    alive). ``config`` is None for a refused app (one whose class or interface is not
    the stock one): it is then checked once, not on every request.
    """

    app: weakref.ref[Any]
    config: Any
    generation: int
    cookie_name: str
    #: The lifetime's whole seconds + 1: a cookie signed at ``t`` has expired at ``t + limit``.
    limit: int
    verified: dict[str, Verified]
    by_header: dict[bytes | None, HeaderHit]


def snapshot_holds(snapshot: Snapshot | None, app: Any) -> bool:
    """Whether ``snapshot`` is ``app``'s and ``app.config`` has not changed since it was
    taken (checked on every request: config may change)."""
    if snapshot is None:
        return False
    config = app.config
    return (
        snapshot.config is config
        and snapshot.app() is app
        and snapshot.generation == config.generation
    )


def verified_hit(
    interface: SecureCookieSessionInterface,
    snapshot: Snapshot,
    connection: Any,
    raw: bytes | None,
) -> HeaderHit | None:
    """The snapshot's verified cookie ``connection`` sends, remembered by its whole
    ``Cookie`` header ``raw`` (None: request.cookies is not read from the header)."""
    value = cookie_value(connection, snapshot.cookie_name)
    if value is None:
        return None
    # (Not moved last for the LRU order: a hot cookie evicted after MAX_VERIFIED_COOKIES
    # others is verified again, once.)
    verified = snapshot.verified.get(value)
    if verified is None:
        return None
    data, signed_at, permanent = verified
    # Floats: time.time() compares with a float without converting; exact, the seconds
    # being far below 2**53.
    hit = (
        data,
        float(signed_at),
        float(signed_at + snapshot.limit),
        None if permanent else interface,
    )
    if raw is not None and len(raw) <= MAX_HEADER_HIT_SIZE:
        by_header = snapshot.by_header
        if len(by_header) >= MAX_HEADER_HITS:
            by_header.clear()
        by_header[raw] = hit
    return hit
