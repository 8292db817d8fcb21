"""``erlen.testing``: Quart's ``quart.testing`` names, served by the ``testing`` plugin.

A lazy facade: each name is imported from :mod:`erlen.plugins.testing` on first access,
so importing this module costs nothing and the kernel does not import the plugin. Apps
that exclude the testing plugin can still import these classes; ``app.test_client()``
needs the plugin.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from erlen.plugins.testing import ErlenClient as ErlenClient
    from erlen.plugins.testing import ErlenCliRunner as ErlenCliRunner
    from erlen.plugins.testing import LifespanError as LifespanError
    from erlen.plugins.testing import TestApp as TestApp
    from erlen.plugins.testing import TestClient as TestClient
    from erlen.plugins.testing import WebsocketDisconnectError as WebsocketDisconnectError
    from erlen.plugins.testing import WebsocketResponseError as WebsocketResponseError
    from erlen.plugins.testing import make_test_body_with_headers as make_test_body_with_headers
    from erlen.plugins.testing import (
        make_test_headers_path_and_query_string as make_test_headers_path_and_query_string,
    )
    from erlen.plugins.testing import make_test_scope as make_test_scope
    from erlen.plugins.testing import no_op_push as no_op_push
    from erlen.plugins.testing import sentinel as sentinel

#: The testing plugin's module these names come from.
PLUGIN = "erlen.plugins.testing"

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


def lazy_names(module_name: str, names: list[str], plugin_module: str = PLUGIN) -> Any:
    """A module ``__getattr__`` importing ``names`` from ``plugin_module`` on first access."""

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        return getattr(importlib.import_module(plugin_module), name)

    return __getattr__


__getattr__ = lazy_names(__name__, __all__)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
