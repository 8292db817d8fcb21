"""The ``testing`` plugin: the in-process test client, the lifespan test app, the
live-server helper and the pytest plugin (``erlen.plugins.testing.pytest_plugin``).

It re-exports the names of Quart's ``quart.testing`` (``QuartClient`` is
:class:`ErlenClient`). The classes are imported on first use: every app loads this
plugin, and an app that never runs a test should not pay for the test client's imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from erlen import hookimpl

if TYPE_CHECKING:
    from erlen.plugins.testing.app import LifespanError as LifespanError
    from erlen.plugins.testing.app import TestApp as TestApp
    from erlen.plugins.testing.cli_runner import ErlenCliRunner as ErlenCliRunner
    from erlen.plugins.testing.client import TestClient as TestClient
    from erlen.plugins.testing.connections import (
        WebsocketDisconnectError as WebsocketDisconnectError,
    )
    from erlen.plugins.testing.connections import WebsocketResponseError as WebsocketResponseError
    from erlen.plugins.testing.http_connection import HTTPDisconnectError as HTTPDisconnectError
    from erlen.plugins.testing.http_connection import TestHTTPConnection as TestHTTPConnection
    from erlen.plugins.testing.server import serve_app as serve_app
    from erlen.plugins.testing.server import serve_app_in_thread as serve_app_in_thread
    from erlen.plugins.testing.testrequest import (
        make_test_body_with_headers as make_test_body_with_headers,
    )
    from erlen.plugins.testing.testrequest import (
        make_test_headers_path_and_query_string as make_test_headers_path_and_query_string,
    )
    from erlen.plugins.testing.testrequest import make_test_scope as make_test_scope
    from erlen.plugins.testing.testrequest import no_op_push as no_op_push
    from erlen.plugins.testing.testrequest import sentinel as sentinel

    ErlenClient = TestClient

# public name -> (module, attribute); resolved by ``__getattr__`` on first access.
_LAZY: dict[str, tuple[str, str]] = {
    "ErlenClient": ("erlen.plugins.testing.client", "TestClient"),
    "TestClient": ("erlen.plugins.testing.client", "TestClient"),
    "TestApp": ("erlen.plugins.testing.app", "TestApp"),
    "LifespanError": ("erlen.plugins.testing.app", "LifespanError"),
    "TestHTTPConnection": ("erlen.plugins.testing.http_connection", "TestHTTPConnection"),
    "HTTPDisconnectError": ("erlen.plugins.testing.http_connection", "HTTPDisconnectError"),
    "WebsocketDisconnectError": ("erlen.plugins.testing.connections", "WebsocketDisconnectError"),
    "WebsocketResponseError": ("erlen.plugins.testing.connections", "WebsocketResponseError"),
    "ErlenCliRunner": ("erlen.plugins.testing.cli_runner", "ErlenCliRunner"),
    "make_test_body_with_headers": (
        "erlen.plugins.testing.testrequest",
        "make_test_body_with_headers",
    ),
    "make_test_headers_path_and_query_string": (
        "erlen.plugins.testing.testrequest",
        "make_test_headers_path_and_query_string",
    ),
    "make_test_scope": ("erlen.plugins.testing.testrequest", "make_test_scope"),
    "sentinel": ("erlen.plugins.testing.testrequest", "sentinel"),
    "no_op_push": ("erlen.plugins.testing.testrequest", "no_op_push"),
    "serve_app": ("erlen.plugins.testing.server", "serve_app"),
    "serve_app_in_thread": ("erlen.plugins.testing.server", "serve_app_in_thread"),
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module_name), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


@hookimpl
def erlen_test_client_class(app: Any) -> type:
    """``app.test_client()`` builds a :class:`TestClient`."""
    from erlen.plugins.testing.client import TestClient

    return TestClient


@hookimpl
def erlen_test_app_class(app: Any) -> type:
    """``app.test_app()`` builds a :class:`TestApp`."""
    from erlen.plugins.testing.app import TestApp

    return TestApp


@hookimpl
def erlen_test_cli_runner_class(app: Any) -> type:
    """``app.test_cli_runner()`` builds an :class:`ErlenCliRunner`."""
    from erlen.plugins.testing.cli_runner import ErlenCliRunner

    return ErlenCliRunner


@hookimpl
def erlen_test_request_context(app: Any, path: str, options: dict[str, Any]) -> Any:
    """``app.test_request_context(path, ...)``: a matched request with a complete body,
    whose form limits follow the app's config, as for a served request;
    ``send_push_promise(path, headers)`` receives its server pushes."""
    from erlen.plugins.testing.testrequest import make_test_request_context

    send_push_promise = options.pop("send_push_promise", None)
    ctx = make_test_request_context(app, path, **options)
    request = ctx.request
    request.max_form_memory_size = app.config["MAX_FORM_MEMORY_SIZE"]
    request.max_form_parts = app.config["MAX_FORM_PARTS"]
    request.max_form_total_memory_size = app.config["MAX_FORM_TOTAL_MEMORY_SIZE"]
    request.max_form_part_headers_size = app.config["MAX_FORM_PART_HEADERS_SIZE"]
    if send_push_promise is not None:

        async def _push(push_path: str) -> None:
            await send_push_promise(push_path, request.headers)

        request.send_push_promise = _push  # type: ignore[method-assign,assignment]
    return ctx
