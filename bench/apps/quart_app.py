"""Benchmark app written against the Quart API.

Its twin app is this same text with only the framework name swapped;
``bench/run.py`` checks that the twins match, so edit both together.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from quart import (
    Blueprint,
    Quart,
    g,
    jsonify,
    render_template_string,
    request,
    session,
    websocket,
)

TEMPLATE = "<h1>{{ title }}</h1><ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul>"
ITEMS = [f"item {i}" for i in range(10)]

app = Quart(__name__)
app.config["SECRET_KEY"] = "bench-secret-key"

# The lifecycle hooks live on a blueprint so that only /login and /lifecycle
# pay for them; every other scenario measures the bare request path.
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


@hooks.route("/login")
async def login() -> str:
    """Store a user in the session so /lifecycle has a cookie to decode."""
    session["user"] = "alice"
    return "ok"


@hooks.route("/lifecycle")
async def lifecycle() -> str:
    """Read the hook's state and a session key."""
    return f"x={g.x} user={session.get('user', 'anonymous')}"


app.register_blueprint(hooks)


@app.route("/plaintext")
async def plaintext() -> str:
    """Smallest possible response."""
    return "Hello, World!"


@app.route("/json")
async def json_message() -> Any:
    """Serialise a small dict."""
    return jsonify({"message": "Hello, World!"})


@app.route("/users/<int:user_id>")
async def user(user_id: int) -> str:
    """Typed path parameter."""
    return f"user {user_id}"


@app.route("/echo", methods=["POST"])
async def echo() -> Any:
    """Parse a JSON body and serialise it back."""
    return jsonify(await request.get_json())


@app.route("/stream")
async def stream() -> Any:
    """Stream ten chunks from an async generator."""

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(10):
            yield f"chunk{i}\n".encode()

    return chunks(), 200, {"Content-Type": "text/plain; charset=utf-8"}


@app.route("/template")
async def template() -> str:
    """Render a template string (compiled on each call, as the API does)."""
    return await render_template_string(TEMPLATE, title="Items", items=ITEMS)


@app.websocket("/ws")
async def ws() -> None:
    """Echo every message back."""
    while True:
        data = await websocket.receive()
        await websocket.send(data)


def _add_numbered_route(index: int) -> None:
    """Register ``/r<index>`` returning ``route <index>``."""

    async def numbered() -> str:
        return f"route {index}"

    app.add_url_rule(f"/r{index}", f"r{index}", numbered)


for _index in range(100):
    _add_numbered_route(_index)
