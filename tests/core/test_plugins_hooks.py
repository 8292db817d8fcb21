"""What a plugin can do, through the public API (``erlen.hookimpl``): routes, config
defaults, template globals, request lifecycle hooks in ``tryfirst``/``trylast`` order, a
new ASGI scope type; and that a plain request makes no pluggy hook call at all."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from erlen import Erlen, g, hookimpl, render_template_string, request
from erlen.exceptions import PluginError


def make_app(*plugins: object) -> Erlen:
    return Erlen(__name__, plugins=["testing", "templating", *plugins])


class Health:
    """Adds a route, a config default and a template global."""

    name = "health"

    @hookimpl
    def erlen_configure(self, app: Any) -> None:
        app.config.setdefault("HEALTH_TEXT", "ok")

        @app.route("/health")
        async def health() -> str:
            return app.config["HEALTH_TEXT"]

    @hookimpl
    def erlen_prepare_template_environment(self, app: Any, env: Any) -> None:
        env.globals["build"] = "b42"


async def test_plugin_adds_route_config_default_and_template_global() -> None:
    app = make_app(Health())
    assert app.config["HEALTH_TEXT"] == "ok"
    app.config["HEALTH_TEXT"] = "fine"  # the app's own config wins over the default
    response = await app.test_client().get("/health")
    assert await response.get_data(as_text=True) == "fine"
    async with app.app_context():
        assert await render_template_string("{{ build }}") == "b42"


# --- ordering ---------------------------------------------------------------------------


def ordered(label: str, **marks: bool) -> object:
    """A plugin whose request hooks record ``label`` in ``g`` and in a response header."""

    class Ordered:
        name = label

        @hookimpl(**marks)
        def erlen_before_request(self, app: Any, request: Any) -> None:
            g.setdefault("order", []).append(label)

        @hookimpl(**marks)
        async def erlen_after_request(self, app: Any, request: Any, response: Any) -> Any:
            response.headers.add("X-After", label)
            return response

    return Ordered()


async def test_tryfirst_and_trylast_order_the_compiled_hooks() -> None:
    # Registered last-first on purpose: the marks, not the registration order, decide.
    app = make_app(ordered("last", trylast=True), ordered("plain"), ordered("first", tryfirst=True))

    @app.route("/")
    async def index() -> str:
        return ",".join(g.order)

    response = await app.test_client().get("/")
    assert await response.get_data(as_text=True) == "first,plain,last"
    assert response.headers.getlist("X-After") == ["first", "plain", "last"]


async def test_plain_registration_order_is_last_registered_first() -> None:
    app = make_app(ordered("a"), ordered("b"))

    @app.route("/")
    async def index() -> str:
        return ",".join(g.order)

    response = await app.test_client().get("/")
    assert await response.get_data(as_text=True) == "b,a"  # pluggy's LIFO call order


async def test_before_request_hook_can_answer_and_runs_before_the_app_hooks() -> None:
    class Gate:
        name = "gate"

        @hookimpl
        async def erlen_before_request(self, app: Any, request: Any) -> Any:
            if request.headers.get("X-Key") != "secret":
                return "forbidden", 403
            return None

    app = make_app(Gate())
    calls: list[str] = []

    @app.before_request
    async def app_hook() -> None:
        calls.append("app")

    @app.route("/")
    async def index() -> str:
        return "in"

    client = app.test_client()
    refused = await client.get("/")
    assert refused.status_code == 403
    assert await refused.get_data(as_text=True) == "forbidden"
    assert calls == []  # the plugin hook answered first
    allowed = await client.get("/", headers={"X-Key": "secret"})
    assert await allowed.get_data(as_text=True) == "in"
    assert calls == ["app"]


async def test_teardown_hook_sees_the_error() -> None:
    seen: list[str] = []

    class Watcher:
        name = "watcher"

        @hookimpl
        def erlen_teardown_request(self, app: Any, request: Any, exc: Any) -> None:
            seen.append(f"{request.path}:{type(exc).__name__ if exc else None}")

    app = make_app(Watcher())

    @app.route("/ok")
    async def ok() -> str:
        return "ok"

    @app.route("/boom")
    async def boom() -> str:
        raise ValueError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    assert (await client.get("/ok")).status_code == 200
    assert (await client.get("/boom")).status_code == 500
    assert seen == ["/ok:None", "/boom:ValueError"]


async def test_a_wrapper_on_a_per_request_hook_is_refused() -> None:
    class Wrapping:
        name = "wrapping"

        @hookimpl(wrapper=True)
        def erlen_before_request(self, app: Any, request: Any) -> Any:
            return (yield)

    app = make_app(Wrapping())
    with pytest.raises(PluginError, match="'wrapping': per-request hook erlen_before_request"):
        await app.test_client().get("/")


# --- a new ASGI scope type ----------------------------------------------------------------


class Ping:
    """Serves a made-up ``ping`` scope type: answers each ``ping.request`` with a pong."""

    name = "ping"

    @hookimpl
    def erlen_protocol_handlers(self, app: Any) -> dict[str, Any]:
        async def serve_ping(scope: dict[str, Any], receive: Any, send: Any) -> None:
            message = await receive()
            await send({"type": "ping.response", "text": f"pong {message['text']} {app.name}"})

        return {"ping": serve_ping}


async def drive(app: Erlen, scope_type: str, text: str) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": f"{scope_type}.request", "text": text}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(app({"type": scope_type}, receive, send), 5)
    return sent


async def test_plugin_serves_a_new_scope_type() -> None:
    app = make_app(Ping())

    @app.route("/")
    async def index() -> str:
        return "http still works"

    assert await drive(app, "ping", "hi") == [
        {"type": "ping.response", "text": f"pong hi {app.name}"}
    ]
    response = await app.test_client().get("/")
    assert await response.get_data(as_text=True) == "http still works"


async def test_unknown_scope_hook_resolves_a_type_on_first_use() -> None:
    asked: list[str] = []

    class Lazy:
        name = "lazy"

        @hookimpl
        def erlen_unknown_scope(self, app: Any, scope_type: str) -> Any:
            asked.append(scope_type)
            if scope_type != "echo":
                return None

            async def serve_echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
                await send(await receive())

            return serve_echo

    app = make_app(Lazy())
    assert await drive(app, "echo", "one") == [{"type": "echo.request", "text": "one"}]
    assert await drive(app, "echo", "two") == [{"type": "echo.request", "text": "two"}]
    assert asked == ["echo"]  # resolved once, then cached
    with pytest.raises(RuntimeError, match="ASGI scope type 'mystery' is unknown"):
        await drive(app, "mystery", "?")


# --- cost -------------------------------------------------------------------------------


async def test_a_plain_request_makes_zero_pluggy_hook_calls() -> None:
    app = Erlen(__name__)  # every installed plugin loaded

    @app.route("/<name>")
    async def index(name: str) -> str:
        return f"hello {name} {request.args.get('x', '')}"

    client = app.test_client()
    assert (await client.get("/warm")).status_code == 200  # freeze happens here
    calls: list[str] = []
    undo = app.plugin_manager.add_hookcall_monitoring(
        lambda name, impls, kwargs: calls.append(name), lambda *args: None
    )
    try:
        response = await client.get("/ada?x=1")
        assert await response.get_data(as_text=True) == "hello ada 1"
        assert (await client.get("/missing/page")).status_code == 404
    finally:
        undo()
    assert calls == []
