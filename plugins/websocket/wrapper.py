"""``erlen.Websocket``: the object behind the ``websocket`` global.

Request-like attributes (``path``, ``query_string``, ``args``, ``headers``, ``cookies``,
``authorization``, ``scheme``, ``host``, ``url``, ``view_args``...) come from the
kernel's :class:`~erlen.wrappers.base.BaseRequestWebsocket` (werkzeug's sans-IO request,
parsed lazily from the ASGI scope); messages go through :class:`.channel.WebsocketChannel`.

The handler's ``websocket`` is a context proxy. To keep a connection (a chat's set of
clients) store ``websocket.connection`` (Quart's spelling, ``websocket._get_current_object()``,
is the same object): it is hashable, compares by identity, and another handler may
``send`` to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from erlen.wrappers.base import BaseRequestWebsocket

from .channel import WebsocketChannel

if TYPE_CHECKING:
    from erlen.typing import Receive, Scope, Send

    from .settings import WebsocketSettings


class Websocket(WebsocketChannel, BaseRequestWebsocket):
    """One websocket connection: handshake data plus ``accept``/``receive``/``send``/
    ``receive_json``/``send_json``/``close``."""

    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        settings: WebsocketSettings | None = None,
        json: Any = None,
    ) -> None:
        BaseRequestWebsocket.__init__(self, scope)
        if json is None:  # built outside an app: the current app's provider, or stdlib
            import erlen.json as json_module

            json = json_module
        self._init_channel(receive, send, settings, json)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url!r}>"

    @property
    def connection(self) -> Websocket:
        """This connection itself. Through the ``websocket`` proxy, ``websocket.connection``
        is the running handler's connection: store it (in a set of clients) to send to this
        client from other handlers, which the proxy itself cannot do."""
        return self
