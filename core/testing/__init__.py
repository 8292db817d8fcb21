"""``erlen.testing``: Quart's ``quart.testing`` names, served by the ``testing`` plugin.

A facade only: importing it imports :mod:`erlen.plugins.testing`. Apps that exclude the
testing plugin can still import these classes; ``app.test_client()`` needs the plugin.
"""

from __future__ import annotations

from erlen.cli import ErlenCliRunner
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
from werkzeug.datastructures import Headers


async def no_op_push(path: str, headers: Headers) -> None:
    """A push-promise sender that does nothing (Quart's ``quart.testing.no_op_push``)."""


__all__ = [
    "ErlenCliRunner",
    "ErlenClient",
    "LifespanError",
    "TestApp",
    "TestClient",
    "WebsocketDisconnectError",
    "WebsocketResponseError",
    "make_test_body_with_headers",
    "make_test_headers_path_and_query_string",
    "make_test_scope",
    "no_op_push",
    "sentinel",
]
