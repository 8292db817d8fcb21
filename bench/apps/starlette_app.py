"""Benchmark app written against Starlette: the Quart app's shapes in Starlette's idioms.

Per-route and per-``Mount`` middleware stand in for Quart's blueprint hooks, teardown
and error handlers (so, as there, only their own routes pay for them);
``SessionMiddleware``, ``Jinja2Templates`` and ``StreamingResponse`` do the rest.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import functools
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from datetime import datetime
from decimal import Decimal
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlencode
from uuid import UUID

import anyio
import jinja2
from benchlib.appdata import (
    API_KEY,
    API_TOKEN,
    ARCHIVE_MONTHS,
    ARTICLE,
    BLOB,
    CATALOG,
    CHECKSUM_INPUT,
    COOKIE_EXPIRES,
    CSV_ROWS,
    EVENTS,
    ITEMS,
    NDJSON_LINES,
    PRELOAD_LINKS,
    PRICES,
    QUOTA_LIMIT,
    REPORT_CSV,
    REPORT_MODIFIED,
    ROLE_HEADER,
    ROUTE_COUNT,
    ROWS,
    SECURITY_HEADERS,
    SSE_EVENTS,
    SSE_LIVE_EVENTS,
    TEMPLATE,
    WS_ACCEPT_HEADER,
    WS_CLOSE,
    WS_GREETING,
    WS_IDLE_TIMEOUT,
    WS_SERVER_PROTOCOLS,
    WS_SUBPROTOCOL,
    WS_TOKENS,
    Broker,
    CardDeclined,
    FakeDatabase,
    PaymentError,
    ShopError,
    checksum,
    live_event,
    ndjson_line,
    quote_totals,
    record_background,
    sse_event,
)
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.endpoints import HTTPEndpoint
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.websockets import WebSocket, WebSocketDisconnect

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECRET_KEY = "bench-secret-key"
APP_DIR = Path(__file__).resolve().parent
STATIC_DIR = APP_DIR / "static"
HELLO_FILE = STATIC_DIR / "hello.txt"
CLIP_FILE = STATIC_DIR / "clip.txt"
CONFIG = {"PAGE_SIZE": 20, "SITE_NAME": "Bench"}
JINJA = jinja2.Environment(autoescape=True)
TEMPLATES = Jinja2Templates(directory=APP_DIR / "templates")
HTML = "text/html; charset=utf-8"
# The app's logger; what it logs goes to a handler that drops it (as in the Quart app).
LOGGER = logging.getLogger("bench.starlette")
LOGGER.addHandler(logging.NullHandler())


def flash(request: Request, message: str) -> None:
    """Store a message in the session for the next page (Starlette has no flash)."""
    request.session.setdefault("_messages", []).append(message)


@jinja2.pass_context
def get_flashed_messages(context: Any) -> list[str]:
    """Pop the session's messages; a template global, as in Flask."""
    messages: list[str] = context["request"].session.pop("_messages", [])
    return messages


TEMPLATES.env.globals["get_flashed_messages"] = get_flashed_messages


def site_context(request: Request) -> dict[str, Any]:
    """Variables every template of the site's routes sees."""
    return {"site_name": "Bench", "user": "alice"}


SITE_TEMPLATES = Jinja2Templates(directory=APP_DIR / "templates", context_processors=[site_context])


class ConflictError(Exception):
    """An application error turned into a 409 by an exception handler."""


async def conflict(request: Request, error: Exception) -> PlainTextResponse:
    """Answer the custom exception with a plain 409."""
    return PlainTextResponse(f"conflict: {error}", status_code=409)


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


class RequireToken:
    """Pure ASGI middleware: refuse requests without the API token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 401 unless the ``Authorization`` header carries the token."""
        if Request(scope).headers.get("authorization") != API_TOKEN:
            await PlainTextResponse("Unauthorized", status_code=401)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class CloseConnection:
    """Pure ASGI middleware: close the connection a view opened (a teardown)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the route, then always discard ``state["connection"]``."""
        try:
            await self.app(scope, receive, send)
        finally:
            OPEN_CONNECTIONS.discard(scope.get("state", {}).pop("connection", None))


class Maintenance:
    """Pure ASGI middleware: answer every request before the route runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Always 503."""
        await PlainTextResponse("down for maintenance", status_code=503)(scope, receive, send)


class RefuseWithoutToken:
    """Pure ASGI middleware: a JSON 401 for requests without the API token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 401 unless the ``Authorization`` header carries the token."""
        if Request(scope).headers.get("authorization") != API_TOKEN:
            response = JSONResponse({"error": "unauthorized"}, status_code=401)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


SESSION = [Middleware(SessionMiddleware, secret_key=SECRET_KEY)]
HOOKS = [Middleware(LifecycleHooks)]
OPEN_CONNECTIONS: set[object] = set()


async def plaintext(request: Request) -> PlainTextResponse:
    """Smallest possible response."""
    return PlainTextResponse("Hello, World!")


async def raw_bytes(request: Request) -> Response:
    """A bytes body."""
    return Response(b"Hello, World!", media_type="text/html")


async def as_dict(request: Request) -> JSONResponse:
    """A dict as JSON."""
    return JSONResponse({"message": "Hello, World!"})


async def as_list(request: Request) -> JSONResponse:
    """A list as JSON."""
    return JSONResponse(["Hello", "World"])


async def json_message(request: Request) -> JSONResponse:
    """Serialise a small dict."""
    return JSONResponse({"message": "Hello, World!"})


async def json_created(request: Request) -> JSONResponse:
    """JSON with a status."""
    return JSONResponse({"id": 1, "status": "created"}, status_code=201)


async def tuple_status(request: Request) -> HTMLResponse:
    """Body and status."""
    return HTMLResponse("Created", status_code=201)


async def tuple_headers(request: Request) -> HTMLResponse:
    """Body and headers."""
    return HTMLResponse("Hello, World!", headers={"X-Custom": "1"})


async def tuple_full(request: Request) -> HTMLResponse:
    """Body, status and headers."""
    return HTMLResponse("Created", status_code=201, headers={"X-Custom": "1"})


async def response_object(request: Request) -> Response:
    """A Response built by the view."""
    return Response("Hello, World!", media_type="text/plain")


async def made_response(request: Request) -> HTMLResponse:
    """A response, then a header set on it."""
    response = HTMLResponse("Hello, World!")
    response.headers["X-Custom"] = "1"
    return response


async def to_plaintext(request: Request) -> RedirectResponse:
    """A redirect to another endpoint."""
    return RedirectResponse(request.app.url_path_for("plaintext"), status_code=302)


def sync_view(request: Request) -> HTMLResponse:
    """A plain function endpoint."""
    return HTMLResponse("Hello, World!")


async def user(request: Request) -> PlainTextResponse:
    """Typed path parameter."""
    return PlainTextResponse(f"user {request.path_params['user_id']}")


async def user_post(request: Request) -> PlainTextResponse:
    """Two path parameters."""
    params = request.path_params
    return PlainTextResponse(f"user {params['user_id']} post {params['slug']}")


async def item(request: Request) -> PlainTextResponse:
    """A path parameter returned in a header too."""
    item_id = request.path_params["item_id"]
    return PlainTextResponse(f"item {item_id}", headers={"X-Item-Id": str(item_id)})


async def search(request: Request) -> PlainTextResponse:
    """Query string arguments."""
    query = request.query_params.get("q", "")
    page = int(request.query_params.get("page", 1))
    return PlainTextResponse(f"q={query} page={page}")


async def form(request: Request) -> PlainTextResponse:
    """A urlencoded form."""
    data = await request.form()
    return PlainTextResponse(f"name={data['name']} age={data['age']}")


async def json_post(request: Request) -> JSONResponse:
    """A small JSON body in, a dict out."""
    data = await request.json()
    return JSONResponse({"hello": data["name"]})


async def echo(request: Request) -> JSONResponse:
    """Parse a JSON body and serialise it back."""
    return JSONResponse(await request.json())


async def cookies(request: Request) -> PlainTextResponse:
    """Read a cookie, set another one."""
    response = PlainTextResponse(f"theme={request.cookies.get('theme', 'light')}")
    response.set_cookie("visited", "1")
    return response


async def session_read(request: Request) -> PlainTextResponse:
    """Read the logged-in session."""
    return PlainTextResponse(f"user={request.session.get('user', 'anonymous')}")


async def session_write(request: Request) -> PlainTextResponse:
    """Write the session (a new cookie)."""
    request.session["user"] = "bob"
    return PlainTextResponse("saved")


async def busy(request: Request) -> NoReturn:
    """Raise the custom exception."""
    raise ConflictError("busy")


async def template(request: Request) -> HTMLResponse:
    """Render a template string, compiled on each call like ``render_template_string``."""
    return HTMLResponse(JINJA.from_string(TEMPLATE).render(title="Items", items=ITEMS))


async def page(request: Request) -> HTMLResponse:
    """Render a template file that extends a base template."""
    context = {"title": "Items", "items": ITEMS}
    return TEMPLATES.TemplateResponse(request, "page.html", context)


async def stream(request: Request) -> StreamingResponse:
    """Stream ten chunks from an async generator."""

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(10):
            yield f"chunk{i}\n".encode()

    return StreamingResponse(chunks(), media_type="text/plain")


async def ws(websocket: WebSocket) -> None:
    """Echo every message back until the client goes away."""
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


async def ws_json(websocket: WebSocket) -> None:
    """Echo every JSON message back until the client goes away."""
    await websocket.accept()
    try:
        while True:
            await websocket.send_json(await websocket.receive_json())
    except WebSocketDisconnect:
        pass


async def hooked(request: Request) -> PlainTextResponse:
    """Read the hook's state."""
    return PlainTextResponse(f"x={request.state.x}")


async def login(request: Request) -> PlainTextResponse:
    """Store a user in the session so /lifecycle has a cookie to decode."""
    request.session["user"] = "alice"
    return PlainTextResponse("ok")


async def lifecycle(request: Request) -> PlainTextResponse:
    """Read the hook's state and a session key."""
    user = request.session.get("user", "anonymous")
    return PlainTextResponse(f"x={request.state.x} user={user}")


async def api_status(request: Request) -> PlainTextResponse:
    """A route behind the mount's check."""
    return PlainTextResponse("api ok")


async def no_item(request: Request, error: Exception) -> PlainTextResponse:
    """The mount's own 404 page."""
    return PlainTextResponse(f"no item {request.path_params['item_id']}", status_code=404)


async def shop_item(request: Request) -> NoReturn:
    """Every item is out of stock."""
    raise HTTPException(status_code=404)


async def use_connection(request: Request) -> PlainTextResponse:
    """Open a connection for this request; report how many are open."""
    request.state.connection = object()
    OPEN_CONNECTIONS.add(request.state.connection)
    return PlainTextResponse(f"open={len(OPEN_CONNECTIONS)}")


class ItemAPI(HTTPEndpoint):
    """A class-based endpoint, one method per HTTP verb."""

    async def get(self, request: Request) -> JSONResponse:
        """Read one item."""
        item_id = request.path_params["item_id"]
        return JSONResponse({"id": item_id, "name": f"item {item_id}"})

    async def delete(self, request: Request) -> Response:
        """Delete one item."""
        return Response(status_code=204)


async def links(request: Request) -> JSONResponse:
    """Build several URLs: plain, with parameters, with a query argument."""
    url_path_for = request.app.url_path_for
    return JSONResponse(
        {
            "self": url_path_for("links"),
            "user": url_path_for("user", user_id=42),
            "post": url_path_for("user_post", user_id=42, slug="hello"),
            "search": f"{url_path_for('search')}?{urlencode({'q': 'erlen'})}",
        }
    )


async def whoami(request: Request) -> PlainTextResponse:
    """Read a query argument and request headers together."""
    name = request.query_params.get("name", "anonymous")
    language = request.headers.get("accept-language", "en")
    agent = request.headers.get("user-agent", "")
    return PlainTextResponse(f"name={name} lang={language} agent={agent}")


async def download(request: Request) -> FileResponse:
    """Send a small file from disk."""
    return FileResponse(HELLO_FILE)


async def forbidden(request: Request) -> NoReturn:
    """HTTPException(403) with no handler: the default error response."""
    raise HTTPException(status_code=403)


async def cookie_swap(request: Request) -> PlainTextResponse:
    """Set one cookie and delete another."""
    response = PlainTextResponse("swapped")
    response.set_cookie("theme", "dark", max_age=3600, httponly=True)
    response.delete_cookie("legacy")
    return response


async def stream_context(request: Request) -> StreamingResponse:
    """Stream a generator that reads the request."""

    async def lines() -> AsyncIterator[bytes]:
        name = request.query_params.get("name", "anonymous")
        for i in range(5):
            yield f"{name} {i}\n".encode()

    return StreamingResponse(lines(), media_type="text/plain")


async def upload(request: Request) -> PlainTextResponse:
    """Read a raw request body."""
    data = await request.body()
    return PlainTextResponse(f"received {len(data)} bytes")


async def rows(request: Request) -> JSONResponse:
    """A list of 100 small dicts as JSON."""
    return JSONResponse(ROWS)


async def async_wait(request: Request) -> PlainTextResponse:
    """Await something once (here, a yield to the event loop)."""
    await asyncio.sleep(0)
    return PlainTextResponse("waited")


async def add_message(request: Request) -> RedirectResponse:
    """Flash a message and redirect to the page that shows it."""
    flash(request, "Saved.")
    return RedirectResponse(request.app.url_path_for("show_messages"), status_code=302)


async def show_messages(request: Request) -> Response:
    """Render the flashed messages (the template calls get_flashed_messages())."""
    return TEMPLATES.TemplateResponse(request, "messages.html")


async def maintenance_status(request: Request) -> PlainTextResponse:
    """Never reached: the middleware answers first."""
    return PlainTextResponse("up")


async def any_error(request: Request, error: Exception) -> Response:
    """Turn any exception into a 500 page."""
    return PlainTextResponse(f"error: {type(error).__name__}", status_code=500)


async def guarded_fail(request: Request) -> NoReturn:
    """A bug in the view."""
    raise ValueError("bad input")


async def profile(request: Request) -> Response:
    """Render a template that uses the context processor's variables."""
    return SITE_TEMPLATES.TemplateResponse(request, "profile.html", {"title": "Profile"})


async def catalog(request: Request) -> JSONResponse:
    """A large JSON document: 1,000 objects in a dict."""
    return JSONResponse({"count": len(CATALOG), "items": CATALOG})


async def create_thing(request: Request) -> JSONResponse:
    """Validate a JSON body and echo it back with 201."""
    data = await request.json()
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise HTTPException(status_code=400)
    if not isinstance(data.get("price"), int | float) or data["price"] < 0:
        raise HTTPException(status_code=400)
    document = {"id": 1, "name": data["name"], "price": data["price"], "tags": data["tags"]}
    return JSONResponse(document, status_code=201)


async def meta(request: Request) -> HTMLResponse:
    """Read the request's metadata: method, path, URL, client address, host, headers."""
    client = request.client.host if request.client else ""
    return HTMLResponse(
        f"{request.method} {request.url.path} {request.url} {client} "
        f"{request.headers['host']} {request.url.scheme} {request.headers['accept']}"
    )


async def tags(request: Request) -> HTMLResponse:
    """A repeated query argument (getlist) and a typed one."""
    names = request.query_params.getlist("tag")
    limit = int(request.query_params.get("limit", 10))
    return HTMLResponse(f"tags={','.join(names)} limit={limit}")


async def secure(request: Request) -> HTMLResponse:
    """A response with eight headers (a security-headers set)."""
    return HTMLResponse("secure", headers=SECURITY_HEADERS)


async def cookie_full(request: Request) -> HTMLResponse:
    """set_cookie with every attribute."""
    response = HTMLResponse("cookie set")
    response.set_cookie(
        "sid",
        "abc123",
        max_age=3600,
        expires=COOKIE_EXPIRES,
        path="/",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="lax",
    )
    return response


async def object_by_uuid(request: Request) -> JSONResponse:
    """A uuid converter."""
    object_id = request.path_params["object_id"]
    return JSONResponse({"id": str(object_id), "version": object_id.version})


async def file_path(request: Request) -> HTMLResponse:
    """A path converter (slashes included)."""
    return HTMLResponse(f"path {request.path_params['subpath']}")


async def share(request: Request) -> JSONResponse:
    """An absolute URL."""
    return JSONResponse({"url": str(request.url_for("user", user_id=42))})


async def made_tuple(request: Request) -> HTMLResponse:
    """A response with body, status and headers, then one more header."""
    response = HTMLResponse("created", status_code=201, headers={"X-Custom": "1"})
    response.headers["X-Extra"] = "2"
    return response


async def raw_json(request: Request) -> Response:
    """A Response of hand-serialised JSON with a JSON media type."""
    payload = {"id": 7, "name": "widget", "tags": ["a", "b"]}
    return Response(json.dumps(payload), media_type="application/json")


async def article(request: Request) -> Response:
    """A conditional GET: an ETag from the content, 304 when the client has it."""
    body = ARTICLE.encode()
    etag = f'"{hashlib.md5(body).hexdigest()}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return HTMLResponse(body, headers={"ETag": etag})


class ResourceEndpoint(HTTPEndpoint):
    """A GET endpoint that also answers OPTIONS with its methods."""

    async def get(self, request: Request) -> HTMLResponse:
        """The resource."""
        return HTMLResponse("resource")

    async def options(self, request: Request) -> Response:
        """The methods this resource allows."""
        return Response(headers={"Allow": "GET, HEAD, OPTIONS"})


async def upload_file(request: Request) -> HTMLResponse:
    """A small multipart upload: one file and one text field."""
    form = await request.form()
    upload = form["file"]
    assert not isinstance(upload, str)
    data = await upload.read()
    return HTMLResponse(f"{form['title']}: {upload.filename} {len(data)} bytes")


async def stream_100(request: Request) -> StreamingResponse:
    """Stream a hundred chunks from an async generator."""

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(100):
            yield f"line {i}\n".encode()

    return StreamingResponse(chunks(), media_type="text/plain")


async def g_heavy(request: Request) -> HTMLResponse:
    """Per-request state on request.state: set, read, test, default, delete."""
    state = request.state
    state.user = "alice"
    state.role = "admin"
    state.request_id = "r-1"
    state.items = []
    for i in range(5):
        state.items.append(i)
    if not hasattr(state, "counter"):
        state.counter = 0
    seen = hasattr(state, "user")
    missing = getattr(state, "missing", "none")
    role = state.role
    del state.role
    count = len(state.items)
    return HTMLResponse(
        f"{state.user} {role} {state.request_id} {count} {state.counter} {seen} {missing}"
    )


async def settings(request: Request) -> JSONResponse:
    """Read the app's configuration from app.state."""
    config = request.app.state.config
    return JSONResponse(
        {
            "page_size": config["PAGE_SIZE"],
            "site": config.get("SITE_NAME", ""),
            "missing": config.get("NOT_SET", "default"),
            "debug": request.app.debug,
        }
    )


def sync_cpu(request: Request) -> HTMLResponse:
    """A sync endpoint doing a little CPU work (threadpool)."""
    total = sum(i * i for i in range(200))
    return HTMLResponse(f"sum={total}")


async def ws_fanout(websocket: WebSocket) -> None:
    """Answer every message with ten until the client goes away."""
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            for i in range(10):
                await websocket.send_text(f"{data} {i}")
    except WebSocketDisconnect:
        pass


async def ws_bytes(websocket: WebSocket) -> None:
    """Echo binary messages until the client goes away."""
    await websocket.accept()
    try:
        while True:
            await websocket.send_bytes(await websocket.receive_bytes())
    except WebSocketDisconnect:
        pass


async def private_data(request: Request) -> HTMLResponse:
    """Reached only with the token."""
    return HTMLResponse("secret")


async def admin_forbidden(request: Request, error: Exception) -> JSONResponse:
    """A JSON error body carrying the exception's detail."""
    detail = error.detail if isinstance(error, HTTPException) else ""
    return JSONResponse({"error": "forbidden", "detail": detail}, status_code=403)


async def admin_users(request: Request) -> NoReturn:
    """HTTPException(403) with a detail."""
    raise HTTPException(status_code=403, detail="admins only")


async def v1_profile(request: Request) -> JSONResponse:
    """A route in a Mount nested in another."""
    user_id = request.path_params["user_id"]
    return JSONResponse({"id": user_id, "name": f"user {user_id}"})


class ResponseError(Exception):
    """An exception carrying a ready response (Starlette's stand-in for abort(Response))."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def response_error(request: Request, error: Exception) -> Response:
    """Send the response the exception carries."""
    assert isinstance(error, ResponseError)
    return error.response


async def not_in_catalog(request: Request, error: Exception) -> HTMLResponse:
    """Any failed lookup (KeyError, IndexError) becomes a 404."""
    return HTMLResponse(f"missing: {error}", status_code=404)


class SetState:
    """Pure ASGI middleware: store a value in the request state and count the hooks run."""

    def __init__(self, app: ASGIApp, key: str = "", value: Any = None) -> None:
        self.app = app
        self.key = key
        self.value = value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Set ``state[key]`` (if a key is given), count this hook, run the route."""
        state = scope.setdefault("state", {})
        if self.key:
            state[self.key] = self.value
        state["hooks"] = state.get("hooks", 0) + 1
        await self.app(scope, receive, send)


def int_arg(request: Request, name: str, default: int) -> int:
    """A query argument as an int, ``default`` when missing or not a number."""
    try:
        return int(request.query_params[name])
    except (KeyError, ValueError):
        return default


def best_match(accept: str, offered: list[str]) -> str | None:
    """The offered media type the ``Accept`` header prefers (Starlette has no parser)."""
    quality: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = part.split(";")
        q = 1.0
        for param in params:
            key, _, value = param.strip().partition("=")
            if key == "q":
                q = float(value)
        quality[media.strip()] = q
    ranked = [(quality.get(m, quality.get("*/*", 0.0)), -i, m) for i, m in enumerate(offered)]
    score, _, media = max(ranked)
    return media if score > 0 else None


async def create_note(request: Request) -> JSONResponse:
    """A JSON body in; 201 with a dict out."""
    data = await request.json()
    return JSONResponse({"id": 3, "title": data["title"], "done": data["done"]}, status_code=201)


async def contact(request: Request) -> RedirectResponse:
    """Post/Redirect/Get: read the form, redirect to the thank-you page with a 303."""
    form = await request.form()
    target = f"{request.app.url_path_for('contact_thanks')}?{urlencode({'name': form['name']})}"
    return RedirectResponse(target, status_code=303)


async def contact_thanks(request: Request) -> HTMLResponse:
    """Where the contact form redirects."""
    return HTMLResponse(f"thanks {request.query_params.get('name', '')}")


async def link_page(request: Request) -> Response:
    """A template building absolute URLs with url_for."""
    return TEMPLATES.TemplateResponse(request, "links_starlette.html")


async def preload(request: Request) -> HTMLResponse:
    """Two cookies and repeated headers added to one response."""
    response = HTMLResponse("preloaded")
    response.set_cookie("a", "1")
    response.set_cookie("b", "2", httponly=True)
    for link in PRELOAD_LINKS:
        response.headers.append("Link", link)
    response.headers.append("Vary", "Cookie")
    return response


async def teapot(request: Request) -> NoReturn:
    """Raise a ready response."""
    raise ResponseError(PlainTextResponse("short and stout", status_code=418))


async def product(request: Request) -> HTMLResponse:
    """A dict lookup that fails for unknown names (the LookupError handler answers)."""
    return HTMLResponse(f"price {PRICES[request.path_params['name']]}")


async def timed(request: Request) -> HTMLResponse:
    """A header added to the response (no after-this-request callbacks in Starlette)."""
    response = HTMLResponse("timed")
    response.headers["X-Timed"] = "1"
    return response


async def list_items(request: Request) -> HTMLResponse:
    """Typed query arguments with defaults (a missing and an invalid one fall back)."""
    page = int_arg(request, "page", 1)
    per_page = int_arg(request, "per_page", 20)
    sort = request.query_params.get("sort", "id")
    desc = request.query_params.get("desc", "0") == "1"
    return HTMLResponse(f"page={page} per_page={per_page} sort={sort} desc={desc}")


async def asset(request: Request) -> FileResponse:
    """Serve a file from a folder, the name taken from the URL (kept inside the folder)."""
    path = (STATIC_DIR / request.path_params["filename"]).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise HTTPException(status_code=404)
    return FileResponse(path)


async def export_csv(request: Request) -> Response:
    """A CSV download."""
    lines = ["id,name,active", *(f"{r['id']},{r['name']},{r['active']}" for r in CSV_ROWS)]
    return Response(
        "\n".join(lines) + "\n",
        media_type="text/csv",
        headers={"Content-Disposition": "attachment; filename=export.csv"},
    )


async def raw_note(request: Request) -> HTMLResponse:
    """A text body read as str."""
    text = (await request.body()).decode()
    lines = text.splitlines()
    return HTMLResponse(f"{len(lines)} lines, first: {lines[0]}")


async def negotiate(request: Request) -> Response:
    """Content negotiation on the Accept header."""
    best = best_match(request.headers.get("accept", "*/*"), ["text/html", "application/json"])
    if best == "application/json":
        return JSONResponse({"format": "json"})
    return HTMLResponse("<p>format: html</p>")


async def mixed(request: Request) -> HTMLResponse:
    """Five converters in one route."""
    p = request.path_params
    return HTMLResponse(f"{p['a']} {p['b']} {p['c']} {p['d']} {p['e']}")


async def report(request: Request) -> Response:
    """A conditional GET on Last-Modified: 304 when the client's copy is current."""
    last_modified = format_datetime(REPORT_MODIFIED, usegmt=True)
    since = request.headers.get("if-modified-since")
    if since is not None:
        try:
            current = parsedate_to_datetime(since) >= REPORT_MODIFIED
        except (TypeError, ValueError):
            current = False
        if current:
            return Response(status_code=304, headers={"Last-Modified": last_modified})
    return HTMLResponse(ARTICLE, headers={"Last-Modified": last_modified})


async def remember(request: Request) -> HTMLResponse:
    """Copy a cookie into the session (SessionMiddleware's cookie always has a max_age)."""
    theme = request.cookies.get("theme", "light")
    request.session["theme"] = theme
    return HTMLResponse(f"remembered {theme}")


async def ws_json_multi(websocket: WebSocket) -> None:
    """Answer every JSON message with three until the client goes away."""
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_json()
            for i in range(3):
                await websocket.send_json({"n": data["n"], "reply": i})
    except WebSocketDisconnect:
        pass


async def ws_chat(websocket: WebSocket) -> None:
    """Accept with the subprotocol we speak, then echo until the client goes away."""
    if WS_SUBPROTOCOL not in websocket.scope["subprotocols"]:
        await websocket.close(code=1002)
        return
    await websocket.accept(subprotocol=WS_SUBPROTOCOL)
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


async def member_detail(request: Request) -> HTMLResponse:
    """A route three mounts deep reading what every middleware stored."""
    state = request.state
    member_id = request.path_params["member_id"]
    return HTMLResponse(f"{state.tenant}/{state.team}/{member_id} via {state.hooks} hooks")


def sync_whoami(request: Request) -> HTMLResponse:
    """A sync endpoint (threadpool) reading the middleware's state."""
    return HTMLResponse(f"user={request.state.user}")


# --- round 5 shapes: multi-value forms, files, background work, SSE, redirects, errors ---


async def survey(request: Request) -> HTMLResponse:
    """A form with a repeated field (checkboxes): getlist."""
    form = await request.form()
    topics = form.getlist("topic")
    return HTMLResponse(f"{form['name']}: {','.join(map(str, topics))}")


async def gallery(request: Request) -> HTMLResponse:
    """Several files under one field name."""
    form = await request.form()
    sizes = []
    for upload in form.getlist("photos"):
        assert isinstance(upload, UploadFile)
        sizes.append(f"{upload.filename}={len(await upload.read())}")
    return HTMLResponse(" ".join(sizes))


async def signup(request: Request) -> HTMLResponse:
    """Answer now, do the slow part after the response (a background task)."""
    return HTMLResponse("queued", background=BackgroundTask(record_background, "welcome-mail"))


async def events(request: Request) -> StreamingResponse:
    """Server-Sent Events: a few events on a text/event-stream response."""

    async def stream() -> AsyncIterator[bytes]:
        for i in range(SSE_EVENTS):
            yield sse_event(i).encode()

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


async def docs_slash(request: Request) -> RedirectResponse:
    """GET /docs: a permanent redirect to /docs/ (Starlette's own slash redirect is a 307
    found only after every route failed to match)."""
    return RedirectResponse(str(request.url_for("docs_index")), status_code=308)


async def docs_index(request: Request) -> HTMLResponse:
    """The route with the trailing slash."""
    return HTMLResponse("docs")


async def blob(request: Request) -> Response:
    """A large (1 MiB) binary body."""
    return Response(BLOB, media_type="application/octet-stream")


async def page_visit(request: Request) -> Response:
    """A rendered template, then a cookie."""
    context = {"title": "Items", "items": ITEMS}
    response = TEMPLATES.TemplateResponse(request, "page.html", context)
    response.set_cookie("last_page", "items", max_age=3600)
    return response


async def report_view(request: Request) -> HTMLResponse:
    """One endpoint answering GET and POST."""
    return HTMLResponse(f"{request.method} report {request.path_params['year']}")


async def audit(request: Request) -> HTMLResponse:
    """Run a helper in another task that reads the request."""

    async def who() -> str:
        return f"{request.method} {request.url.path} by {request.headers['user-agent']}"

    return HTMLResponse(await asyncio.ensure_future(who()))


async def json_silent(request: Request) -> JSONResponse:
    """A malformed JSON body answered with a JSON 400."""
    try:
        await request.json()
    except ValueError:
        return JSONResponse({"error": "invalid JSON"}, status_code=400)
    return JSONResponse({"ok": True})


async def whoami_basic(request: Request) -> HTMLResponse:
    """HTTP Basic credentials, decoded by hand (Starlette has no parser)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    try:
        username, _, password = base64.b64decode(token).decode().partition(":")
    except ValueError:
        username, password = "", ""
    if scheme.lower() != "basic" or password != "secret":
        raise HTTPException(401)
    return HTMLResponse(f"basic {username}")


async def create_todo(request: Request) -> JSONResponse:
    """REST create: JSON in, JSON out with 201 and a Location."""
    data = await request.json()
    todo_item = {"id": 12, "title": data["title"]}
    location = request.app.url_path_for("todo", todo_id=todo_item["id"])
    return JSONResponse(todo_item, status_code=201, headers={"Location": location})


async def todo(request: Request) -> JSONResponse:
    """Where create_todo's Location points."""
    return JSONResponse({"id": request.path_params["todo_id"]})


async def export_bytes(request: Request) -> Response:
    """An in-memory file as a download."""
    headers = {"Content-Disposition": "attachment; filename=report.csv"}
    return Response(REPORT_CSV, media_type="text/csv", headers=headers)


async def cached(request: Request) -> JSONResponse:
    """A cacheable JSON response."""
    return JSONResponse(ROWS[:3], headers={"Cache-Control": "public, max-age=300"})


async def quiet(request: Request) -> JSONResponse:
    """Log at levels the logger does not emit (debug and info)."""
    LOGGER.debug("listing %d items", len(ITEMS))
    LOGGER.info("listing for %s", request.url.path)
    return JSONResponse({"items": len(ITEMS)})


def login_required(endpoint: Any) -> Any:
    """Redirect anonymous users to the login page."""

    @functools.wraps(endpoint)
    async def wrapped(request: Request) -> Any:
        if request.session.get("user") is None:
            query = urlencode({"next": request.url.path}, safe="/")
            return RedirectResponse(f"{request.app.url_path_for('login_page')}?{query}", 302)
        return await endpoint(request)

    return wrapped


async def login_page(request: Request) -> HTMLResponse:
    """Where login_required sends anonymous users."""
    return HTMLResponse("sign in")


@login_required
async def dashboard(request: Request) -> HTMLResponse:
    """Reached only when signed in."""
    return HTMLResponse(f"dashboard of {request.session['user']}")


async def api_http_error(request: Request, error: Exception) -> JSONResponse:
    """Every HTTP error of the API mount as JSON."""
    assert isinstance(error, HTTPException)
    body = {
        "code": error.status_code,
        "name": HTTPStatus(error.status_code).phrase,
        "description": error.detail,
    }
    return JSONResponse(body, status_code=error.status_code)


async def api_server_error(request: Request, error: Exception) -> HTMLResponse:
    """An unhandled exception: logged, then a 500 page naming it."""
    LOGGER.error(f"Exception on request {request.method} {request.url.path}", exc_info=error)
    return HTMLResponse(f"internal error: {type(error).__name__}", status_code=500)


async def api_orders(request: Request) -> NoReturn:
    """A 400 with a description."""
    raise HTTPException(400, detail="missing field: sku")


async def api_crash(request: Request) -> NoReturn:
    """A bug."""
    raise RuntimeError("boom")


OPEN_SOCKETS: set[object] = set()


class SocketResource:
    """Pure ASGI middleware: per-connection setup and release around a websocket."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Store the user and a resource in the state; always release the resource."""
        state = scope.setdefault("state", {})
        user = dict(scope["headers"]).get(b"user-agent", b"anonymous").decode("latin-1")
        state["user"] = user
        state["resource"] = resource = object()
        OPEN_SOCKETS.add(resource)
        try:
            await self.app(scope, receive, send)
        finally:
            OPEN_SOCKETS.discard(resource)


async def ws_hooked_view(websocket: WebSocket) -> None:
    """One exchange per connection, then close."""
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"{websocket.state.user} {len(OPEN_SOCKETS)}: {data}")
    await websocket.close()


async def ws_headers(websocket: WebSocket) -> None:
    """Accept with a response header, answer one message, close."""
    name, value = WS_ACCEPT_HEADER
    await websocket.accept(headers=[(name.lower().encode(), value.encode())])
    await websocket.send_text(await websocket.receive_text())
    await websocket.close()


broker = Broker()


async def ws_room(websocket: WebSocket) -> None:
    """Every message goes to every connection in the room (the same broker), as the
    broadcaster README's Starlette chat writes it (and in the layout of Quart's tutorial,
    which the other apps follow): a task receives and publishes, the endpoint sends what
    the room publishes."""
    await websocket.accept()
    async with anyio.create_task_group() as task_group:

        async def relay() -> None:
            try:
                while True:
                    await broker.publish(await websocket.receive_text())
            except WebSocketDisconnect:
                pass
            task_group.cancel_scope.cancel()

        task_group.start_soon(relay)
        async for message in broker.subscribe():
            await websocket.send_text(message)


async def ws_room_feed(websocket: WebSocket) -> None:
    """The same room the other way round: the endpoint receives and publishes, a task
    sends what the room publishes."""
    await websocket.accept()

    async def forward() -> None:
        async for message in broker.subscribe():
            await websocket.send_text(message)

    task = asyncio.ensure_future(forward())
    try:
        while True:
            await broker.publish(await websocket.receive_text())
    except WebSocketDisconnect:
        pass
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


# --- round 6 shapes -------------------------------------------------------------------------


async def query_50(request: Request) -> JSONResponse:
    """Fifty query arguments: all of them as a dict, two by name."""
    params = request.query_params
    everything = dict(params)
    return JSONResponse(
        {"count": len(everything), "a7": params.get("a7"), "a49": int_arg(request, "a49", 0)}
    )


async def prefs(request: Request) -> HTMLResponse:
    """Thirty cookies: how many, and one of them."""
    cookies = request.cookies
    return HTMLResponse(f"{len(cookies)} cookies, c7={cookies.get('c7')}")


async def bulk(request: Request) -> JSONResponse:
    """A 1 MiB JSON body."""
    data = await request.json()
    return JSONResponse({"count": len(data["items"])})


async def upload_big(request: Request) -> HTMLResponse:
    """A 1 MiB file upload (multipart)."""
    async with request.form() as form:
        upload = form["file"]
        assert isinstance(upload, UploadFile)
        return HTMLResponse(f"{upload.filename} {len(await upload.read())}")


async def export_stream(request: Request) -> StreamingResponse:
    """A streamed CSV download (the generator closes over the request)."""

    async def rows() -> AsyncIterator[str]:
        yield f"id,name,{request.query_params.get('by', 'anon')}\n"
        for row in CSV_ROWS:
            yield f"{row['id']},{row['name']}\n"

    return StreamingResponse(
        rows(),
        media_type="text/csv",
        headers={"Content-Disposition": "attachment; filename=rows.csv"},
    )


async def feed(request: Request) -> StreamingResponse:
    """An async generator streamed with a media type and a header (NDJSON)."""

    async def lines() -> AsyncIterator[bytes]:
        for i in range(NDJSON_LINES):
            yield ndjson_line(i).encode()

    return StreamingResponse(
        lines(), media_type="application/x-ndjson", headers={"X-Lines": str(NDJSON_LINES)}
    )


async def overview(request: Request) -> JSONResponse:
    """Three helpers run concurrently with asyncio.gather, closing over the request."""

    async def part(name: str) -> str:
        await asyncio.sleep(0)
        return f"{name}:{request.query_params.get('user', 'anon')}"

    parts = await asyncio.gather(part("profile"), part("orders"), part("alerts"))
    return JSONResponse({"parts": parts})


async def shop_error(request: Request, error: Exception) -> JSONResponse:
    """The app's own errors as JSON."""
    assert isinstance(error, ShopError)
    body = {"error": type(error).__name__, "kind": "shop", "message": str(error)}
    return JSONResponse(body, status_code=error.status)


async def payment_error(request: Request, error: Exception) -> JSONResponse:
    """Payment errors, more specific than ShopError."""
    body = {"error": type(error).__name__, "kind": "payment", "message": str(error)}
    return JSONResponse(body, status_code=402)


async def checkout(request: Request) -> NoReturn:
    """Raise an exception two classes below the handled one."""
    raise CardDeclined("card declined")


async def store_item(request: Request) -> HTMLResponse:
    """Where the share links point."""
    return HTMLResponse(f"store item {request.path_params['item_id']}")


async def store_index(request: Request) -> HTMLResponse:
    """The mount's index."""
    return HTMLResponse("store")


async def store_share(request: Request) -> JSONResponse:
    """Absolute and relative URLs of the mount's routes, and a static file's."""
    item_id = request.path_params["item_id"]
    return JSONResponse(
        {
            "self": str(request.url_for("store:store_item", item_id=item_id)),
            "index": request.app.url_path_for("store:store_index"),
            "file": str(request.url_for("static", path="hello.txt")),
        }
    )


class BetaOnly:
    """Pure ASGI middleware: a feature flag; without the header the mount is a 404."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Raise a 404 unless ``X-Beta: 1`` came."""
        if Request(scope).headers.get("x-beta") != "1":
            raise HTTPException(404)
        await self.app(scope, receive, send)


async def beta_search(request: Request) -> HTMLResponse:
    """Reached only with the flag."""
    return HTMLResponse("beta search")


class LoadMember:
    """Pure ASGI middleware: who is signed in, in the request state for the templates."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Store the user and role, run the route."""
        state = scope.setdefault("state", {})
        state["user"] = "alice"
        state["role"] = "admin"
        await self.app(scope, receive, send)


async def members_home(request: Request) -> Response:
    """A template file reading the user the mount's middleware stored."""
    context = {"title": "Home", "g": request.state}
    return TEMPLATES.TemplateResponse(request, "member.html", context)


def require_api_key(method: Any) -> Any:
    """A decorator (functools.wraps) on endpoint methods checking an API key header."""

    @functools.wraps(method)
    async def wrapped(self: Any, request: Request) -> Any:
        if request.headers.get("x-api-key") != API_KEY:
            raise HTTPException(401)
        return await method(self, request)

    return wrapped


class InvoiceAPI(HTTPEndpoint):
    """A class-based endpoint whose methods carry the decorator."""

    @require_api_key
    async def get(self, request: Request) -> JSONResponse:
        """One invoice."""
        invoice_id = request.path_params["invoice_id"]
        return JSONResponse({"id": invoice_id, "total": 120, "currency": "EUR"})

    @require_api_key
    async def delete(self, request: Request) -> Response:
        """Delete it."""
        return Response(status_code=204)


async def post_likes(request: Request) -> JSONResponse:
    """The GET route of a pair on one path."""
    return JSONResponse({"post": request.path_params["slug"], "likes": 3})


async def like_post(request: Request) -> JSONResponse:
    """The POST route of the pair."""
    return JSONResponse({"post": request.path_params["slug"], "liked": True}, status_code=201)


async def blog(request: Request) -> HTMLResponse:
    """Two routes for one endpoint; the first has no page parameter."""
    return HTMLResponse(f"blog page {request.path_params.get('page', 1)}")


async def intl_about(request: Request) -> JSONResponse:
    """A language from the path, and a URL that keeps it."""
    lang = request.path_params["lang_code"]
    return JSONResponse(
        {"lang": lang, "self": request.app.url_path_for("intl_about", lang_code=lang)}
    )


def json_default(value: Any) -> Any:
    """What json.dumps cannot encode itself: dataclasses, datetimes, UUIDs, Decimals."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, datetime):
        return format_datetime(value, usegmt=True)
    if isinstance(value, UUID | Decimal):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


class DefaultJSONResponse(JSONResponse):
    """A JSONResponse encoding dataclasses, datetimes, UUIDs and Decimals."""

    def render(self, content: Any) -> bytes:
        """Serialise with :func:`json_default`."""
        return json.dumps(content, default=json_default, separators=(",", ":")).encode()


async def events_json(request: Request) -> JSONResponse:
    """Dataclasses with datetime, UUID and Decimal fields."""
    return DefaultJSONResponse({"events": EVENTS})


class CheckToken:
    """Pure ASGI middleware: refuse a websocket without a known token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Close before accepting unless the token is known; else store the user."""
        token = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        user = WS_TOKENS.get(token)
        if user is None:
            await send({"type": "websocket.close", "code": 1008})
            return
        scope.setdefault("state", {})["user"] = user
        await self.app(scope, receive, send)


async def ws_token_view(websocket: WebSocket) -> None:
    """One exchange per connection, naming the authenticated user, then close."""
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"{websocket.state.user}: {data}")
    await websocket.close()


# --- round 7 shapes: websocket idioms, streaming, big inputs, URL building, helpers --------


async def ws_idle(websocket: WebSocket) -> None:
    """A receive loop with a timeout: a quiet client is pinged, a message is echoed."""
    await websocket.accept()
    try:
        while True:
            try:
                data = await asyncio.wait_for(websocket.receive_text(), timeout=WS_IDLE_TIMEOUT)
            except TimeoutError:
                await websocket.send_text("ping")
                continue
            await websocket.send_text(data)
    except WebSocketDisconnect:
        pass


async def ws_rpc(websocket: WebSocket) -> None:
    """receive_json, then a reply dict built from it."""
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_json()
            message = data["message"]
            await websocket.send_json(
                {"id": data["n"], "ok": True, "echo": message, "length": len(message)}
            )
    except WebSocketDisconnect:
        pass


async def ws_room_member(websocket: WebSocket) -> None:
    """Path parameter and query argument of the handshake, one message, close."""
    room_id = websocket.path_params["room_id"]
    name = websocket.query_params.get("name", "anonymous")
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"room {room_id} {name}: {data}")
    await websocket.close()


async def ws_welcome(websocket: WebSocket) -> None:
    """Accept and greet before the client says anything, one message, close."""
    await websocket.accept()
    await websocket.send_text(WS_GREETING)
    data = await websocket.receive_text()
    await websocket.send_text(f"you said: {data}")
    await websocket.close()


async def ws_bye(websocket: WebSocket) -> None:
    """One message, then close with the app's own code and reason."""
    await websocket.accept()
    await websocket.send_text(await websocket.receive_text())
    await websocket.close(code=WS_CLOSE[0], reason=WS_CLOSE[1])


async def ws_tasks(websocket: WebSocket) -> None:
    """A receiving and a sending task joined through a queue (an anyio task group, as in
    the broadcaster README's Starlette chat)."""
    await websocket.accept()
    queue: asyncio.Queue[str] = asyncio.Queue()
    async with anyio.create_task_group() as task_group:

        async def receiving() -> None:
            try:
                while True:
                    await queue.put(await websocket.receive_text())
            except WebSocketDisconnect:
                pass
            task_group.cancel_scope.cancel()

        async def sending() -> None:
            while True:
                await websocket.send_text(await queue.get())

        task_group.start_soon(receiving)
        task_group.start_soon(sending)


async def ws_negotiate(websocket: WebSocket) -> None:
    """Pick the server's preferred subprotocol among those offered, one message, close."""
    offered = websocket.scope["subprotocols"]
    chosen = next((name for name in WS_SERVER_PROTOCOLS if name in offered), None)
    if chosen is None:
        await websocket.close(code=1002)
        return
    await websocket.accept(subprotocol=chosen)
    data = await websocket.receive_text()
    await websocket.send_text(f"{chosen}: {data}")
    await websocket.close()


async def live(request: Request) -> StreamingResponse:
    """Server-Sent Events for an event-stream client, with the recipe's headers."""
    if "text/event-stream" not in request.headers.get("accept", ""):
        raise HTTPException(400)

    async def send_events() -> AsyncIterator[bytes]:
        for index in range(SSE_LIVE_EVENTS):
            yield live_event(index).encode()

    return StreamingResponse(
        send_events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "Transfer-Encoding": "chunked"},
    )


async def rows_ndjson(request: Request) -> StreamingResponse:
    """A sync generator of JSON lines (Starlette iterates it in its threadpool)."""

    def generate() -> Any:
        for row in CSV_ROWS:
            yield json.dumps(row) + "\n"

    return StreamingResponse(generate(), media_type="application/x-ndjson")


async def trace(request: Request) -> JSONResponse:
    """Thirty-two X-Trace-* request headers gathered from request.headers."""
    traces = {k: v for k, v in request.headers.items() if k.startswith("x-trace-")}
    return JSONResponse(
        {"count": len(traces), "first": traces["x-trace-0"], "last": traces["x-trace-31"]}
    )


async def order_quote(request: Request) -> JSONResponse:
    """request.json() of a nested document, walked to a summary."""
    return JSONResponse(quote_totals(await request.json()))


async def quota(request: Request) -> JSONResponse:
    """A JSON 422 raised as a ready response (the app's ResponseError handler)."""
    try:
        limit: int | None = int(request.query_params["limit"])
    except (KeyError, ValueError):
        limit = None
    if limit is None or not 0 < limit <= QUOTA_LIMIT:
        error = {"error": "limit must be 1..100", "limit": limit}
        raise ResponseError(JSONResponse(error, status_code=422))
    return JSONResponse({"limit": limit})


async def archive_post(request: Request) -> HTMLResponse:
    """Where the archive links point."""
    params = request.path_params
    return HTMLResponse(f"{params['year']}/{params['month']} {params['slug']}")


async def archive_links(request: Request) -> JSONResponse:
    """url_path_for with three path values; the query (one a list) and anchor by hand."""
    query = urlencode({"page": 2, "sort": "new", "tag": ["a", "b"]}, doseq=True)
    url_path_for = request.app.url_path_for
    links = [
        f"{url_path_for('archive_post', year=2025, month=month, slug=f'post-{month}')}"
        f"?{query}#comments"
        for month in range(1, ARCHIVE_MONTHS + 1)
    ]
    return JSONResponse({"links": links})


async def media_clip(request: Request) -> FileResponse:
    """FileResponse of an 8 KiB file: a Range request gets 206."""
    return FileResponse(CLIP_FILE, media_type="text/plain")


def require_role(role: str) -> Any:
    """A decorator factory: the endpoint needs the role in the X-Role header."""

    def decorator(endpoint: Any) -> Any:
        @functools.wraps(endpoint)
        async def wrapped(request: Request) -> Any:
            if request.headers.get(ROLE_HEADER[0]) != role:
                raise HTTPException(403)
            return await endpoint(request)

        return wrapped

    return decorator


async def update_account(request: Request) -> JSONResponse:
    """PUT a JSON document to an account."""
    data = await request.json()
    account_id = request.path_params["account_id"]
    return JSONResponse({"id": account_id, "name": data["name"], "updated": True})


def get_db(request: Request) -> FakeDatabase:
    """One connection per request, kept on request.state."""
    state = request.state
    if not hasattr(state, "db"):
        state.db = FakeDatabase(request.app.state.config["SITE_NAME"])
    db: FakeDatabase = state.db
    return db


def current_user(request: Request) -> dict[str, Any]:
    """The user named by the query, looked up once per request."""
    state = request.state
    if not hasattr(state, "user"):
        state.user = get_db(request).user(request.query_params.get("uid", "0"))
    user: dict[str, Any] = state.user
    return user


def record_event(request: Request, event: str) -> None:
    """Remember what the request did."""
    state = request.state
    if not hasattr(state, "events"):
        state.events = []
    state.events.append(event)


async def account_summary(request: Request) -> JSONResponse:
    """An endpoint going through small helpers that share state on request.state."""
    record_event(request, "open")
    user = current_user(request)
    orders = get_db(request).orders(current_user(request))
    record_event(request, "orders")
    return JSONResponse(
        {
            "user": user["name"],
            "orders": orders,
            "events": request.state.events,
            "queries": get_db(request).queries,
            "db": get_db(request).name,
        }
    )


def checksum_view(request: Request) -> JSONResponse:
    """A sync endpoint doing CPU work (SHA-256 rounds) on a query argument (threadpool)."""
    rounds = int(request.query_params.get("rounds", 1))
    return JSONResponse({"rounds": rounds, "digest": checksum(CHECKSUM_INPUT, rounds)})


def _numbered_route(index: int) -> Route:
    """Build ``/r<index>`` returning ``route <index>``."""

    async def numbered(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"route {index}")

    return Route(f"/r{index}", numbered)


routes: list[BaseRoute] = [
    Route("/plaintext", plaintext),
    Route("/bytes", raw_bytes),
    Route("/dict", as_dict),
    Route("/list", as_list),
    Route("/json", json_message),
    Route("/jsonify-201", json_created),
    Route("/tuple-status", tuple_status),
    Route("/tuple-headers", tuple_headers),
    Route("/tuple", tuple_full),
    Route("/response", response_object),
    Route("/make-response", made_response),
    Route("/redirect", to_plaintext),
    Route("/sync", sync_view),
    Route("/users/{user_id:int}", user),
    Route("/users/{user_id:int}/posts/{slug}", user_post),
    Route("/items/{item_id:int}", item),
    Route("/search", search),
    Route("/form", form, methods=["POST"]),
    Route("/json-post", json_post, methods=["POST"]),
    Route("/echo", echo, methods=["POST"]),
    Route("/cookies", cookies),
    Route("/session", session_read, middleware=SESSION),
    Route("/session/write", session_write, middleware=SESSION),
    Route("/conflict", busy),
    Route("/template", template),
    Route("/page", page),
    Route("/stream", stream),
    WebSocketRoute("/ws", ws),
    WebSocketRoute("/ws-json", ws_json),
    Route("/hooks", hooked, middleware=HOOKS),
    Route("/login", login, middleware=[*SESSION, *HOOKS]),
    Route("/lifecycle", lifecycle, middleware=[*SESSION, *HOOKS]),
    Mount("/api", routes=[Route("/status", api_status)], middleware=[Middleware(RequireToken)]),
    Mount(
        "/shop",
        routes=[Route("/{item_id:int}", shop_item)],
        middleware=[Middleware(ExceptionMiddleware, handlers={404: no_item})],
    ),
    Route("/db", use_connection, middleware=[Middleware(CloseConnection)]),
    Route("/api-items/{item_id:int}", ItemAPI),
    Route("/links", links),
    Route("/whoami", whoami),
    Route("/download", download),
    Route("/forbidden", forbidden),
    Route("/cookie-swap", cookie_swap),
    Route("/stream-context", stream_context),
    Route("/upload", upload, methods=["POST"]),
    Route("/rows", rows),
    Route("/async-wait", async_wait),
    Route("/flash/add", add_message, middleware=SESSION),
    Route("/flash", show_messages, middleware=SESSION),
    Mount(
        "/maintenance",
        routes=[Route("/status", maintenance_status)],
        middleware=[Middleware(Maintenance)],
    ),
    Mount(
        "/guarded",
        routes=[Route("/fail", guarded_fail)],
        middleware=[Middleware(ExceptionMiddleware, handlers={Exception: any_error})],
    ),
    Route("/profile", profile),
    Route("/catalog", catalog),
    Route("/things", create_thing, methods=["POST"]),
    Route("/meta", meta),
    Route("/tags", tags),
    Route("/secure", secure),
    Route("/cookie-full", cookie_full),
    Route("/objects/{object_id:uuid}", object_by_uuid),
    Route("/files/{subpath:path}", file_path),
    Route("/share", share),
    Route("/made-tuple", made_tuple),
    Route("/raw-json", raw_json),
    Route("/article", article),
    Route("/resource", ResourceEndpoint),
    Route("/upload-file", upload_file, methods=["POST"]),
    Route("/stream-100", stream_100),
    Route("/g-heavy", g_heavy),
    Route("/settings", settings),
    Route("/sync-cpu", sync_cpu),
    WebSocketRoute("/ws-fanout", ws_fanout),
    WebSocketRoute("/ws-bytes", ws_bytes),
    Mount(
        "/private",
        routes=[Route("/data", private_data)],
        middleware=[Middleware(RefuseWithoutToken)],
    ),
    Mount(
        "/admin",
        routes=[Route("/users", admin_users)],
        middleware=[Middleware(ExceptionMiddleware, handlers={403: admin_forbidden})],
    ),
    Mount("/v1", routes=[Mount("/users", routes=[Route("/{user_id:int}/profile", v1_profile)])]),
    Route("/notes", create_note, methods=["POST"]),
    Route("/contact", contact, methods=["POST"]),
    Route("/contact/thanks", contact_thanks),
    Route("/link-page", link_page),
    Route("/preload", preload),
    Route("/teapot", teapot),
    Route("/products/{name}", product),
    Route("/timed", timed),
    Route("/list-items", list_items),
    Route("/assets/{filename:path}", asset),
    Route("/export.csv", export_csv),
    Route("/notes/raw", raw_note, methods=["POST"]),
    Route("/negotiate", negotiate),
    Route("/mix/{a:int}/{b:float}/{c:uuid}/{d:str}/{e:path}", mixed),
    Route("/report", report),
    Route("/remember", remember, middleware=SESSION),
    WebSocketRoute("/ws-json-multi", ws_json_multi),
    WebSocketRoute("/ws-chat", ws_chat),
    Mount(
        "/t",
        routes=[
            Mount(
                "/teams",
                routes=[
                    Mount(
                        "/members",
                        routes=[Route("/{member_id:int}", member_detail)],
                        middleware=[Middleware(SetState)],
                    )
                ],
                middleware=[Middleware(SetState, key="team", value="core")],
            )
        ],
        middleware=[Middleware(SetState, key="tenant", value="acme")],
    ),
    Mount(
        "/sync-bp",
        routes=[Route("/whoami", sync_whoami)],
        middleware=[Middleware(SetState, key="user", value="alice")],
    ),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    Route("/survey", survey, methods=["POST"]),
    Route("/gallery", gallery, methods=["POST"]),
    Route("/signup", signup, methods=["POST"]),
    Route("/events", events),
    Route("/docs", docs_slash),
    Route("/docs/", docs_index, name="docs_index"),
    Route("/blob", blob),
    Route("/page-visit", page_visit),
    Route("/reports/{year:int}", report_view, methods=["GET", "POST"]),
    Route("/audit", audit),
    Route("/json-silent", json_silent, methods=["POST"]),
    Route("/whoami-basic", whoami_basic),
    Route("/todos", create_todo, methods=["POST"]),
    Route("/todos/{todo_id:int}", todo, name="todo"),
    Route("/export-bytes", export_bytes),
    Route("/cached", cached),
    Route("/quiet", quiet),
    Route("/sign-in", login_page, name="login_page"),
    Route("/dashboard", dashboard, middleware=SESSION),
    Mount(
        "/api2",
        routes=[Route("/orders", api_orders, methods=["POST"]), Route("/crash", api_crash)],
        middleware=[
            Middleware(
                ExceptionMiddleware,
                handlers={HTTPException: api_http_error, Exception: api_server_error},
            )
        ],
    ),
    WebSocketRoute("/ws-hooked", ws_hooked_view, middleware=[Middleware(SocketResource)]),
    WebSocketRoute("/ws-headers", ws_headers),
    WebSocketRoute("/ws-room", ws_room),
    WebSocketRoute("/ws-room-feed", ws_room_feed),
    Route("/q50", query_50),
    Route("/prefs", prefs),
    Route("/bulk", bulk, methods=["POST"]),
    Route("/upload-big", upload_big, methods=["POST"]),
    Route("/export-stream", export_stream),
    Route("/feed.ndjson", feed),
    Route("/overview", overview),
    Route("/checkout", checkout, methods=["POST"]),
    Mount(
        "/store",
        routes=[
            Route("/items/{item_id:int}", store_item, name="store_item"),
            Route("/", store_index, name="store_index"),
            Route("/share/{item_id:int}", store_share),
        ],
        name="store",
    ),
    Mount("/beta", routes=[Route("/search", beta_search)], middleware=[Middleware(BetaOnly)]),
    Mount("/members", routes=[Route("/home", members_home)], middleware=[Middleware(LoadMember)]),
    Route("/invoices/{invoice_id:int}", InvoiceAPI),
    Route("/posts/{slug}/likes", post_likes, methods=["GET"]),
    Route("/posts/{slug}/likes", like_post, methods=["POST"]),
    Route("/blog/", blog),
    Route("/blog/page/{page:int}", blog),
    Route("/{lang_code}/about", intl_about, name="intl_about"),
    Route("/events.json", events_json),
    WebSocketRoute("/ws-token", ws_token_view, middleware=[Middleware(CheckToken)]),
    WebSocketRoute("/ws-idle", ws_idle),
    WebSocketRoute("/ws-rpc", ws_rpc),
    WebSocketRoute("/ws-rooms/{room_id:int}", ws_room_member),
    WebSocketRoute("/ws-welcome", ws_welcome),
    WebSocketRoute("/ws-bye", ws_bye),
    WebSocketRoute("/ws-tasks", ws_tasks),
    WebSocketRoute("/ws-negotiate", ws_negotiate),
    Route("/live", live),
    Route("/rows.ndjson", rows_ndjson),
    Route("/trace", trace),
    Route("/orders/quote", order_quote, methods=["POST"]),
    Route("/quota", quota),
    Route("/archive/{year:int}/{month:int}/{slug}", archive_post, name="archive_post"),
    Route("/archive-links", archive_links),
    Route("/media/clip.txt", media_clip),
    Route(
        "/accounts/{account_id:int}",
        require_role(ROLE_HEADER[1])(update_account),
        methods=["PUT"],
    ),
    Route("/account-summary", account_summary),
    Route("/checksum", checksum_view),
    *(_numbered_route(i) for i in range(ROUTE_COUNT)),
]

app = Starlette(
    routes=routes,
    exception_handlers={
        ConflictError: conflict,
        ResponseError: response_error,
        LookupError: not_in_catalog,
        ShopError: shop_error,
        PaymentError: payment_error,
    },
)
app.state.config = CONFIG
