"""The ``http`` ASGI protocol handler: scope -> request -> app -> response -> ``send``.

The view runs inline in the server's task: no extra task and no extra loop turns for a
plain response. Only a streamed body gets a helper task, which watches for
``http.disconnect`` so a client going away stops the generator; the body's send is
bounded by ``Response.timeout`` or ``RESPONSE_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import Headers

from .pipeline import fast_http_handler
from .wrappers.headers import ResponseHeaders, encoded_pair

if TYPE_CHECKING:
    from .app import Erlen
    from .typing import ProtocolHandler, Receive, Scope, Send
    from .wrappers.response import Response


def make_http_handler(app: Erlen) -> ProtocolHandler:
    """Build the ``http`` protocol handler for ``app`` (config read once here).

    Called when the app freezes, after its dispatch tables are built: an app that
    overrides no pipeline step gets :func:`~erlen.pipeline.fast_http_handler`'s inlined
    handler, any other the method chain below.
    """
    config = app.config
    request_class = app.request_class
    request_kwargs = {
        "max_content_length": config["MAX_CONTENT_LENGTH"],
        "body_timeout": config["BODY_TIMEOUT"],
        "max_form_memory_size": config["MAX_FORM_MEMORY_SIZE"],
        "max_form_parts": config["MAX_FORM_PARTS"],
    }
    response_timeout = config["RESPONSE_TIMEOUT"]
    fast = fast_http_handler(app, request_kwargs, send_response, encode_headers, response_timeout)
    if fast is not None:
        return fast

    async def serve_http(scope: Scope, receive: Receive, send: Send) -> None:
        request = request_class(scope, receive, **request_kwargs)
        request._push_send = send
        response = await app.handle_request(request)
        await send_response(response, request.method == "HEAD", send, receive, response_timeout)

    return serve_http


_HEADERS_CLASSES = (Headers, ResponseHeaders)  # iterating them yields their `_list`


def encode_headers(response: Response) -> list[tuple[bytes, bytes]]:
    """The response headers as ASGI byte pairs."""
    headers = response.headers
    items = headers._list if type(headers) in _HEADERS_CLASSES else headers
    return [*map(encoded_pair, items)]


async def send_response(
    response: Response, head: bool, send: Send, receive: Receive, default_timeout: float | None
) -> None:
    """Send ``response`` over ASGI; a HEAD request gets the headers only."""
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": encode_headers(response),
        }
    )
    if response._is_data or head:
        body = b"" if head else b"".join(response.response)
        await send({"type": "http.response.body", "body": body, "more_body": False})
        if head and not response._is_data:
            await _close_body(response.response)
        return
    timeout = response.timeout
    if timeout is ...:
        timeout = default_timeout
    await _send_streamed(response, send, receive, timeout)


async def _close_body(body: Any) -> None:
    aclose = getattr(body, "aclose", None)
    if aclose is not None:
        await aclose()
        return
    close = getattr(body, "close", None)
    if close is not None:
        try:
            close()
        except ValueError:  # "generator already executing" in the thread pool: the
            pass  # body iterator closes it when that step ends (erlen.synciter)


async def _send_streamed(
    response: Response, send: Send, receive: Receive, timeout: float | None
) -> None:
    task = asyncio.current_task()
    assert task is not None
    stopped: list[str] = []

    def stop(reason: str) -> None:
        if not stopped:
            stopped.append(reason)
            task.cancel()

    async def watch_disconnect() -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                stop("disconnect")
                return

    watcher = asyncio.ensure_future(watch_disconnect())
    timer = asyncio.get_running_loop().call_later(timeout, stop, "timeout") if timeout else None
    try:
        async for chunk in response.iter_encode():
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except asyncio.CancelledError:
        if not stopped:
            raise
        uncancel = getattr(task, "uncancel", None)
        if uncancel is not None:
            uncancel()
    finally:
        watcher.cancel()
        if timer is not None:
            timer.cancel()
        await _close_body(response.response)
