"""``erlen.testing.connections``: the names of Quart's ``quart.testing.connections``.

Quart's test client raises ``WebsocketDisconnectError`` from this module only (it is not in
``quart.testing``), so Quart tests import it from here; the classes are the testing
plugin's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import lazy_names

if TYPE_CHECKING:
    from erlen.plugins.testing.connections import (
        TestWebsocketConnection as TestWebsocketConnection,
    )
    from erlen.plugins.testing.connections import (
        WebsocketDisconnectError as WebsocketDisconnectError,
    )
    from erlen.plugins.testing.connections import (
        WebsocketResponseError as WebsocketResponseError,
    )
    from erlen.plugins.testing.http_connection import (
        HTTPDisconnectError as HTTPDisconnectError,
    )
    from erlen.plugins.testing.http_connection import TestHTTPConnection as TestHTTPConnection

__all__ = [
    "HTTPDisconnectError",
    "TestHTTPConnection",
    "TestWebsocketConnection",
    "WebsocketDisconnectError",
    "WebsocketResponseError",
]

_HTTP = ("HTTPDisconnectError", "TestHTTPConnection")
_websocket_names = lazy_names(
    __name__, [n for n in __all__ if n not in _HTTP], "erlen.plugins.testing.connections"
)
_http_names = lazy_names(__name__, list(_HTTP), "erlen.plugins.testing.http_connection")


def __getattr__(name: str) -> Any:
    return _http_names(name) if name in _HTTP else _websocket_names(name)
