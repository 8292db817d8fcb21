"""Benchmark app written against Starlette, with the same routes as the Quart app.

Per-route middleware stands in for Quart's blueprint ``before_request`` /
``after_request`` hooks, and Jinja2 is used directly for the template route.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECRET_KEY = "bench-secret-key"
TEMPLATE = "<h1>{{ title }}</h1><ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul>"
ITEMS = [f"item {i}" for i in range(10)]
JINJA = jinja2.Environment(autoescape=True)


class LifecycleHooks:
    """Pure ASGI middleware: the before/after-request hook pair."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Set request state before the handler and add ``X-After`` to the response."""
        scope.setdefault("state", {})["x"] = 1

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (b"x-after", b"1")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_header)


HOOKS = [Middleware(SessionMiddleware, secret_key=SECRET_KEY), Middleware(LifecycleHooks)]


async def login(request: Request) -> PlainTextResponse:
    """Store a user in the session so /lifecycle has a cookie to decode."""
    request.session["user"] = "alice"
    return PlainTextResponse("ok")


async def lifecycle(request: Request) -> PlainTextResponse:
    """Read the hook's state and a session key."""
    user = request.session.get("user", "anonymous")
    return PlainTextResponse(f"x={request.state.x} user={user}")


async def plaintext(request: Request) -> PlainTextResponse:
    """Smallest possible response."""
    return PlainTextResponse("Hello, World!")


async def json_message(request: Request) -> JSONResponse:
    """Serialise a small dict."""
    return JSONResponse({"message": "Hello, World!"})


async def user(request: Request) -> PlainTextResponse:
    """Typed path parameter."""
    return PlainTextResponse(f"user {request.path_params['user_id']}")


async def echo(request: Request) -> JSONResponse:
    """Parse a JSON body and serialise it back."""
    return JSONResponse(await request.json())


async def stream(request: Request) -> StreamingResponse:
    """Stream ten chunks from an async generator."""

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(10):
            yield f"chunk{i}\n".encode()

    return StreamingResponse(chunks(), media_type="text/plain")


async def template(request: Request) -> HTMLResponse:
    """Render a template string, compiled on each call like ``render_template_string``."""
    return HTMLResponse(JINJA.from_string(TEMPLATE).render(title="Items", items=ITEMS))


async def ws(websocket: WebSocket) -> None:
    """Echo every message back until the client goes away."""
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


def _numbered_route(index: int) -> Route:
    """Build ``/r<index>`` returning ``route <index>``."""

    async def numbered(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"route {index}")

    return Route(f"/r{index}", numbered)


routes: list[BaseRoute] = [
    Route("/plaintext", plaintext),
    Route("/json", json_message),
    Route("/users/{user_id:int}", user),
    Route("/echo", echo, methods=["POST"]),
    Route("/stream", stream),
    Route("/template", template),
    WebSocketRoute("/ws", ws),
    Route("/login", login, middleware=HOOKS),
    Route("/lifecycle", lifecycle, middleware=HOOKS),
    *(_numbered_route(i) for i in range(100)),
]

app = Starlette(routes=routes)
