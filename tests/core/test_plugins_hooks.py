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


# --- return values and errors a plugin answers ----------------------------------------


class Point:
    """A return type only a plugin knows how to send."""

    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y


class PointsAsJSON:
    name = "points"

    @hookimpl
    def erlen_convert_return_value(self, app: Any, value: Any) -> Any:
        if isinstance(value, Point):
            return app.json.response({"x": value.x, "y": value.y})
        return None


class PointsAsText:
    """Takes only ``value`` (a hook may declare a subset of the spec's arguments)."""

    name = "points-text"

    @hookimpl(trylast=True)
    def erlen_convert_return_value(self, value: Any) -> Any:
        from erlen import Response

        return Response(f"point {value.x},{value.y}") if isinstance(value, Point) else None


def point_app(*plugins: object) -> Erlen:
    app = make_app(*plugins)

    @app.route("/point")
    async def point() -> Any:
        return Point(1, 2)

    @app.route("/other")
    async def other() -> Any:
        return object()

    return app


async def test_a_plugin_converts_a_return_type_and_the_first_answer_wins() -> None:
    app = point_app(PointsAsText(), PointsAsJSON())  # trylast: PointsAsJSON answers first
    client = app.test_client()
    for _ in range(2):  # before and after the app froze
        response = await client.get("/point")
        assert response.status_code == 200
        assert await response.get_json() == {"x": 1, "y": 2}
    app_text = point_app(PointsAsText())
    response = await app_text.test_client().get("/point")
    assert await response.get_data(as_text=True) == "point 1,2"


async def test_a_return_type_no_plugin_converts_is_a_500_naming_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = point_app(PointsAsJSON())
    response = await app.test_client().get("/other")
    assert response.status_code == 500
    assert "did not return a valid response" in caplog.text
    assert "but it was a object" in caplog.text


async def test_converting_a_return_value_makes_no_pluggy_call_once_frozen() -> None:
    app = point_app(PointsAsJSON())
    client = app.test_client()
    assert (await client.get("/point")).status_code == 200  # freeze happens here
    calls: list[str] = []
    undo = app.plugin_manager.add_hookcall_monitoring(
        lambda name, impls, kwargs: calls.append(name), lambda *args: None
    )
    try:
        assert await (await client.get("/point")).get_json() == {"x": 1, "y": 2}
    finally:
        undo()
    assert calls == []


class AnswersLookupErrors:
    name = "lookup-errors"

    @hookimpl
    async def erlen_handle_exception(self, app: Any, request: Any, exc: BaseException) -> Any:
        if isinstance(exc, LookupError):
            return f"no such thing: {exc} ({request.path})", 404
        return None


def error_app(*plugins: object) -> Erlen:
    """An app whose ``/missing`` raises ``KeyError`` and ``/broken`` ``ValueError``."""
    app = make_app(*plugins)

    @app.route("/missing")
    async def missing() -> str:
        raise KeyError("gizmo")

    @app.route("/broken")
    async def broken() -> str:
        raise ValueError("boom")

    return app


async def test_a_plugin_answers_an_unhandled_error_else_the_500_handling_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = error_app(AnswersLookupErrors())

    client = app.test_client()
    for _ in range(2):  # before and after the app froze
        response = await client.get("/missing")
        assert response.status_code == 404
        assert await response.get_data(as_text=True) == "no such thing: 'gizmo' (/missing)"
    assert "Exception on" not in caplog.text  # answered: nothing logged as an error
    response = await client.get("/broken")
    assert response.status_code == 500
    assert "Exception on request GET /broken" in caplog.text


async def test_a_plugin_registered_after_the_app_froze_takes_part() -> None:
    app = point_app()
    client = app.test_client()
    assert (await client.get("/point")).status_code == 500  # frozen, no plugin converts
    app.register_plugin(PointsAsJSON())
    response = await client.get("/point")
    assert response.status_code == 200
    assert await response.get_json() == {"x": 1, "y": 2}


class ObservesErrors:
    """A wrapper (pluggy's ``wrapper=True``) sees every unhandled error."""

    name = "observes-errors"

    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl(wrapper=True)
    def erlen_handle_exception(self, app: Any, request: Any, exc: BaseException) -> Any:
        answer = yield
        self.seen.append(f"{type(exc).__name__}: {exc}")
        return answer


async def test_a_wrapper_on_the_error_hook_still_sees_every_error() -> None:
    observer = ObservesErrors()
    app = error_app(AnswersLookupErrors(), observer)

    client = app.test_client()
    for _ in range(2):  # before and after the app froze
        assert (await client.get("/missing")).status_code == 404
    assert (await client.get("/broken")).status_code == 500
    assert observer.seen == ["KeyError: 'gizmo'", "KeyError: 'gizmo'", "ValueError: boom"]
