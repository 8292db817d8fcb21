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

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import erlen.json as json_module
from erlen.wrappers.base import BaseRequestWebsocket
from werkzeug.datastructures import Headers

from .channel import WebsocketChannel

if TYPE_CHECKING:
    from erlen.typing import Message, Receive, Scope, Send

    from .settings import WebsocketSettings

_new_object = object.__new__


class QuartCallables:
    """ASGI ``receive`` and ``send`` over the four callables of Quart's ``Websocket``
    constructor: ``receive()`` returns the next message's data, ``send(data)``,
    ``accept(headers, subprotocol)`` and ``close(code, reason)``."""

    def __init__(
        self,
        receive: Callable[[], Awaitable[str | bytes]] | None,
        send: Callable[[str | bytes], Awaitable[None]] | None,
        accept: Callable[[Headers, str | None], Awaitable[None]] | None,
        close: Callable[[int, str], Awaitable[None]] | None,
    ) -> None:
        self.receive_data = receive
        self.send_data = send
        self.accept = accept
        self.close = close

    async def receive(self) -> Message:
        """The next ``websocket.receive`` message (a disconnect without a callable)."""
        if self.receive_data is None:
            return {"type": "websocket.disconnect", "code": 1005}
        data = await self.receive_data()
        if isinstance(data, str):
            return {"type": "websocket.receive", "text": data}
        return {"type": "websocket.receive", "bytes": bytes(data)}

    async def send(self, message: Message) -> None:
        """Hand an ASGI message to the matching callable (others are dropped: Quart's
        constructor takes no callable for a refused handshake's response)."""
        kind = message["type"]
        if kind == "websocket.accept" and self.accept is not None:
            headers = Headers(
                [
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in message.get("headers") or ()
                ]
            )
            await self.accept(headers, message.get("subprotocol"))
        elif kind == "websocket.send" and self.send_data is not None:
            data = message.get("bytes")
            await self.send_data(message.get("text", "") if data is None else data)
        elif kind == "websocket.close" and self.close is not None:
            await self.close(message.get("code", 1000), message.get("reason") or "")


class Websocket(WebsocketChannel, BaseRequestWebsocket):
    """One websocket connection: handshake data plus ``accept``/``receive``/``send``/
    ``receive_json``/``send_json``/``close``."""

    #: The subprotocols Quart's constructor was given (None: the scope's).
    _subprotocols: list[str] | None = None
    #: Whether :meth:`from_scope` may skip the constructor: the class keeps it and the
    #: fields derived from the scope on first read (worked out per class).
    _fills_from_scope = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fills_from_scope = cls.__init__ is Websocket.__init__ and all(
            getattr(cls, name) is getattr(Websocket, name)
            for name in ("scheme", "http_version", "query_string", "root_path")
        )

    def __init__(
        self,
        path: str,
        query_string: bytes,
        scheme: str,
        headers: Headers,
        root_path: str,
        http_version: str,
        subprotocols: list[str] | None,
        receive: Callable[[], Awaitable[str | bytes]] | None,
        send: Callable[[str | bytes], Awaitable[None]] | None,
        accept: Callable[[Headers, str | None], Awaitable[None]] | None,
        close: Callable[[int, str], Awaitable[None]] | None,
        scope: Scope,
    ) -> None:
        """Quart's constructor: the handshake's fields, and callables that receive a
        message's data, send data, accept (``headers``, ``subprotocol``) and close
        (``code``, ``reason``). The server builds its connections with :meth:`from_scope`."""
        BaseRequestWebsocket.__init__(
            self, "GET", scheme, path, query_string, headers, root_path, http_version, scope
        )
        if subprotocols is not None:
            self._subprotocols = list(subprotocols)
        callables = QuartCallables(receive, send, accept, close)
        self._init_channel(callables.receive, callables.send, None, json_module)
        self._spec = (2, 4)  # Quart's close callable takes the reason, whatever the scope says

    @classmethod
    def from_scope(
        cls,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        settings: WebsocketSettings | None = None,
        json: Any = None,
    ) -> Any:
        """The connection the ``websocket`` protocol handler builds for ``scope``, talking
        ASGI through ``receive`` and ``send``.

        For a class keeping this constructor the constructor is skipped
        (``set_scope`` sets the fields, the
        rest are derived from the scope on first read); any other class gets its
        constructor, called with the fields taken from the scope the same way.
        """
        if cls._fills_from_scope:
            websocket = _new_object(cls)
            websocket.set_scope(scope)
        else:
            fields = _new_object(Websocket)
            fields.set_scope(scope)
            _method, scheme, path, query_string, headers, root_path, http_version = (
                fields.scope_fields()
            )
            websocket = cls(
                path,
                query_string,
                scheme,
                headers,
                root_path,
                http_version,
                fields.requested_subprotocols,
                None,
                None,
                None,
                None,
                scope,
            )
        # built outside an app: the current app's provider, or stdlib
        websocket._init_channel(receive, send, settings, json_module if json is None else json)
        return websocket

    @property
    def requested_subprotocols(self) -> list[str]:
        """The subprotocols the client offered (``Sec-WebSocket-Protocol``), in order."""
        if self._subprotocols is not None:
            return list(self._subprotocols)
        return list(self.scope.get("subprotocols") or ())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url!r}>"

    @property
    def connection(self) -> Websocket:
        """This connection itself. Through the ``websocket`` proxy, ``websocket.connection``
        is the running handler's connection: store it (in a set of clients) to send to this
        client from other handlers, which the proxy itself cannot do."""
        return self


__all__ = ["QuartCallables", "Websocket"]
