"""Benchmark app written against the Quart API: one route per handler shape.

Its twin app is this same text with only the framework name swapped;
``bench/run.py`` checks that the twins match, so edit both together.
Hooks, teardown and error handlers sit on blueprints so that only their own
shapes pay for them; every other shape measures its bare request path.
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, NoReturn

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
from quart import (
    Blueprint,
    Quart,
    Response,
    abort,
    after_this_request,
    copy_current_request_context,
    copy_current_websocket_context,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    render_template_string,
    request,
    send_file,
    send_from_directory,
    session,
    stream_with_context,
    url_for,
    websocket,
)
from quart.logging import default_handler
from quart.views import MethodView, View
from werkzeug.exceptions import HTTPException

STATIC_DIR = Path(__file__).resolve().parent / "static"
HELLO_FILE = STATIC_DIR / "hello.txt"
CLIP_FILE = STATIC_DIR / "clip.txt"

# The Erlen twin loads only Erlen's own plugins, whatever else is installed: an installed
# third-party plugin is loaded only when an app selects it (load_app checks it).
app = Quart(__name__)
app.config["SECRET_KEY"] = "bench-secret-key"
app.config["PAGE_SIZE"] = 20
app.config["SITE_NAME"] = "Bench"
# What the app logs (``error_500``'s exception) goes to a handler that drops it, as a log
# shipped elsewhere would: the benchmark measures the logging call, not a terminal.
app.logger.removeHandler(default_handler)
app.logger.addHandler(logging.NullHandler())


class ConflictError(Exception):
    """An application error turned into a 409 by an error handler."""


@app.errorhandler(ConflictError)
async def conflict(error: ConflictError) -> Any:
    """Answer the custom exception with a plain 409."""
    return f"conflict: {error}", 409


# --- return forms -----------------------------------------------------------


@app.route("/plaintext")
async def plaintext() -> str:
    """Smallest possible response."""
    return "Hello, World!"


@app.route("/bytes")
async def raw_bytes() -> bytes:
    """A bytes body."""
    return b"Hello, World!"


@app.route("/dict")
async def as_dict() -> dict[str, str]:
    """A dict, serialised to JSON."""
    return {"message": "Hello, World!"}


@app.route("/list")
async def as_list() -> list[str]:
    """A list, serialised to JSON."""
    return ["Hello", "World"]


@app.route("/json")
async def json_message() -> Any:
    """Serialise a small dict with jsonify."""
    return jsonify({"message": "Hello, World!"})


@app.route("/jsonify-201")
async def json_created() -> Any:
    """jsonify with a status."""
    return jsonify({"id": 1, "status": "created"}), 201


@app.route("/tuple-status")
async def tuple_status() -> Any:
    """(body, status)."""
    return "Created", 201


@app.route("/tuple-headers")
async def tuple_headers() -> Any:
    """(body, headers)."""
    return "Hello, World!", {"X-Custom": "1"}


@app.route("/tuple")
async def tuple_full() -> Any:
    """(body, status, headers)."""
    return "Created", 201, {"X-Custom": "1"}


@app.route("/response")
async def response_object() -> Response:
    """A Response built by the view."""
    return Response("Hello, World!", mimetype="text/plain")


@app.route("/make-response")
async def made_response() -> Any:
    """make_response, then a header set on it."""
    response = await make_response("Hello, World!")
    response.headers["X-Custom"] = "1"
    return response


@app.route("/redirect")
async def to_plaintext() -> Any:
    """A redirect to another endpoint."""
    return redirect(url_for("plaintext"))


@app.route("/sync")
def sync_view() -> str:
    """A plain function view."""
    return "Hello, World!"


# --- URLs and request data --------------------------------------------------


@app.route("/users/<int:user_id>")
async def user(user_id: int) -> str:
    """Typed path parameter."""
    return f"user {user_id}"


@app.route("/users/<int:user_id>/posts/<slug>")
async def user_post(user_id: int, slug: str) -> str:
    """Two path parameters."""
    return f"user {user_id} post {slug}"


@app.route("/items/<int:item_id>")
async def item(item_id: int) -> Any:
    """A path parameter returned in a header too."""
    return f"item {item_id}", {"X-Item-Id": str(item_id)}


@app.route("/search")
async def search() -> str:
    """Query string arguments."""
    query = request.args.get("q", "")
    page = request.args.get("page", 1, type=int)
    return f"q={query} page={page}"


@app.route("/form", methods=["POST"])
async def form() -> str:
    """A urlencoded form."""
    data = await request.form
    return f"name={data['name']} age={data['age']}"


@app.route("/json-post", methods=["POST"])
async def json_post() -> Any:
    """A small JSON body in, a dict out."""
    data = await request.get_json()
    return {"hello": data["name"]}


@app.route("/echo", methods=["POST"])
async def echo() -> Any:
    """Parse a JSON body and serialise it back."""
    return jsonify(await request.get_json())


@app.route("/cookies")
async def cookies() -> Any:
    """Read a cookie, set another one."""
    response = await make_response(f"theme={request.cookies.get('theme', 'light')}")
    response.set_cookie("visited", "1")
    return response


@app.route("/session")
async def session_read() -> str:
    """Read the logged-in session."""
    return f"user={session.get('user', 'anonymous')}"


@app.route("/session/write")
async def session_write() -> str:
    """Write the session (a new cookie)."""
    session["user"] = "bob"
    return "saved"


@app.route("/conflict")
async def busy() -> NoReturn:
    """Raise the custom exception."""
    raise ConflictError("busy")


# --- templates and streams --------------------------------------------------


@app.route("/template")
async def template() -> str:
    """Render a template string (compiled on each call, as the API does)."""
    return await render_template_string(TEMPLATE, title="Items", items=ITEMS)


@app.route("/page")
async def page() -> str:
    """Render a template file that extends a base template."""
    return await render_template("page.html", title="Items", items=ITEMS)


@app.route("/stream")
async def stream() -> Any:
    """Stream ten chunks from an async generator."""

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(10):
            yield f"chunk{i}\n".encode()

    return chunks(), 200, {"Content-Type": "text/plain; charset=utf-8"}


# --- websockets -------------------------------------------------------------


@app.websocket("/ws")
async def ws() -> None:
    """Echo every message back."""
    while True:
        data = await websocket.receive()
        await websocket.send(data)


@app.websocket("/ws-json")
async def ws_json() -> None:
    """Echo every JSON message back."""
    while True:
        data = await websocket.receive_json()
        await websocket.send_json(data)


# --- blueprints: hooks, teardown, error handlers ----------------------------

hooks = Blueprint("hooks", __name__)


@hooks.before_request
async def before() -> None:
    """Set per-request state, like an auth or DB-session hook would."""
    g.x = 1


@hooks.after_request
async def after(response: Any) -> Any:
    """Add a header to every response of the blueprint."""
    response.headers["X-After"] = "1"
    return response


@hooks.route("/hooks")
async def hooked() -> str:
    """Read the hook's state."""
    return f"x={g.x}"


@hooks.route("/login")
async def login() -> str:
    """Store a user in the session so /lifecycle has a cookie to decode."""
    session["user"] = "alice"
    return "ok"


@hooks.route("/lifecycle")
async def lifecycle() -> str:
    """Read the hook's state and a session key."""
    return f"x={g.x} user={session.get('user', 'anonymous')}"


api = Blueprint("api", __name__, url_prefix="/api")


@api.before_request
async def require_token() -> None:
    """Refuse requests without the API token."""
    if request.headers.get("Authorization") != API_TOKEN:
        abort(401)


@api.route("/status")
async def api_status() -> str:
    """A route behind the blueprint's check."""
    return "api ok"


shop = Blueprint("shop", __name__, url_prefix="/shop")


@shop.errorhandler(404)
async def no_item(error: Any) -> Any:
    """The blueprint's own 404 page."""
    return f"no item {request.view_args['item_id']}", 404  # type: ignore[index]


@shop.route("/<int:item_id>")
async def shop_item(item_id: int) -> NoReturn:
    """Every item is out of stock."""
    abort(404)


# --- more shapes: class-based views, URL building, files, errors, cookies ---


class ItemAPI(MethodView):
    """A class-based view, one method per HTTP verb."""

    async def get(self, item_id: int) -> Any:
        """Read one item."""
        return {"id": item_id, "name": f"item {item_id}"}

    async def delete(self, item_id: int) -> Any:
        """Delete one item."""
        return "", 204


app.add_url_rule("/api-items/<int:item_id>", view_func=ItemAPI.as_view("item_api"))


@app.route("/links")
async def links() -> Any:
    """Build several URLs with url_for: plain, with parameters, with a query argument."""
    return {
        "self": url_for("links"),
        "user": url_for("user", user_id=42),
        "post": url_for("user_post", user_id=42, slug="hello"),
        "search": url_for("search", q="erlen"),
    }


@app.route("/whoami")
async def whoami() -> str:
    """Read a query argument and request headers together."""
    name = request.args.get("name", "anonymous")
    language = request.headers.get("Accept-Language", "en")
    agent = request.headers.get("User-Agent", "")
    return f"name={name} lang={language} agent={agent}"


@app.route("/download")
async def download() -> Any:
    """Send a small file from disk."""
    return await send_file(HELLO_FILE)


@app.route("/forbidden")
async def forbidden() -> NoReturn:
    """abort(403) with no error handler: the default error page."""
    abort(403)


@app.route("/cookie-swap")
async def cookie_swap() -> Any:
    """make_response, set one cookie and delete another."""
    response = await make_response("swapped")
    response.set_cookie("theme", "dark", max_age=3600, httponly=True)
    response.delete_cookie("legacy")
    return response


@app.route("/stream-context")
async def stream_context() -> Any:
    """Stream a generator that reads the request inside (stream_with_context)."""

    @stream_with_context
    async def lines() -> AsyncIterator[bytes]:
        name = request.args.get("name", "anonymous")
        for i in range(5):
            yield f"{name} {i}\n".encode()

    return lines(), 200, {"Content-Type": "text/plain; charset=utf-8"}


@app.route("/upload", methods=["POST"])
async def upload() -> str:
    """Read a raw request body."""
    data = await request.get_data()
    return f"received {len(data)} bytes"


@app.route("/rows")
async def rows() -> Any:
    """jsonify a list of 100 small dicts."""
    return jsonify(ROWS)


@app.route("/async-wait")
async def async_wait() -> str:
    """Await something once (here, a yield to the event loop)."""
    await asyncio.sleep(0)
    return "waited"


# --- blueprints: flash, short-circuit hook, catch-all handler, context processor ---

messages = Blueprint("messages", __name__)


@messages.route("/flash/add")
async def add_message() -> Any:
    """Flash a message and redirect to the page that shows it."""
    await flash("Saved.")
    return redirect(url_for("messages.show_messages"))


@messages.route("/flash")
async def show_messages() -> str:
    """Render the flashed messages (the template calls get_flashed_messages())."""
    return await render_template("messages.html")


maintenance = Blueprint("maintenance", __name__, url_prefix="/maintenance")


@maintenance.before_request
async def closed() -> Any:
    """Answer every request of the blueprint before its view runs."""
    return "down for maintenance", 503


@maintenance.route("/status")
async def maintenance_status() -> str:
    """Never reached: the hook answers first."""
    return "up"


guarded = Blueprint("guarded", __name__, url_prefix="/guarded")


@guarded.errorhandler(Exception)
async def any_error(error: Exception) -> Any:
    """Turn any exception into a 500 page; HTTP errors keep their own response."""
    if isinstance(error, HTTPException):
        return error
    return f"error: {type(error).__name__}", 500


@guarded.route("/fail")
async def guarded_fail() -> NoReturn:
    """A bug in the view."""
    raise ValueError("bad input")


site = Blueprint("site", __name__)


@site.context_processor
async def site_context() -> dict[str, Any]:
    """Variables every template of the blueprint sees."""
    return {"site_name": "Bench", "user": "alice"}


@site.route("/profile")
async def profile() -> str:
    """Render a template that uses the context processor's variables."""
    return await render_template("profile.html", title="Profile")


OPEN_CONNECTIONS: set[object] = set()
db = Blueprint("db", __name__)


@db.teardown_request
async def close_connection(error: BaseException | None) -> None:
    """Close the connection the view opened, as a DB extension does."""
    connection = g.pop("connection", None)
    OPEN_CONNECTIONS.discard(connection)


@db.route("/db")
async def use_connection() -> str:
    """Open a connection for this request; report how many are open."""
    g.connection = object()
    OPEN_CONNECTIONS.add(g.connection)
    return f"open={len(OPEN_CONNECTIONS)}"


# --- round 3 shapes: big JSON, validation, request data, converters, conditionals ---


@app.route("/catalog")
async def catalog() -> Any:
    """A large JSON document: 1,000 objects in a dict."""
    return {"count": len(CATALOG), "items": CATALOG}


@app.route("/things", methods=["POST"])
async def create_thing() -> Any:
    """Validate a JSON body and echo it back with 201."""
    data = await request.get_json()
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        abort(400)
    if not isinstance(data.get("price"), int | float) or data["price"] < 0:
        abort(400)
    return {"id": 1, "name": data["name"], "price": data["price"], "tags": data["tags"]}, 201


@app.route("/meta")
async def meta() -> str:
    """Read the request's metadata: method, path, URL, client address, host, headers."""
    return (
        f"{request.method} {request.path} {request.url} {request.remote_addr} "
        f"{request.host} {request.scheme} {request.headers['Accept']}"
    )


@app.route("/tags")
async def tags() -> str:
    """A repeated query argument (getlist) and a typed one."""
    names = request.args.getlist("tag")
    limit = request.args.get("limit", 10, type=int)
    return f"tags={','.join(names)} limit={limit}"


@app.route("/secure")
async def secure() -> Any:
    """A response with eight headers (a security-headers set)."""
    return "secure", SECURITY_HEADERS


@app.route("/cookie-full")
async def cookie_full() -> Any:
    """set_cookie with every attribute."""
    response = await make_response("cookie set")
    response.set_cookie(
        "sid",
        "abc123",
        max_age=3600,
        expires=COOKIE_EXPIRES,
        path="/",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="Lax",
    )
    return response


@app.route("/objects/<uuid:object_id>")
async def object_by_uuid(object_id: Any) -> Any:
    """A uuid converter."""
    return {"id": str(object_id), "version": object_id.version}


@app.route("/files/<path:subpath>")
async def file_path(subpath: str) -> str:
    """A path converter (slashes included)."""
    return f"path {subpath}"


@app.route("/share")
async def share() -> Any:
    """An absolute URL (url_for with _external)."""
    return {"url": url_for("user", user_id=42, _external=True)}


@app.route("/made-tuple")
async def made_tuple() -> Any:
    """make_response with body, status and headers, then one more header."""
    response = await make_response("created", 201, {"X-Custom": "1"})
    response.headers["X-Extra"] = "2"
    return response


@app.route("/raw-json")
async def raw_json() -> Response:
    """A Response of hand-serialised JSON with a JSON mimetype."""
    payload = {"id": 7, "name": "widget", "tags": ["a", "b"]}
    return Response(json.dumps(payload), mimetype="application/json")


@app.route("/article")
async def article() -> Any:
    """A conditional GET: an ETag from the content, 304 when the client has it."""
    response = await make_response(ARTICLE)
    await response.add_etag()
    return await response.make_conditional(request)


@app.route("/resource")
async def resource() -> str:
    """A plain GET route; OPTIONS is answered automatically."""
    return "resource"


@app.route("/upload-file", methods=["POST"])
async def upload_file() -> str:
    """A small multipart upload: one file and one text field."""
    form = await request.form
    files = await request.files
    upload = files["file"]
    data = upload.read()
    return f"{form['title']}: {upload.filename} {len(data)} bytes"


@app.route("/stream-100")
async def stream_100() -> Any:
    """Stream a hundred chunks from an async generator."""

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(100):
            yield f"line {i}\n".encode()

    return chunks(), 200, {"Content-Type": "text/plain; charset=utf-8"}


@app.route("/g-heavy")
async def g_heavy() -> str:
    """Per-request state on g: set, read, test, default, pop."""
    g.user = "alice"
    g.role = "admin"
    g.request_id = "r-1"
    g.items = []
    for i in range(5):
        g.items.append(i)
    g.setdefault("counter", 0)
    seen = "user" in g
    missing = g.get("missing", "none")
    role = g.pop("role")
    count = len(g.items)
    return f"{g.user} {role} {g.request_id} {count} {g.counter} {seen} {missing}"


@app.route("/settings")
async def settings() -> Any:
    """Read the app's configuration through current_app."""
    config = current_app.config
    return {
        "page_size": config["PAGE_SIZE"],
        "site": config.get("SITE_NAME", ""),
        "missing": config.get("NOT_SET", "default"),
        "debug": current_app.debug,
    }


@app.route("/sync-cpu")
def sync_cpu() -> str:
    """A sync view doing a little CPU work (run in a thread)."""
    total = sum(i * i for i in range(200))
    return f"sum={total}"


@app.websocket("/ws-fanout")
async def ws_fanout() -> None:
    """Answer every message with ten."""
    while True:
        data = await websocket.receive()
        for i in range(10):
            await websocket.send(f"{data} {i}")


@app.websocket("/ws-bytes")
async def ws_bytes() -> None:
    """Echo binary messages."""
    while True:
        data = await websocket.receive()
        await websocket.send(data)


private = Blueprint("private", __name__, url_prefix="/private")


@private.before_request
async def refuse() -> Any:
    """Refuse requests without the token with a JSON 401 (the view never runs)."""
    if request.headers.get("Authorization") != API_TOKEN:
        return jsonify(error="unauthorized"), 401
    return None


@private.route("/data")
async def private_data() -> str:
    """Reached only with the token."""
    return "secret"


admin = Blueprint("admin", __name__, url_prefix="/admin")


@admin.errorhandler(403)
async def admin_forbidden(error: HTTPException) -> Any:
    """A JSON error body carrying abort()'s description."""
    return jsonify(error="forbidden", detail=error.description), 403


@admin.route("/users")
async def admin_users() -> NoReturn:
    """abort(403) with a description."""
    abort(403, description="admins only")


v1 = Blueprint("v1", __name__, url_prefix="/v1")
v1_users = Blueprint("users", __name__, url_prefix="/users")


@v1_users.route("/<int:user_id>/profile")
async def v1_profile(user_id: int) -> Any:
    """A route of a blueprint nested in another, both with a url_prefix."""
    return {"id": user_id, "name": f"user {user_id}"}


v1.register_blueprint(v1_users)

# --- round 4 shapes: PRG, negotiation, converters, hooks in depth, subprotocols ---


@app.errorhandler(LookupError)
async def not_in_catalog(error: LookupError) -> Any:
    """Any failed lookup (KeyError, IndexError) becomes a 404."""
    return f"missing: {error}", 404


@app.route("/notes", methods=["POST"])
async def create_note() -> Any:
    """Read the JSON body through the ``request.json`` property; answer 201."""
    data = await request.json
    return {"id": 3, "title": data["title"], "done": data["done"]}, 201


@app.route("/contact", methods=["POST"])
async def contact() -> Any:
    """Post/Redirect/Get: read the form, redirect to the thank-you page with a 303."""
    form = await request.form
    return redirect(url_for("contact_thanks", name=form["name"]), 303)


@app.route("/contact/thanks")
async def contact_thanks() -> str:
    """Where the contact form redirects."""
    return f"thanks {request.args.get('name', '')}"


@app.route("/link-page")
async def link_page() -> str:
    """A template building absolute URLs with url_for."""
    return await render_template("links.html")


@app.route("/preload")
async def preload() -> Any:
    """Two cookies and repeated headers added to one response."""
    response = await make_response("preloaded")
    response.set_cookie("a", "1")
    response.set_cookie("b", "2", httponly=True)
    for link in PRELOAD_LINKS:
        response.headers.add("Link", link)
    response.headers.add("Vary", "Cookie")
    return response


@app.route("/teapot")
async def teapot() -> NoReturn:
    """abort() with a ready response."""
    abort(Response("short and stout", 418, mimetype="text/plain"))


@app.route("/products/<name>")
async def product(name: str) -> str:
    """A dict lookup that fails for unknown names (the LookupError handler answers)."""
    return f"price {PRICES[name]}"


@app.route("/timed")
async def timed() -> str:
    """Register a callback that adds a header to this request's response."""

    @after_this_request
    async def add_header(response: Any) -> Any:
        response.headers["X-Timed"] = "1"
        return response

    return "timed"


@app.route("/list-items")
async def list_items() -> str:
    """Typed query arguments with defaults (a missing and an invalid one fall back)."""
    page = request.args.get("page", 1, type=int)
    per_page = request.args.get("per_page", 20, type=int)
    sort = request.args.get("sort", "id")
    desc = request.args.get("desc", "0") == "1"
    return f"page={page} per_page={per_page} sort={sort} desc={desc}"


@app.route("/assets/<path:filename>")
async def asset(filename: str) -> Any:
    """Serve a file from a folder, the name taken from the URL."""
    return await send_from_directory(STATIC_DIR, filename)


@app.route("/export.csv")
async def export_csv() -> Response:
    """A CSV download."""
    lines = ["id,name,active", *(f"{r['id']},{r['name']},{r['active']}" for r in CSV_ROWS)]
    return Response(
        "\n".join(lines) + "\n",
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=export.csv"},
    )


@app.route("/notes/raw", methods=["POST"])
async def raw_note() -> str:
    """A text body read as str."""
    text = await request.get_data(as_text=True)
    lines = text.splitlines()
    return f"{len(lines)} lines, first: {lines[0]}"


@app.route("/negotiate")
async def negotiate() -> Any:
    """Content negotiation on the Accept header."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    if best == "application/json":
        return {"format": "json"}
    return "<p>format: html</p>"


@app.route("/mix/<int:a>/<float:b>/<uuid:c>/<string:d>/<path:e>")
async def mixed(a: int, b: float, c: Any, d: str, e: str) -> str:
    """Five converters in one rule."""
    return f"{a} {b} {c} {d} {e}"


@app.route("/report")
async def report() -> Any:
    """A conditional GET on Last-Modified: 304 when the client's copy is current."""
    response = await make_response(ARTICLE)
    response.last_modified = REPORT_MODIFIED
    return await response.make_conditional(request)


@app.route("/remember")
async def remember() -> str:
    """Copy a cookie into a permanent session."""
    theme = request.cookies.get("theme", "light")
    session.permanent = True
    session["theme"] = theme
    return f"remembered {theme}"


@app.websocket("/ws-json-multi")
async def ws_json_multi() -> None:
    """Answer every JSON message with three."""
    while True:
        data = await websocket.receive_json()
        for i in range(3):
            await websocket.send_json({"n": data["n"], "reply": i})


@app.websocket("/ws-chat")
async def ws_chat() -> None:
    """Accept with the subprotocol we speak, then echo."""
    if WS_SUBPROTOCOL not in websocket.requested_subprotocols:
        abort(400)
    await websocket.accept(subprotocol=WS_SUBPROTOCOL)
    while True:
        await websocket.send(await websocket.receive())


tenant = Blueprint("tenant", __name__, url_prefix="/t")
team = Blueprint("team", __name__, url_prefix="/teams")
member = Blueprint("member", __name__, url_prefix="/members")


def _count_hook() -> None:
    """Count the hooks that ran for this request on g."""
    g.hooks = g.get("hooks", 0) + 1


@tenant.before_request
async def load_tenant() -> None:
    """The outer blueprint's hook."""
    g.tenant = "acme"
    _count_hook()


@team.before_request
async def load_team() -> None:
    """The middle blueprint's hook."""
    g.team = "core"
    _count_hook()


@member.before_request
async def load_member() -> None:
    """The inner blueprint's hook."""
    _count_hook()


@member.route("/<int:member_id>")
async def member_detail(member_id: int) -> str:
    """A view three blueprints deep reading what every hook stored."""
    return f"{g.tenant}/{g.team}/{member_id} via {g.hooks} hooks"


team.register_blueprint(member)
tenant.register_blueprint(team)

sync_bp = Blueprint("sync_bp", __name__, url_prefix="/sync-bp")


@sync_bp.before_request
async def load_user() -> None:
    """An async hook in front of a sync view."""
    g.user = "alice"


@sync_bp.route("/whoami")
def sync_whoami() -> str:
    """A sync view (run in a thread) reading the hook's g."""
    return f"user={g.user}"


# --- round 5 shapes: multi-value forms, files, background work, SSE, redirects, errors ---


@app.route("/survey", methods=["POST"])
async def survey() -> str:
    """A form with a repeated field (checkboxes): getlist."""
    form = await request.form
    topics = form.getlist("topic")
    return f"{form['name']}: {','.join(topics)}"


@app.route("/gallery", methods=["POST"])
async def gallery() -> str:
    """Several files under one field name (request.files.getlist)."""
    files = await request.files
    sizes = [f"{upload.filename}={len(upload.read())}" for upload in files.getlist("photos")]
    return " ".join(sizes)


@app.route("/signup", methods=["POST"])
async def signup() -> str:
    """Answer now, do the slow part after the response (add_background_task)."""
    app.add_background_task(record_background, "welcome-mail")
    return "queued"


@app.route("/events")
async def events() -> Any:
    """Server-Sent Events: a few events on a text/event-stream response."""

    async def stream() -> AsyncIterator[bytes]:
        for i in range(SSE_EVENTS):
            yield sse_event(i).encode()

    response = await make_response(
        stream(), {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    response.timeout = None
    return response


@app.route("/docs/")
async def docs_index() -> str:
    """A route with a trailing slash: GET /docs is redirected here (308)."""
    return "docs"


@app.route("/blob")
async def blob() -> Response:
    """A large (1 MiB) binary body."""
    return Response(BLOB, mimetype="application/octet-stream")


@app.route("/page-visit")
async def page_visit() -> Any:
    """make_response(render_template(...)), then a cookie."""
    response = await make_response(await render_template("page.html", title="Items", items=ITEMS))
    response.set_cookie("last_page", "items", max_age=3600)
    return response


class ReportView(View):
    """A class-based View with its own methods and one dispatch_request."""

    methods = ["GET", "POST"]

    async def dispatch_request(self, year: int) -> str:  # type: ignore[override]
        """Answer both methods the same way."""
        return f"{request.method} report {year}"


app.add_url_rule("/reports/<int:year>", view_func=ReportView.as_view("report_view"))


@app.route("/audit")
async def audit() -> str:
    """Run a helper in another task with the request context (copy_current_request_context)."""

    @copy_current_request_context
    async def who() -> str:
        return f"{request.method} {request.path} by {request.headers['User-Agent']}"

    return await asyncio.ensure_future(who())


@app.route("/json-silent", methods=["POST"])
async def json_silent() -> Any:
    """get_json(silent=True) on a bad body: None, answered with a JSON 400."""
    data = await request.get_json(silent=True)
    if data is None:
        return {"error": "invalid JSON"}, 400
    return {"ok": True}


@app.route("/whoami-basic")
async def whoami_basic() -> str:
    """HTTP Basic credentials (request.authorization)."""
    auth = request.authorization
    if auth is None or auth.password != "secret":
        abort(401)
    return f"basic {auth.username}"


@app.route("/todos", methods=["POST"])
async def create_todo() -> Any:
    """REST create: JSON in, jsonify out with 201 and a Location built by url_for."""
    data = await request.get_json()
    todo = {"id": 12, "title": data["title"]}
    return jsonify(todo), 201, {"Location": url_for("todo", todo_id=todo["id"])}


@app.route("/todos/<int:todo_id>")
async def todo(todo_id: int) -> Any:
    """Where create_todo's Location points."""
    return {"id": todo_id}


@app.route("/export-bytes")
async def export_bytes() -> Any:
    """send_file of an in-memory file as a download."""
    return await send_file(
        io.BytesIO(REPORT_CSV),
        mimetype="text/csv",
        as_attachment=True,
        attachment_filename="report.csv",
    )


@app.route("/cached")
async def cached() -> Any:
    """A JSON response made cacheable through response.cache_control."""
    response = jsonify(ROWS[:3])
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@app.route("/quiet")
async def quiet() -> Any:
    """Log at levels the app's logger does not emit (debug and info), as views do."""
    current_app.logger.debug("listing %d items", len(ITEMS))
    current_app.logger.info("listing for %s", request.path)
    return {"items": len(ITEMS)}


def login_required(view: Any) -> Any:
    """The usual decorator: redirect anonymous users to the login page."""

    @functools.wraps(view)
    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        if session.get("user") is None:
            return redirect(url_for("login_page", next=request.path))
        return await view(*args, **kwargs)

    return wrapped


@app.route("/sign-in")
async def login_page() -> str:
    """Where login_required sends anonymous users."""
    return "sign in"


@app.route("/dashboard")
@login_required
async def dashboard() -> str:
    """Reached only when signed in."""
    return f"dashboard of {session['user']}"


api_errors = Blueprint("api_errors", __name__, url_prefix="/api2")


@api_errors.errorhandler(HTTPException)
async def api_http_error(error: HTTPException) -> Any:
    """Every HTTP error of the API as JSON (the generic handler of Flask's docs)."""
    return jsonify(code=error.code, name=error.name, description=error.description), error.code


@api_errors.errorhandler(500)
async def api_server_error(error: Any) -> Any:
    """An unhandled exception: the 500 handler sees the original exception."""
    original = getattr(error, "original_exception", None)
    return f"internal error: {type(original).__name__}", 500


@api_errors.route("/orders", methods=["POST"])
async def api_orders() -> NoReturn:
    """abort(400) with a description: the JSON handler answers."""
    abort(400, description="missing field: sku")


@api_errors.route("/crash")
async def api_crash() -> NoReturn:
    """A bug: the blueprint's 500 handler answers (the exception is logged)."""
    raise RuntimeError("boom")


ws_hooked = Blueprint("ws_hooked", __name__)
OPEN_SOCKETS: set[object] = set()


@ws_hooked.before_websocket
async def ws_open() -> None:
    """Per-connection setup: who is it, and a resource to release afterwards."""
    g.user = websocket.headers.get("User-Agent", "anonymous")
    g.resource = object()
    OPEN_SOCKETS.add(g.resource)


@ws_hooked.after_websocket
async def ws_close(response: Any) -> Any:
    """Release what before_websocket opened."""
    OPEN_SOCKETS.discard(g.pop("resource", None))
    return response


@ws_hooked.websocket("/ws-hooked")
async def ws_hooked_view() -> None:
    """One exchange per connection, then the handler returns (the server closes)."""
    data = await websocket.receive()
    await websocket.send(f"{g.user} {len(OPEN_SOCKETS)}: {data}")


@app.websocket("/ws-headers")
async def ws_headers() -> None:
    """Accept with a response header, answer one message, return."""
    await websocket.accept(headers={WS_ACCEPT_HEADER[0]: WS_ACCEPT_HEADER[1]})
    data = await websocket.receive()
    await websocket.send(data)


broker = Broker()


async def _relay() -> None:
    """Publish what this connection receives (the chat tutorial's receiving task)."""
    while True:
        message = await websocket.receive()
        await broker.publish(message)


@app.websocket("/ws-room")
async def ws_room() -> None:
    """Quart's broadcast tutorial: every message goes to every connection in the room."""
    task = asyncio.ensure_future(_relay())
    try:
        async for message in broker.subscribe():
            await websocket.send(message)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@app.websocket("/ws-room-feed")
async def ws_room_feed() -> None:
    """The same room the other way round: the handler receives and publishes, a task
    sends what the room publishes."""

    async def forward() -> None:
        async for message in broker.subscribe():
            await websocket.send(message)

    task = asyncio.ensure_future(forward())
    try:
        while True:
            await broker.publish(await websocket.receive())
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


# --- round 6 shapes: sizes, shortcuts, decorated class views, URL preprocessors, errors ---


@app.route("/q50")
async def query_50() -> Any:
    """Fifty query arguments: the whole of request.args as a dict, two read by name."""
    args = request.args
    everything = args.to_dict()
    return {"count": len(everything), "a7": args.get("a7"), "a49": args.get("a49", type=int)}


@app.route("/prefs")
async def prefs() -> str:
    """Thirty cookies: how many, and one of them."""
    cookies = request.cookies
    return f"{len(cookies)} cookies, c7={cookies.get('c7')}"


@app.route("/bulk", methods=["POST"])
async def bulk() -> Any:
    """A 1 MiB JSON body."""
    data = await request.get_json()
    return {"count": len(data["items"])}


@app.route("/upload-big", methods=["POST"])
async def upload_big() -> str:
    """A 1 MiB file upload (multipart)."""
    files = await request.files
    upload = files["file"]
    return f"{upload.filename} {len(upload.read())}"


@app.route("/export-stream")
async def export_stream() -> Response:
    """Response(stream_with_context(generator)()) with a mimetype and a download header."""

    @stream_with_context
    async def rows() -> AsyncIterator[str]:
        yield f"id,name,{request.args.get('by', 'anon')}\n"
        for row in CSV_ROWS:
            yield f"{row['id']},{row['name']}\n"

    return Response(
        rows(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=rows.csv"},
    )


@app.route("/feed.ndjson")
async def feed() -> Any:
    """An async generator returned with a status and headers (NDJSON)."""

    async def lines() -> AsyncIterator[bytes]:
        for i in range(NDJSON_LINES):
            yield ndjson_line(i).encode()

    return lines(), 200, {"Content-Type": "application/x-ndjson", "X-Lines": str(NDJSON_LINES)}


@app.route("/overview")
async def overview() -> Any:
    """Three helpers run concurrently with asyncio.gather, each in a copied request context."""

    async def part(name: str) -> str:
        await asyncio.sleep(0)
        return f"{name}:{request.args.get('user', 'anon')}"

    # One copy per task: a copied context entered by concurrent tasks at once is not
    # portable (bench/README.md, gather_context).
    names = ("profile", "orders", "alerts")
    parts = await asyncio.gather(*(copy_current_request_context(part)(name) for name in names))
    return {"parts": parts}


@app.errorhandler(ShopError)
async def shop_error(error: ShopError) -> Any:
    """The app's own errors as JSON."""
    return jsonify(error=type(error).__name__, kind="shop", message=str(error)), error.status


@app.errorhandler(PaymentError)
async def payment_error(error: PaymentError) -> Any:
    """Payment errors, more specific than ShopError: this handler wins for CardDeclined."""
    return jsonify(error=type(error).__name__, kind="payment", message=str(error)), 402


@app.route("/checkout", methods=["POST"])
async def checkout() -> NoReturn:
    """Raise an exception two classes below the handled one."""
    raise CardDeclined("card declined")


store = Blueprint("store", __name__, url_prefix="/store")


@store.route("/items/<int:item_id>")
async def store_item(item_id: int) -> str:
    """Where the share links point."""
    return f"store item {item_id}"


@store.route("/")
async def store_index() -> str:
    """The blueprint's index."""
    return "store"


@store.route("/share/<int:item_id>")
async def store_share(item_id: int) -> Any:
    """Blueprint-relative url_for (".endpoint"), absolute and not, and a static file URL."""
    return {
        "self": url_for(".store_item", item_id=item_id, _external=True),
        "index": url_for(".store_index"),
        "file": url_for("static", filename="hello.txt", _external=True),
    }


beta = Blueprint("beta", __name__, url_prefix="/beta")


@beta.before_request
async def beta_only() -> None:
    """A feature flag: without the beta header the whole blueprint is a 404."""
    if request.headers.get("X-Beta") != "1":
        abort(404)


@beta.route("/search")
async def beta_search() -> str:
    """Reached only with the flag."""
    return "beta search"


members = Blueprint("members", __name__, url_prefix="/members")


@members.before_request
async def load_member_user() -> None:
    """Who is signed in, on g for the templates."""
    g.user = "alice"
    g.role = "admin"


@members.route("/home")
async def members_home() -> str:
    """A template file reading g."""
    return await render_template("member.html", title="Home")


def require_api_key(view: Any) -> Any:
    """A view decorator (functools.wraps) checking an API key header."""

    @functools.wraps(view)
    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        if request.headers.get("X-Api-Key") != API_KEY:
            abort(401)
        return await view(*args, **kwargs)

    return wrapped


class InvoiceAPI(MethodView):
    """A MethodView whose every method is wrapped by ``decorators``."""

    decorators = [require_api_key]

    async def get(self, invoice_id: int) -> Any:
        """One invoice."""
        return {"id": invoice_id, "total": 120, "currency": "EUR"}

    async def delete(self, invoice_id: int) -> Any:
        """Delete it."""
        return "", 204


app.add_url_rule("/invoices/<int:invoice_id>", view_func=InvoiceAPI.as_view("invoice"))


@app.get("/posts/<slug>/likes")
async def post_likes(slug: str) -> Any:
    """The GET half of a shortcut pair on one path."""
    return {"post": slug, "likes": 3}


@app.post("/posts/<slug>/likes")
async def like_post(slug: str) -> Any:
    """The POST half: @app.post with a path converter."""
    return {"post": slug, "liked": True}, 201


@app.route("/blog/", defaults={"page": 1})
@app.route("/blog/page/<int:page>")
async def blog(page: int) -> str:
    """Two rules for one view; the first supplies the argument through defaults."""
    return f"blog page {page}"


intl = Blueprint("intl", __name__, url_prefix="/<lang_code>")


@intl.url_defaults
def add_language_code(endpoint: str, values: dict[str, Any]) -> None:
    """url_for inside the blueprint keeps the current language (Flask's i18n pattern)."""
    values.setdefault("lang_code", g.lang_code)


@intl.url_value_preprocessor
def pull_lang_code(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Move the language from the URL to g, so views do not take it."""
    g.lang_code = values.pop("lang_code") if values else "en"


@intl.route("/about")
async def intl_about() -> Any:
    """A view without the language argument, building a URL that keeps it."""
    return {"lang": g.lang_code, "self": url_for(".intl_about")}


@app.route("/events.json")
async def events_json() -> Any:
    """Dataclasses with datetime, UUID and Decimal fields, through the default JSON provider."""
    return {"events": EVENTS}


ws_auth = Blueprint("ws_auth", __name__)


@ws_auth.before_websocket
async def ws_check_token() -> None:
    """Refuse a websocket without a known token (before it is accepted)."""
    user = WS_TOKENS.get(websocket.headers.get("Authorization", ""))
    if user is None:
        abort(401)
    g.user = user


@ws_auth.websocket("/ws-token")
async def ws_token_view() -> None:
    """One exchange per connection, naming the authenticated user, then return."""
    data = await websocket.receive()
    await websocket.send(f"{g.user}: {data}")


# --- round 7 shapes: websocket idioms, streaming, big inputs, URL building, helpers --------


@app.websocket("/ws-idle")
async def ws_idle() -> None:
    """A receive loop with a timeout: a quiet client is pinged, a message is echoed."""
    while True:
        try:
            data = await asyncio.wait_for(websocket.receive(), timeout=WS_IDLE_TIMEOUT)
        except TimeoutError:
            await websocket.send("ping")
            continue
        await websocket.send(data)


@app.websocket("/ws-rpc")
async def ws_rpc() -> None:
    """receive_json, then a reply dict built from it."""
    while True:
        data = await websocket.receive_json()
        message = data["message"]
        await websocket.send_json(
            {"id": data["n"], "ok": True, "echo": message, "length": len(message)}
        )


@app.websocket("/ws-rooms/<int:room_id>")
async def ws_room_member(room_id: int) -> None:
    """Path parameter and query argument of the handshake, one message, return."""
    name = websocket.args.get("name", "anonymous")
    data = await websocket.receive()
    await websocket.send(f"room {room_id} {name}: {data}")


@app.websocket("/ws-welcome")
async def ws_welcome() -> None:
    """Accept explicitly and greet before the client says anything."""
    await websocket.accept()
    await websocket.send(WS_GREETING)
    data = await websocket.receive()
    await websocket.send(f"you said: {data}")


@app.websocket("/ws-bye")
async def ws_bye() -> None:
    """One message, then the app closes with its own code and reason."""
    data = await websocket.receive()
    await websocket.send(data)
    await websocket.close(WS_CLOSE[0], WS_CLOSE[1])


@app.websocket("/ws-tasks")
async def ws_tasks() -> None:
    """Quart's producer/consumer layout: two tasks in copies of the websocket context,
    joined through a queue."""
    queue: asyncio.Queue[Any] = asyncio.Queue()

    @copy_current_websocket_context
    async def receiving() -> None:
        while True:
            await queue.put(await websocket.receive())

    @copy_current_websocket_context
    async def sending() -> None:
        while True:
            await websocket.send(await queue.get())

    consumer = asyncio.ensure_future(receiving())
    producer = asyncio.ensure_future(sending())
    await asyncio.gather(consumer, producer)


@app.websocket("/ws-negotiate")
async def ws_negotiate() -> None:
    """Pick the server's preferred subprotocol among those offered, one message, return."""
    offered = websocket.requested_subprotocols
    chosen = next((name for name in WS_SERVER_PROTOCOLS if name in offered), None)
    if chosen is None:
        abort(400)
    await websocket.accept(subprotocol=chosen)
    data = await websocket.receive()
    await websocket.send(f"{chosen}: {data}")


@app.route("/live")
async def live() -> Any:
    """Quart's Server-Sent Events recipe: make_response(generator, headers), no timeout."""
    if "text/event-stream" not in request.accept_mimetypes:
        abort(400)

    async def send_events() -> AsyncIterator[bytes]:
        for index in range(SSE_LIVE_EVENTS):
            yield live_event(index).encode()

    response = await make_response(
        send_events(),
        {
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "Transfer-Encoding": "chunked",
        },
    )
    response.timeout = None
    return response


@app.route("/rows.ndjson")
async def rows_ndjson() -> Response:
    """Flask's streaming idiom: a sync generator of JSON lines (one chunk each)."""

    def generate() -> Any:
        for row in CSV_ROWS:
            yield json.dumps(row) + "\n"

    return Response(generate(), mimetype="application/x-ndjson")


@app.route("/trace")
async def trace() -> Any:
    """Thirty-two X-Trace-* request headers gathered from request.headers."""
    traces = {k.lower(): v for k, v in request.headers.items() if k.lower().startswith("x-trace-")}
    return {"count": len(traces), "first": traces["x-trace-0"], "last": traces["x-trace-31"]}


@app.route("/orders/quote", methods=["POST"])
async def order_quote() -> Any:
    """get_json() of a nested document, walked to a summary."""
    return quote_totals(await request.get_json())


@app.route("/quota")
async def quota() -> Any:
    """abort(make_response(jsonify(...), 422)): a JSON error built by the view."""
    limit = request.args.get("limit", type=int)
    if limit is None or not 0 < limit <= QUOTA_LIMIT:
        abort(await make_response(jsonify(error="limit must be 1..100", limit=limit), 422))
    return {"limit": limit}


@app.route("/archive/<int:year>/<int:month>/<slug>")
async def archive_post(year: int, month: int, slug: str) -> str:
    """Where the archive links point."""
    return f"{year}/{month} {slug}"


@app.route("/archive-links")
async def archive_links() -> Any:
    """url_for with three path values, three query values (one a list) and an anchor."""
    links = [
        url_for(
            "archive_post",
            year=2025,
            month=month,
            slug=f"post-{month}",
            page=2,
            sort="new",
            tag=["a", "b"],
            _anchor="comments",
        )
        for month in range(1, ARCHIVE_MONTHS + 1)
    ]
    return {"links": links}


@app.route("/media/clip.txt")
async def media_clip() -> Response:
    """send_file of an 8 KiB file with conditional=True: a Range request gets 206."""
    return await send_file(CLIP_FILE, mimetype="text/plain", conditional=True)


def require_role(role: str) -> Any:
    """A decorator factory: the view needs the role in the X-Role header."""

    def decorator(view: Any) -> Any:
        @functools.wraps(view)
        async def wrapped(*args: Any, **kwargs: Any) -> Any:
            if request.headers.get(ROLE_HEADER[0]) != role:
                abort(403)
            return await view(*args, **kwargs)

        return wrapped

    return decorator


async def update_account(account_id: int) -> Any:
    """PUT a JSON document to an account."""
    data = await request.get_json()
    return {"id": account_id, "name": data["name"], "updated": True}


app.add_url_rule(
    "/accounts/<int:account_id>",
    view_func=require_role(ROLE_HEADER[1])(update_account),
    methods=["PUT"],
)


def get_db() -> FakeDatabase:
    """Flask's get_db(): one connection per request, kept on g."""
    if "db" not in g:
        g.db = FakeDatabase(current_app.config["SITE_NAME"])
    return g.db


def current_user() -> dict[str, Any]:
    """The user named by the query, looked up once per request."""
    if "user" not in g:
        g.user = get_db().user(request.args.get("uid", "0"))
    return g.user


def record_event(event: str) -> None:
    """Remember what the request did."""
    g.setdefault("events", []).append(event)


@app.route("/account-summary")
async def account_summary() -> Any:
    """A view going through small helpers that share state on g."""
    record_event("open")
    user = current_user()
    orders = get_db().orders(current_user())
    record_event("orders")
    return {
        "user": user["name"],
        "orders": orders,
        "events": g.events,
        "queries": get_db().queries,
        "db": get_db().name,
    }


@app.route("/checksum")
def checksum_view() -> Any:
    """A sync view doing CPU work (SHA-256 rounds) on a query argument, jsonify out."""
    rounds = request.args.get("rounds", 1, type=int)
    return jsonify(rounds=rounds, digest=checksum(CHECKSUM_INPUT, rounds))


BLUEPRINTS = (
    hooks,
    api,
    shop,
    db,
    messages,
    maintenance,
    guarded,
    site,
    private,
    admin,
    v1,
    tenant,
    sync_bp,
    api_errors,
    ws_hooked,
    store,
    beta,
    members,
    intl,
    ws_auth,
)
for blueprint in BLUEPRINTS:
    app.register_blueprint(blueprint)


def _add_numbered_route(index: int) -> None:
    """Register ``/r<index>`` returning ``route <index>``."""

    async def numbered() -> str:
        return f"route {index}"

    app.add_url_rule(f"/r{index}", f"r{index}", numbered)


for _index in range(ROUTE_COUNT):
    _add_numbered_route(_index)
