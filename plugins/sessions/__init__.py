"""The ``sessions`` plugin: Quart's signed-cookie sessions.

Implements ``erlen_session_interface``: an app loading this plugin gets
:data:`DEFAULT_INTERFACE`, a :class:`SecureCookieSessionInterface` shared by every such
app (as ``Quart.session_interface`` is), unless its class sets ``session_interface``.
The names are importable from :mod:`erlen.sessions` too, where Quart has them.
"""

from __future__ import annotations

from typing import Any

from erlen import hookimpl

from .cookie import DEFAULT_INTERFACE, SecureCookieSession, SecureCookieSessionInterface
from .serializer import TaggedJSONSerializer, session_json_serializer
from .writer import CookieWriter

__all__ = [
    "DEFAULT_INTERFACE",
    "CookieWriter",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
    "TaggedJSONSerializer",
    "session_json_serializer",
]


@hookimpl
def erlen_session_interface(app: Any) -> SecureCookieSessionInterface:
    """Sessions in a cookie signed with ``SECRET_KEY``."""
    return DEFAULT_INTERFACE
