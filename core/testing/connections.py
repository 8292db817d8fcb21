"""``erlen.testing.connections``: the names of Quart's ``quart.testing.connections``.

Quart's test client raises ``WebsocketDisconnectError`` from this module only (it is not in
``quart.testing``), so Quart tests import it from here; the classes are the testing
plugin's.
"""

from __future__ import annotations

from erlen.plugins.testing.connections import (
    TestWebsocketConnection,
    WebsocketDisconnectError,
    WebsocketResponseError,
)
from erlen.plugins.testing.http_connection import HTTPDisconnectError, TestHTTPConnection

__all__ = [
    "HTTPDisconnectError",
    "TestHTTPConnection",
    "TestWebsocketConnection",
    "WebsocketDisconnectError",
    "WebsocketResponseError",
]
