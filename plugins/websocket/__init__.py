"""The ``websocket`` plugin: serves the ASGI ``websocket`` scope type.

The kernel registers websocket routes (``@app.websocket``, ``Blueprint.websocket``),
their ``before/after/teardown_websocket`` chains and the ``websocket`` global; this
plugin answers ``erlen_protocol_handlers`` with ``{"websocket": handler}`` and provides
:class:`~erlen.Websocket` (``erlen.Websocket`` imports it lazily). Leave it out with
``Erlen(__name__, exclude_plugins=["websocket"])``: websocket connections then fail with
a ``RuntimeError`` naming this plugin.

Config keys (defaults set here, documented in :mod:`.settings` and docs/websockets.md):
``WEBSOCKET_MAX_MESSAGE_SIZE`` and ``WEBSOCKET_SEND_QUEUE_SIZE``. Other plugins hook into
connections through :mod:`.hookspecs` (``erlen_before_websocket``,
``erlen_after_websocket``, ``erlen_teardown_websocket``).
"""

from __future__ import annotations

from typing import Any

from erlen import hookimpl, signals
from erlen.ctx import WebsocketContext
from erlen.pipeline.connection import Protocol

from . import hookspecs
from .settings import DEFAULTS

__all__ = ["DEFAULTS", "EXTENSION_KEY", "WEBSOCKET"]

#: Where the app's websocket stages (``app.handle_websocket``...) find the protocol.
EXTENSION_KEY = "erlen.websocket"

#: Websocket connections in the kernel's connection lifecycle
#: (:mod:`erlen.pipeline.connection`), with Quart's method names for the stages.
WEBSOCKET = Protocol(
    name="websocket",
    context_class=WebsocketContext,
    hook_prefix="websocket",
    websocket=True,
    methods={
        "handle": "handle_websocket",
        "full_dispatch": "full_dispatch_websocket",
        "preprocess": "preprocess_websocket",
        "dispatch": "dispatch_websocket",
        "finalize": "finalize_websocket",
        "postprocess": "postprocess_websocket",
        "handle_exception": "handle_websocket_exception",
    },
    started=signals.websocket_started,
    finished=signals.websocket_finished,
    got_exception=signals.got_websocket_exception,
    tearing_down=signals.websocket_tearing_down,
)


@hookimpl
def erlen_addhooks(pluginmanager: Any) -> None:
    """Add the websocket hook specifications."""
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def erlen_configure(app: Any) -> None:
    """Set the plugin's config defaults and attach the protocol behind
    ``app.handle_websocket`` and the other websocket stages."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.extensions[EXTENSION_KEY] = WEBSOCKET


@hookimpl
def erlen_server_settings(app: Any) -> dict[str, Any]:
    """(The ``serving`` plugin's hook.) Hypercorn settings for ``app``: its websocket
    message size limit, so that a
    ``WEBSOCKET_MAX_MESSAGE_SIZE`` above hypercorn's default (16 MiB) is honoured and a
    smaller one stops hypercorn buffering more than the app accepts."""
    size = app.config.get("WEBSOCKET_MAX_MESSAGE_SIZE")
    return {} if size is None else {"websocket_max_message_size": int(size)}


@hookimpl
def erlen_protocol_handlers(app: Any) -> dict[str, Any]:
    """Serve ``websocket`` scopes."""
    from .asgi import make_websocket_handler

    return {"websocket": make_websocket_handler(app)}


def __getattr__(name: str) -> Any:
    if name == "Websocket":
        from .wrapper import Websocket

        return Websocket
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
