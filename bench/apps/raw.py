"""The floor: a hand-written ASGI app with the benchmark's routes and no framework.

It does the same work a framework must do (route, parse, serialise, render) with
the least machinery possible, so its timings are the driver's and server's own cost
plus unavoidable work.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

import jinja2
from benchlib.appdata import ITEMS, ROUTE_COUNT, TEMPLATE

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Handler = Callable[[Scope, Receive, Send], Awaitable[None]]

JINJA = jinja2.Environment(autoescape=True)
TEXT = b"text/plain; charset=utf-8"
HTML = b"text/html; charset=utf-8"
JSON = b"application/json"


async def respond(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes = TEXT,
    extra: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    """Send a complete, non-streamed response."""
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive) -> bytes:
    """Collect the request body from ``http.request`` messages."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def cookie(scope: Scope, name: str) -> str | None:
    """Return the value of cookie ``name`` from the request headers, if any."""
    for key, value in scope["headers"]:
        if key == b"cookie":
            for pair in value.decode("latin-1").split(";"):
                cookie_name, _, cookie_value = pair.strip().partition("=")
                if cookie_name == name:
                    return cookie_value
    return None


async def plaintext(scope: Scope, receive: Receive, send: Send) -> None:
    """Smallest possible response."""
    await respond(send, 200, b"Hello, World!")


async def tuple_full(scope: Scope, receive: Receive, send: Send) -> None:
    """What ``return "Created", 201, {"X-Custom": "1"}`` sends in Quart."""
    await respond(send, 201, b"Created", HTML, ((b"x-custom", b"1"),))


async def json_message(scope: Scope, receive: Receive, send: Send) -> None:
    """Serialise a small dict."""
    body = json.dumps({"message": "Hello, World!"}, separators=(",", ":")).encode()
    await respond(send, 200, body, JSON)


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    """Parse a JSON body and serialise it back."""
    data = json.loads(await read_body(receive))
    await respond(send, 200, json.dumps(data, separators=(",", ":")).encode(), JSON)


async def stream(scope: Scope, receive: Receive, send: Send) -> None:
    """Stream ten chunks from an async generator."""

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(10):
            yield f"chunk{i}\n".encode()

    start = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", TEXT)]}
    await send(start)
    async for chunk in chunks():
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def template(scope: Scope, receive: Receive, send: Send) -> None:
    """Render a template string, compiled on each call like ``render_template_string``."""
    html = JINJA.from_string(TEMPLATE).render(title="Items", items=ITEMS)
    await respond(send, 200, html.encode(), HTML)


async def login(scope: Scope, receive: Receive, send: Send) -> None:
    """Set the session cookie that /lifecycle reads."""
    await respond(send, 200, b"ok", extra=((b"set-cookie", b"session=alice; Path=/; HttpOnly"),))


async def lifecycle(scope: Scope, receive: Receive, send: Send) -> None:
    """Before hook (request state), cookie read, after hook (extra header), by hand."""
    scope.setdefault("state", {})["x"] = 1
    user = cookie(scope, "session") or "anonymous"
    body = f"x={scope['state']['x']} user={user}".encode()
    await respond(send, 200, body, extra=((b"x-after", b"1"),))


def numbered(index: int) -> Handler:
    """Build the handler of ``/r<index>``."""
    body = f"route {index}".encode()

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        await respond(send, 200, body)

    return handler


ROUTES: dict[str, tuple[str, Handler]] = {
    "/plaintext": ("GET", plaintext),
    "/json": ("GET", json_message),
    "/tuple": ("GET", tuple_full),
    "/echo": ("POST", echo),
    "/stream": ("GET", stream),
    "/template": ("GET", template),
    "/login": ("GET", login),
    "/lifecycle": ("GET", lifecycle),
    **{f"/r{i}": ("GET", numbered(i)) for i in range(ROUTE_COUNT)},
}


async def http(scope: Scope, receive: Receive, send: Send) -> None:
    """Route an HTTP request: exact paths first, then ``/users/<int>``."""
    path: str = scope["path"]
    route = ROUTES.get(path)
    if route is None:
        user_id = path[7:] if path.startswith("/users/") else ""
        if user_id.isdigit():
            await respond(send, 200, f"user {int(user_id)}".encode())
        else:
            await respond(send, 404, b"Not Found")
    elif route[0] != scope["method"]:
        await respond(send, 405, b"Method Not Allowed")
    else:
        await route[1](scope, receive, send)


async def websocket(scope: Scope, receive: Receive, send: Send) -> None:
    """Accept ``/ws`` and echo every message until disconnect."""
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "websocket.receive":
            if message.get("text") is not None:
                await send({"type": "websocket.send", "text": message["text"]})
            else:
                await send({"type": "websocket.send", "bytes": message.get("bytes")})
        elif kind == "websocket.connect":
            if scope["path"] == "/ws":
                await send({"type": "websocket.accept"})
            else:
                await send({"type": "websocket.close", "code": 1000})
                return
        else:
            return


async def lifespan(scope: Scope, receive: Receive, send: Send) -> None:
    """Acknowledge startup and shutdown."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """ASGI entry point."""
    kind = scope["type"]
    if kind == "http":
        await http(scope, receive, send)
    elif kind == "websocket":
        await websocket(scope, receive, send)
    elif kind == "lifespan":
        await lifespan(scope, receive, send)
