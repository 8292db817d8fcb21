"""The ASGI protocol table of an app: which handler serves each ``scope["type"]``.

Built once, at freeze, from the ``erlen_protocol_handlers`` plugins (the first one
answering for a scope type wins; the kernel's own ``http`` and ``lifespan`` handlers
answer last) and Quart's swappable connection classes (``asgi_http_class``...), which win
when set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import Erlen
    from .typing import ProtocolHandler, Receive, Scope, Send


def protocol_table(app: Erlen) -> dict[str, ProtocolHandler]:
    """Scope type -> protocol handler, for ``app``."""
    protocols: dict[str, ProtocolHandler] = {}
    for table in app.plugin_manager.hook.erlen_protocol_handlers(app=app):
        for scope_type, handler in (table or {}).items():
            protocols.setdefault(scope_type, handler)
    for scope_type, connection_class in (
        ("http", app.asgi_http_class),
        ("websocket", app.asgi_websocket_class),
        ("lifespan", app.asgi_lifespan_class),
    ):
        if connection_class is not None:
            protocols[scope_type] = connection_class_handler(app, connection_class)
    return protocols


def connection_class_handler(app: Any, connection_class: type) -> ProtocolHandler:
    """A protocol handler serving each scope with Quart's connection-class interface:
    ``await connection_class(app, scope)(receive, send)``."""

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        await connection_class(app, scope)(receive, send)

    return handler
