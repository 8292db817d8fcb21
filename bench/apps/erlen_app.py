"""Benchmark app written against the Erlen API: one route per handler shape.

Its twin app is this same text with only the framework name swapped;
``bench/run.py`` checks that the twins match, so edit both together.
Hooks, teardown and error handlers sit on blueprints so that only their own
shapes pay for them; every other shape measures its bare request path.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, NoReturn

from erlen import (
    Blueprint,
    Erlen,
    Response,
    abort,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    render_template_string,
    request,
    send_file,
    session,
    stream_with_context,
    url_for,
    websocket,
)
from erlen.views import MethodView
from werkzeug.exceptions import HTTPException

TEMPLATE = "<h1>{{ title }}</h1><ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul>"
ITEMS = [f"item {i}" for i in range(10)]
ROUTE_COUNT = 300
API_TOKEN = "Bearer bench-token"
HELLO_FILE = Path(__file__).resolve().parent / "static" / "hello.txt"
ROWS = [{"id": i, "name": f"row {i}", "active": i % 2 == 0} for i in range(100)]

# The Erlen twin loads only Erlen's own plugins, whatever else is installed: an installed
# third-party plugin is loaded only when an app selects it (load_app checks it).
app = Erlen(__name__)
app.config["SECRET_KEY"] = "bench-secret-key"


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


for blueprint in (hooks, api, shop, db, messages, maintenance, guarded, site):
    app.register_blueprint(blueprint)


def _add_numbered_route(index: int) -> None:
    """Register ``/r<index>`` returning ``route <index>``."""

    async def numbered() -> str:
        return f"route {index}"

    app.add_url_rule(f"/r{index}", f"r{index}", numbered)


for _index in range(ROUTE_COUNT):
    _add_numbered_route(_index)
