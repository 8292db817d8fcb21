"""Erlen's pytest plugin (entry point ``pytest11``; disable with ``-p no:erlen``).

Fixtures for app and plugin authors. ``erlen`` is imported lazily so that loading the
plugin costs nothing for test suites that do not use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def erlen_app_factory() -> Callable[..., Any]:
    """Build an app with only the named plugins: ``erlen_app_factory(plugins=["json"])``."""
    from erlen import Erlen

    def factory(import_name: str = "erlen_test_app", **kwargs: Any) -> Any:
        app = Erlen(import_name, **kwargs)
        app.config["TESTING"] = True
        return app

    return factory


@pytest.fixture
def erlen_serve() -> Callable[..., Any]:
    """Serve an app for real: ``async with erlen_serve(app) as base_url: ...``.

    hypercorn runs in the test's event loop on 127.0.0.1 with a port the OS picked.
    """
    from .server import serve_app

    return serve_app
