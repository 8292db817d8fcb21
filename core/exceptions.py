"""Exceptions: werkzeug's HTTP errors plus the ones Erlen adds.

``from erlen.exceptions import BadRequest, ConnectionClosed`` works as in Quart's seed
documents; every werkzeug HTTP exception is importable from here too.
"""

from __future__ import annotations

import asyncio

from werkzeug.exceptions import *  # noqa: F403 - re-export werkzeug's HTTP errors
from werkzeug.exceptions import HTTPException, RequestTimeout
from werkzeug.routing import RequestRedirect, WebsocketMismatch

__all__ = [  # noqa: F405 - names come from werkzeug.exceptions
    "HTTPException",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "MethodNotAllowed",
    "NotAcceptable",
    "RequestTimeout",
    "Conflict",
    "Gone",
    "LengthRequired",
    "PreconditionFailed",
    "RequestEntityTooLarge",
    "RequestURITooLarge",
    "UnsupportedMediaType",
    "RequestedRangeNotSatisfiable",
    "ExpectationFailed",
    "ImATeapot",
    "UnprocessableEntity",
    "Locked",
    "FailedDependency",
    "PreconditionRequired",
    "TooManyRequests",
    "RequestHeaderFieldsTooLarge",
    "UnavailableForLegalReasons",
    "InternalServerError",
    "NotImplemented",
    "BadGateway",
    "ServiceUnavailable",
    "GatewayTimeout",
    "HTTPVersionNotSupported",
    "BadRequestKeyError",
    "ClientDisconnected",
    "SecurityError",
    "abort",
    "Aborter",
    "RequestRedirect",
    "WebsocketMismatch",
    "ConnectionClosed",
    "PluginError",
    "UnknownPluginError",
    "AppFrozenError",
    "BodyTimeout",
]


class ConnectionClosed(asyncio.CancelledError):
    """The peer went away: raised by ``receive``/``send`` on a closed connection.

    It subclasses :class:`asyncio.CancelledError` on purpose. The seed documents show both
    ``except ConnectionClosed`` and ``except asyncio.CancelledError`` around a receive
    loop; a subclass satisfies both, and like a cancellation it is not swallowed by a
    broad ``except Exception`` inside the handler.
    """

    def __init__(self, code: int = 1006, reason: str = "") -> None:
        super().__init__(f"connection closed (code {code}){': ' + reason if reason else ''}")
        #: The WebSocket close code (1006 when the transport dropped without one).
        self.code = code
        #: The close reason the peer gave, if any.
        self.reason = reason


class PluginError(RuntimeError):
    """A plugin could not be loaded or broke a kernel rule."""


class UnknownPluginError(PluginError, LookupError):
    """``Erlen(plugins=[...])`` named a plugin that no installed entry point provides."""


class AppFrozenError(RuntimeError):
    """A setup method (route, hook, plugin registration) ran after the app started serving."""


class BodyTimeout(RequestTimeout):
    """The request body did not arrive within ``BODY_TIMEOUT`` seconds (408)."""
