"""Quart's ASGI connection classes (``quart.asgi``): one object per ASGI connection.

Erlen serves each scope type with a protocol handler built once per app
(``erlen.protocols``), which is what ``Erlen.__call__`` uses. These classes give
Quart's interface over the same handlers, for code written against it:

- ``await ASGIHTTPConnection(app, scope)(receive, send)`` serves one HTTP request through
  ``app.handle_request`` and sends the answer; a subclass may override
  :meth:`~ASGIHTTPConnection.handle_request` or ``_create_request_from_scope``.
- ``await ASGIWebsocketConnection(app, scope)(receive, send)`` serves one websocket with
  the ``websocket`` plugin's handler.
- ``await ASGILifespan(app, scope)(receive, send)`` runs the lifespan protocol.

Set one as ``app.asgi_http_class`` (and the like) to have the app serve every connection
of its type through it, as in Quart. Each instance costs a little more than the
compiled handlers the app uses by default.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import TYPE_CHECKING, Any

import erlen

from .lifespan import make_lifespan_handler
from .pipeline.errors import answer_escaped_error
from .pipeline.http import add_missing_host, request_limits, send_response, start_message
from .pipeline.steps import adopt_response
from .utils import encode_headers

if TYPE_CHECKING:
    from werkzeug.datastructures import Headers

    from .app import Erlen
    from .typing import ProtocolHandler, Receive, Scope, Send
    from .wrappers.request import Request
    from .wrappers.response import Response

__all__ = ["ASGIHTTPConnection", "ASGILifespan", "ASGIWebsocketConnection"]


class ASGIHTTPConnection:
    """One HTTP request of ``app``: ``await ASGIHTTPConnection(app, scope)(receive, send)``."""

    def __init__(self, app: Erlen, scope: Scope) -> None:
        self.app = app
        self.scope = scope
        # Where handle_messages() puts the messages a request built here reads.
        self._messages: asyncio.Queue[Any] = asyncio.Queue()
        self._receive: Receive = self._messages.get

    async def __call__(self, receive: Receive, send: Send) -> None:
        """Build the request, answer it, send the answer."""
        self.app.freeze()
        self._receive = receive  # the request reads its body straight from the server
        request = self._create_request_from_scope(send)
        await self.handle_request(request, send)

    async def handle_messages(self, request: Request, receive: Receive) -> None:
        """Pass the server's messages to ``request`` (its body reads them) until the
        client disconnects; for a request built by ``_create_request_from_scope``
        outside ``__call__``."""
        while True:
            message = await receive()
            await self._messages.put(message)
            if message["type"] == "http.disconnect":
                return

    def _create_request_from_scope(self, send: Send) -> Request:
        """The request of this connection, as the app's ``http`` handler builds it."""
        app = self.app
        if self.scope.get("http_version", "1.1") < "1.1":  # "1.0" ("1" from granian)
            add_missing_host(self.scope, app.config["SERVER_NAME"])
        return app.request_class.from_scope(  # type: ignore[no-any-return]
            self.scope, self._receive, send, request_limits(app.config)
        )

    async def handle_request(self, request: Request, send: Send) -> None:
        """``app.handle_request(request)``, an error that propagates answered as the app's
        handler answers it (the traceback page in debug or testing mode), then the answer
        sent."""
        try:
            response: Any = await self.app.handle_request(request)
        except Exception as error:
            response = await answer_escaped_error(self.app, error, request)
        await self._send_response(send, response, request.method == "HEAD")

    async def _send_response(self, send: Send, response: Any, head: bool = False) -> None:
        if not hasattr(response, "_is_data"):  # a werkzeug Response
            response = adopt_response(self.app, response)
        await send_response(
            response,
            start_message(response),
            head,
            send,
            self._receive,
            self.app.config["RESPONSE_TIMEOUT"],
        )


class ASGIWebsocketConnection:
    """One websocket of ``app``: ``await ASGIWebsocketConnection(app, scope)(receive, send)``."""

    def __init__(self, app: Erlen, scope: Scope) -> None:
        self.app = app
        self.scope = scope
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self._accepted = False
        self._closed = False

    async def __call__(self, receive: Receive, send: Send) -> None:
        """Serve the connection with the ``websocket`` plugin's handler."""
        await _websocket_handler(self.app)(self.scope, receive, send)

    def _create_websocket_from_scope(self, send: Send) -> Any:
        """A websocket object for this scope (the app's ``websocket_class``, by default
        the plugin's :class:`~erlen.Websocket`), reading from :attr:`queue`."""
        # erlen.Websocket: the declared lazy facade for the plugin's class
        cls = self.app.websocket_class or erlen.Websocket
        from_scope = getattr(cls, "from_scope", None)  # a class with Quart's constructor
        if from_scope is not None:
            return from_scope(self.scope, self.queue.get, send)
        return cls(self.scope, self.queue.get, send)

    async def accept_connection(
        self, send: Send, headers: Headers, subprotocol: str | None
    ) -> None:
        """Send ``websocket.accept`` once; its headers only when the server's ASGI
        version (2.1 and later) carries them, else a warning if there are any."""
        if self._accepted:
            return
        message: dict[str, Any] = {
            "headers": [],
            "subprotocol": subprotocol,
            "type": "websocket.accept",
        }
        if _convert_version(self.scope.get("asgi", {}).get("spec_version", "2.0")) > [2, 0]:
            message["headers"] = encode_headers(headers)
        elif headers:
            warnings.warn(
                "The ASGI server does not support accept headers: headers not sent",
                stacklevel=2,
            )
        self._accepted = True
        await send(message)

    async def close_connection(self, send: Send, code: int, reason: str = "") -> None:
        """Send ``websocket.close`` (with the reason from ASGI 2.3 on), once."""
        if self._closed:
            raise RuntimeError("Cannot close websocket multiple times")
        message: dict[str, Any] = {"type": "websocket.close", "code": code}
        if _convert_version(self.scope.get("asgi", {}).get("spec_version", "2.0")) >= [2, 3]:
            message["reason"] = reason
        self._closed = True
        await send(message)


class ASGILifespan:
    """The lifespan protocol of ``app``: ``await ASGILifespan(app, scope)(receive, send)``."""

    def __init__(self, app: Erlen, scope: Scope) -> None:
        self.app = app
        self.scope = scope

    async def __call__(self, receive: Receive, send: Send) -> None:
        """Run startup and shutdown as the server asks (``lifespan.startup``...)."""
        await make_lifespan_handler(self.app)(self.scope, receive, send)


def _websocket_handler(app: Erlen) -> ProtocolHandler:
    """The ``websocket`` plugin's protocol handler for ``app`` (built once per freeze)."""
    app.freeze()
    pipeline = app.__dict__.get("_pipeline")
    cached = app.extensions.get(_HANDLER_KEY)
    if cached is not None and cached[0] is pipeline:
        return cached[1]  # type: ignore[no-any-return]
    for table in app.plugin_manager.hook.erlen_protocol_handlers(app=app):
        handler = (table or {}).get("websocket")
        if handler is not None:
            app.extensions[_HANDLER_KEY] = (pipeline, handler)
            return handler  # type: ignore[no-any-return]
    raise RuntimeError(
        "Websockets need the 'websocket' plugin, which is not loaded"
        " (check Erlen(plugins=...) / exclude_plugins)"
    )


#: Where an app keeps the websocket handler built for these classes (with the pipeline
#: it was built for: a later freeze builds another).
_HANDLER_KEY = "erlen.asgi.websocket_handler"


def _convert_version(raw: str) -> list[int]:
    """``"2.1"`` -> ``[2, 1]``: an ASGI spec version, comparable."""
    return list(map(int, raw.split(".")))


async def _handle_exception(app: Erlen, error: Exception) -> Response:
    """Quart's answer to an error that escaped ``app``: the traceback page in debug or
    testing mode, else the error raised on
    (:func:`~erlen.pipeline.errors.answer_escaped_error`)."""
    return await answer_escaped_error(app, error, None)
