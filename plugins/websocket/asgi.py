"""The ``websocket`` ASGI protocol handler: handshake, handler, and how it ends.

The handler runs inline in the server's task (no extra task per connection). How the
connection ends:

- the handler returned a response (``"Invalid password", 403``, ``abort(401)``, an
  error's 500) before accepting: the response is sent as the handshake's answer through
  the ASGI ``websocket.http.response`` extension when the server offers it (hypercorn
  does), else the handshake is closed, which the server answers with HTTP 403;
- it returned nothing before accepting: close, so the server answers 403 (if it called
  ``websocket.accept()`` without awaiting it, the accept is sent first, then close 1000);
- it returned after accepting: close 1000; 1008 with the status as the reason when it
  ended with a 4xx (an ``HTTPException``), 1011 with an unhandled error or a 5xx;
- the client went away (``ConnectionClosed``, or the handler was cancelled because its
  connection ended while it awaited something else, see :mod:`.channel`: those
  cancellations are taken back here): nothing more is sent.

Each connection is registered with its loop's :class:`~.watch.ConnectionWatch` while the
handler runs (and until its end is sent).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from erlen.config import ConfigReads
from erlen.exceptions import ConnectionClosed
from erlen.pipeline.connection import adopt_response, answer_escaped_error
from werkzeug.http import HTTP_STATUS_CODES

from . import EXTENSION_KEY, WEBSOCKET
from .channel import ACCEPTING, HANDSHAKE, OPEN, RESPONDED, encode_headers
from .settings import (
    CLOSE_GOING_AWAY,
    CLOSE_INTERNAL_ERROR,
    CLOSE_NORMAL,
    CLOSE_POLICY_VIOLATION,
    WebsocketSettings,
)
from .watch import ConnectionWatch, watch_for
from .wrapper import Websocket

if TYPE_CHECKING:
    from erlen import Erlen
    from erlen.typing import ProtocolHandler, Receive, Scope, Send
    from erlen.wrappers.response import Response


def make_websocket_handler(app: Erlen) -> ProtocolHandler:
    """Build the ``websocket`` protocol handler for ``app`` (its settings read again from
    the config when it changes)."""
    settings_of = ConfigReads(WebsocketSettings).of
    # The lifecycle with this app's plugin hooks compiled (plugins are final at freeze).
    protocol = app.extensions[EXTENSION_KEY] = WEBSOCKET.compiled(app)
    from_scope = (getattr(app, "websocket_class", None) or Websocket).from_scope
    json = app.json
    response_class = app.response_class
    handle_websocket = protocol.handler(app)  # the app's handle_websocket if overridden
    watches: dict[asyncio.AbstractEventLoop, ConnectionWatch] = {}
    logger = app.logger

    async def serve_websocket(scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return  # the client left before the handshake reached the app
        settings = settings_of(app.config)
        websocket = from_scope(scope, receive, send, settings=settings, json=json)
        websocket._task = asyncio.current_task()
        watch = watch_for(watches, settings.send_timeout, settings.disconnect_timeout, logger)
        watch.add(websocket)
        try:
            try:
                response = await handle_websocket(websocket)
            except ConnectionClosed:
                response = None
            except asyncio.CancelledError:
                websocket._take_back_cancels()
                websocket._task = None
                if not _ended_by_disconnect(websocket):
                    await _abort(websocket, CLOSE_GOING_AWAY)  # the server is stopping
                    raise
                response = None
            except Exception as error:  # propagated (testing, debug, PROPAGATE_EXCEPTIONS)
                websocket._take_back_cancels()
                websocket._task = None
                try:  # testing/debug: the traceback page, as the handshake's answer
                    response = await answer_escaped_error(app, error, websocket)
                except BaseException:
                    await _abort(websocket, CLOSE_INTERNAL_ERROR)
                    raise
            except BaseException:
                websocket._take_back_cancels()
                websocket._task = None
                await _abort(websocket, CLOSE_INTERNAL_ERROR)
                raise
            websocket._take_back_cancels()  # the handler may have swallowed one
            websocket._task = None  # the handler is over: nothing may cancel the cleanup
            if response is not None and not isinstance(response, response_class):
                response = await app.make_response(response)  # e.g. from an overridden stage
                if not isinstance(response, response_class):  # a werkzeug Response
                    response = adopt_response(app, response)
            try:
                await _finish(websocket, response)
            finally:
                await websocket._stop_tasks()
        finally:
            watch.discard(websocket)
            websocket._task = None

    return serve_websocket


def _ended_by_disconnect(websocket: Websocket) -> bool:
    # A ConnectionClosed raised in a child task reaches the handler as a CancelledError
    # (through gather/wait_for). That is a disconnect, unless this task itself is being
    # cancelled (server shutdown), which must propagate.
    if not websocket.closed:
        return False
    task = asyncio.current_task()
    return task is None or task.cancelling() == 0


async def _finish(websocket: Websocket, response: Response | None) -> None:
    state = websocket._state
    if state == HANDSHAKE:
        if response is not None:
            await _reject(websocket, response)
            return
        if websocket._accept_args is not None:  # `websocket.accept()` called, not awaited
            with contextlib.suppress(ConnectionClosed):
                await websocket._accept_now()
        await websocket.close(CLOSE_NORMAL)
    elif state == OPEN or state == ACCEPTING:
        await websocket.close(*_close_after_accept(websocket, response))


def _close_after_accept(websocket: Websocket, response: Response | None) -> tuple[int, str]:
    """The close code and reason once an accepted handler ended with ``response``: 1011
    for an unhandled error or a 5xx, 1008 with the status (``"400 Bad Request"``) for a
    4xx (an ``HTTPException`` such as invalid JSON for ``receive_json()``, an
    ``abort(403)``), else 1000. Quart closes with 1000 whatever the status, which tells a
    client sending bad input that nothing went wrong."""
    status = response.status_code if response is not None else 200
    if websocket.failed or status >= 500:
        return CLOSE_INTERNAL_ERROR, ""
    if status >= 400:
        return CLOSE_POLICY_VIOLATION, f"{status} {HTTP_STATUS_CODES.get(status, '')}".strip()
    return CLOSE_NORMAL, ""


async def _reject(websocket: Websocket, response: Response) -> None:
    """Answer the handshake with ``response`` (or close: the server's 403)."""
    if "websocket.http.response" not in (websocket.scope.get("extensions") or {}):
        await websocket.close(CLOSE_NORMAL)
        return
    body = await response.get_data()
    send = websocket._asgi_send
    websocket._state = RESPONDED
    websocket.close_code = None
    with contextlib.suppress(OSError):
        await send(
            {
                "type": "websocket.http.response.start",
                "status": response.status_code,
                "headers": encode_headers(response.headers),
            }
        )
        await send({"type": "websocket.http.response.body", "body": body, "more_body": False})


async def _abort(websocket: Websocket, code: int) -> None:
    """Something propagates out of the app: close an open connection with ``code`` first."""
    try:
        if websocket._state == OPEN:
            with contextlib.suppress(Exception):
                await websocket.close(code)
    finally:
        await websocket._stop_tasks()


__all__ = ["make_websocket_handler"]
