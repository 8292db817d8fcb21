"""The ``testing`` plugin: the in-process test client and lifespan test app.

``erlen.testing`` re-exports its public names (Quart's ``quart.testing``).
"""

from __future__ import annotations

from typing import Any

from erlen import hookimpl

from .app import LifespanError, TestApp
from .client import TestClient
from .connections import WebsocketDisconnectError, WebsocketResponseError

ErlenClient = TestClient

__all__ = [
    "ErlenClient",
    "LifespanError",
    "TestApp",
    "TestClient",
    "WebsocketDisconnectError",
    "WebsocketResponseError",
]


@hookimpl
def erlen_test_client_class(app: Any) -> type:
    """``app.test_client()`` builds a :class:`TestClient`."""
    return TestClient


@hookimpl
def erlen_test_app_class(app: Any) -> type:
    """``app.test_app()`` builds a :class:`TestApp`."""
    return TestApp
