"""``erlen.testing``: Quart's ``quart.testing`` names, served by the ``testing`` plugin.

A facade only: importing it imports :mod:`erlen.plugins.testing`. Apps that exclude the
testing plugin can still import these classes; ``app.test_client()`` needs the plugin.
"""

from __future__ import annotations

from erlen.plugins.testing import (
    ErlenClient,
    LifespanError,
    TestApp,
    TestClient,
    WebsocketDisconnectError,
    WebsocketResponseError,
)
from erlen.testrequest import (
    make_test_body_with_headers,
    make_test_headers_path_and_query_string,
    make_test_scope,
    sentinel,
)

__all__ = [
    "ErlenClient",
    "LifespanError",
    "TestApp",
    "TestClient",
    "WebsocketDisconnectError",
    "WebsocketResponseError",
    "make_test_body_with_headers",
    "make_test_headers_path_and_query_string",
    "make_test_scope",
    "sentinel",
]
