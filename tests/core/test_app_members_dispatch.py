"""API parity, continued: the app's routing, request pipeline, error, context,
background-task, serving and ASGI members called the way a Quart app calls them."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any

import erlen
import pytest
from erlen import Blueprint, Erlen, Response, g, request, url_for
from erlen.testing import make_test_scope
from erlen.utils import run_sync
from werkzeug.datastructures import Headers
from werkzeug.exceptions import BadRequest, Forbidden, NotFound, RequestEntityTooLarge
from werkzeug.routing import BuildError, MapAdapter


@pytest.fixture
def app() -> Erlen:
    # Quart's app members include the templating ones (update_template_context, ...).
    return Erlen(__name__, extra_plugins=["templating"])


# --- routing -------------------------------------------------------------------------


async def test_add_url_rule_without_view_then_endpoint(app: Erlen) -> None:
    app.add_url_rule("/late", "late", methods=["GET", "POST"])

    @app.endpoint("late")
    async def late() -> str:
        return f"late {request.method}"

    client = app.test_client()
    assert await (await client.post("/late")).get_data(as_text=True) == "late POST"
    assert app.view_functions["late"] is late


async def test_make_default_options_response(app: Erlen) -> None:
    @app.route("/thing", methods=["GET", "PUT"])
    async def thing() -> str:
        return "thing"

    async with app.test_request_context("/thing", method="OPTIONS"):
        response = await app.make_default_options_response()
    assert response.status_code == 200
    assert set(response.allow) == {"GET", "HEAD", "OPTIONS", "PUT"}
    via_client = await app.test_client().options("/thing")
    assert set(via_client.allow) == {"GET", "HEAD", "OPTIONS", "PUT"}


async def test_url_build_error_handlers(app: Erlen) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    def external(error: BuildError, endpoint: str, values: dict[str, Any]) -> str | None:
        seen.append((endpoint, dict(values)))
        return f"https://elsewhere.example/{endpoint}" if endpoint == "known" else None

    app.url_build_error_handlers.append(external)
    async with app.test_request_context("/"):
        assert url_for("known") == "https://elsewhere.example/known"
        with pytest.raises(BuildError):
            url_for("unknown")
        with pytest.raises(BuildError):
            app.handle_url_build_error(BuildError("nope", {}, None), "nope", {})
    assert [endpoint for endpoint, _ in seen] == ["known", "unknown", "nope"]


async def test_inject_url_defaults(app: Erlen) -> None:
    @app.url_defaults
    def add_lang(endpoint: str, values: dict[str, Any]) -> None:
        values.setdefault("lang", "en")

    @app.route("/<lang>/page")
    async def page(lang: str) -> str:
        return lang

    values: dict[str, Any] = {}
    app.inject_url_defaults("page", values)
    assert values == {"lang": "en"}
    async with app.test_request_context("/"):
        assert url_for("page") == "/en/page"


def test_iter_blueprints_in_registration_order(app: Erlen) -> None:
    first, second = Blueprint("first", __name__), Blueprint("second", __name__)
    app.register_blueprint(first)
    app.register_blueprint(second, url_prefix="/2")
    assert list(app.iter_blueprints()) == [first, second]
    assert app.blueprints == {"first": first, "second": second}


async def test_create_url_adapter(app: Erlen) -> None:
    @app.route("/x")
    async def x() -> str:
        return "x"

    assert app.create_url_adapter(None) is None  # no SERVER_NAME
    async with app.test_request_context("/x"):
        adapter = app.create_url_adapter(request._get_current_object())
        assert isinstance(adapter, MapAdapter)
        assert adapter.build("x") == "/x"
    app.config["SERVER_NAME"] = "example.com"
    adapter = app.create_url_adapter(None)
    assert adapter is not None
    assert adapter.build("x", force_external=True) == "http://example.com/x"


async def test_raise_routing_exception(app: Erlen) -> None:
    async with app.test_request_context("/missing"):
        req = request._get_current_object()
        with pytest.raises(NotFound):
            app.raise_routing_exception(req)


async def test_redirect(app: Erlen) -> None:
    response = app.redirect("/there")
    assert (response.status_code, response.location) == (302, "/there")
    assert app.redirect("/perm", 301).status_code == 301


# --- the request pipeline, step by step ----------------------------------------------------


async def test_pipeline_methods_step_by_step(app: Erlen) -> None:
    calls: list[str] = []

    @app.before_request
    async def before() -> None:
        calls.append("before")

    @app.after_request
    async def after(response: Response) -> Response:
        calls.append("after")
        response.headers["X-After"] = "1"
        return response

    @app.route("/step")
    async def step() -> str:
        calls.append("view")
        return "stepped"

    async with app.test_request_context("/step") as ctx:
        assert await app.preprocess_request(ctx) is None
        result = await app.dispatch_request(ctx)
        assert result == "stepped"
        response = await app.make_response(result)
        assert await response.get_data() == b"stepped"
        processed = await app.process_response(response, ctx)
        assert processed.headers["X-After"] == "1"
        final = await app.finalize_request("done", ctx)
        assert await final.get_data() == b"done"
    assert calls == ["before", "view", "after", "after"]


async def test_full_dispatch_request_and_handle_request(app: Erlen) -> None:
    @app.route("/full")
    async def full() -> tuple[str, int]:
        return "full", 201

    async with app.test_request_context("/full") as ctx:
        response = await app.full_dispatch_request(ctx)
    assert (response.status_code, await response.get_data()) == (201, b"full")

    async with app.test_request_context("/full") as ctx:
        req = ctx.request
    handled = await app.handle_request(req)
    assert handled.status_code == 201


async def test_preprocess_request_short_circuits(app: Erlen) -> None:
    @app.before_request
    async def stop() -> str:
        return "stopped"

    @app.route("/")
    async def index() -> str:
        return "view"

    async with app.test_request_context("/") as ctx:
        assert await app.preprocess_request(ctx) == "stopped"
    assert await (await app.test_client().get("/")).get_data() == b"stopped"


async def test_make_response_return_value_rules(app: Erlen) -> None:
    async with app.app_context():
        assert (await app.make_response(("body", 202, {"X": "y"}))).headers["X"] == "y"
        assert (await app.make_response(("body", {"X": "h"}))).status_code == 200
        json_response = await app.make_response({"a": 1})
        assert json_response.mimetype == "application/json"
        assert (await app.make_response(NotFound())).status_code == 404
        with pytest.raises(TypeError):
            await app.make_response(None)


# --- errors ----------------------------------------------------------------------------


async def test_handle_http_exception(app: Erlen) -> None:
    @app.errorhandler(404)
    async def not_found(error: NotFound) -> tuple[str, int]:
        return "custom 404", 404

    async with app.test_request_context("/"):
        assert await app.handle_http_exception(NotFound()) == ("custom 404", 404)
        forbidden = Forbidden()
        assert await app.handle_http_exception(forbidden) is forbidden


async def test_handle_user_exception(app: Erlen) -> None:
    class Oops(Exception):
        pass

    @app.errorhandler(Oops)
    async def oops(error: Oops) -> tuple[str, int]:
        return f"handled {error}", 409

    async with app.test_request_context("/"):
        assert await app.handle_user_exception(Oops("x")) == ("handled x", 409)
        with pytest.raises(KeyError):
            await app.handle_user_exception(KeyError("unhandled"))
        bad = BadRequest()
        assert await app.handle_user_exception(bad) is bad


async def test_handle_exception_answers_500(app: Erlen) -> None:
    async with app.test_request_context("/boom"):
        try:
            raise RuntimeError("hidden")
        except RuntimeError as error:
            response = await app.handle_exception(error)
    assert response.status_code == 500
    assert "hidden" not in await response.get_data(as_text=True)


async def test_log_exception(app: Erlen, caplog: pytest.LogCaptureFixture) -> None:
    async with app.test_request_context("/where", method="POST"):
        try:
            raise ValueError("logged")
        except ValueError:
            app.log_exception(sys.exc_info())
    [record] = [r for r in caplog.records if r.name == app.name]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "Exception on request POST /where"
    assert record.exc_info is not None and record.exc_info[0] is ValueError


def test_should_ignore_error_and_trap(app: Erlen) -> None:
    assert app.should_ignore_error(None) is False
    assert app.should_ignore_error(RuntimeError()) is False
    assert app.trap_http_exception(NotFound()) is False
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    assert app.trap_http_exception(NotFound()) is True


# --- contexts --------------------------------------------------------------------------


async def test_app_and_request_contexts(app: Erlen) -> None:
    @app.route("/ctx/<int:n>")
    async def ctx_view(n: int) -> str:
        return str(n)

    async with app.app_context():
        g.value = 1
        assert g.value == 1
        assert isinstance(g._get_current_object(), app.app_ctx_globals_class)
    async with app.test_request_context("/ctx/7", method="GET", query_string={"q": "1"}):
        assert request.view_args == {"n": 7}
        assert request.args["q"] == "1"
        assert request.endpoint == "ctx_view"
    async with app.test_request_context("/ctx/7") as ctx:
        req = ctx.request
    async with app.request_context(req):
        assert request.path == "/ctx/7"


async def test_test_request_context_body_and_push_promise(app: Erlen) -> None:
    pushed: list[str] = []

    async def on_push(path: str, headers: Any) -> None:
        pushed.append(path)

    async with app.test_request_context("/", method="POST", json={"a": 1}):
        assert await request.get_json() == {"a": 1}
    async with app.test_request_context("/", method="POST", form={"f": "v"}):
        assert (await request.form)["f"] == "v"
    async with app.test_request_context("/", send_push_promise=on_push):
        await request.send_push_promise("/style.css")
    assert pushed == ["/style.css"]
    app.config.update(MAX_FORM_PARTS=1, MAX_CONTENT_LENGTH=10)
    async with app.test_request_context("/", method="POST", form={"a": "1", "b": "2"}):
        assert (request.max_form_parts, request.max_content_length) == (1, 10)
        with pytest.raises(RequestEntityTooLarge):
            await request.form


async def test_teardown_appcontext(app: Erlen) -> None:
    seen: list[Any] = []

    @app.teardown_appcontext
    def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    @app.route("/")
    async def index() -> str:
        return "ok"

    await app.test_client().get("/")
    async with app.app_context():
        pass
    assert seen == [None, None]


async def test_shell_context_processor(app: Erlen) -> None:
    @app.shell_context_processor
    def extra() -> dict[str, Any]:
        return {"answer": 42}

    context = app.make_shell_context()
    assert context["app"] is app
    assert context["answer"] == 42
    assert "g" in context


async def test_update_template_context(app: Erlen) -> None:
    @app.context_processor
    async def inject() -> dict[str, Any]:
        return {"site": "parity"}

    async with app.test_request_context("/"):
        context: dict[str, Any] = {}
        await app.update_template_context(context)
    assert context["site"] == "parity"
    assert context["request"].path == "/"


# --- sync/async and background tasks -------------------------------------------------------


async def test_ensure_async_and_sync_to_async(app: Erlen) -> None:
    def blocking(x: int) -> tuple[int, bool]:
        return x * 2, threading_ident() != main_thread

    async def already() -> str:
        return "async"

    main_thread = threading_ident()
    assert app.ensure_async(already) is already
    assert await app.ensure_async(blocking)(21) == (42, True)
    assert await app.sync_to_async(blocking)(1) == (2, True)
    assert await run_sync(blocking)(2) == (4, True)  # quart.utils.run_sync's place

    def numbers() -> Any:
        yield from (1, 2)

    assert [n async for n in await app.ensure_async(numbers)()] == [1, 2]


def threading_ident() -> int:
    import threading

    return threading.get_ident()


async def test_add_background_task_runs_in_app_context(app: Erlen) -> None:
    done = asyncio.Event()
    seen: list[str] = []

    async def job(value: str) -> None:
        from erlen import current_app

        seen.append(f"{current_app.name}:{value}")
        done.set()

    @app.route("/")
    async def index() -> str:
        app.add_background_task(job, "bg")
        return "queued"

    response = await app.test_client().get("/")
    assert response.status_code == 200
    await asyncio.wait_for(done.wait(), 5)
    assert seen == [f"{app.name}:bg"]


async def test_handle_background_exception_logs(
    app: Erlen, caplog: pytest.LogCaptureFixture
) -> None:
    async def failing() -> None:
        raise RuntimeError("bg failure")

    async with app.app_context():
        app.add_background_task(failing)
        tasks = set(app.background_tasks)
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert any(
        r.name == app.name and r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records
    )


# --- serving lifecycle ---------------------------------------------------------------------


async def test_before_while_after_serving(app: Erlen) -> None:
    events: list[str] = []

    @app.before_serving
    async def start() -> None:
        events.append("before")

    @app.while_serving
    async def lifespan() -> Any:
        events.append("while-start")
        yield
        events.append("while-end")

    @app.after_serving
    async def stop() -> None:
        events.append("after")

    async with app.test_app():
        assert events == ["before", "while-start"]
        assert app.shutdown_event is not None and not app.shutdown_event.is_set()
    assert events == ["before", "while-start", "while-end", "after"]


async def test_startup_and_shutdown_directly(app: Erlen) -> None:
    events: list[str] = []
    app.before_serving(lambda: events.append("up"))
    app.after_serving(lambda: events.append("down"))
    await app.startup()
    await app.shutdown()
    assert events == ["up", "down"]


# --- ASGI entry points ---------------------------------------------------------------------


async def call_asgi(app: Any, path: str = "/") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    scope = make_test_scope(
        "http", path, "GET", Headers({"host": "localhost"}), b"", "http", "", "1.1"
    )

    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client stays connected
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), 5)
    return sent


async def test_asgi_app_can_be_wrapped(app: Erlen) -> None:
    @app.route("/")
    async def index() -> str:
        return "inner"

    inner = app.asgi_app

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        async def tagging_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-mw", b"1")]
            await send(message)

        await inner(scope, receive, tagging_send)

    app.asgi_app = middleware  # type: ignore[method-assign]
    sent = await call_asgi(app)
    assert (b"x-mw", b"1") in sent[0]["headers"]
    assert sent[0]["status"] == 200


async def test_asgi_http_class_swap() -> None:
    class Teapot:
        def __init__(self, app: Erlen, scope: dict[str, Any]) -> None:
            self.app, self.scope = app, scope

        async def __call__(self, receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 418, "headers": []})
            body = f"{self.app.name} {self.scope['path']}".encode()
            await send({"type": "http.response.body", "body": body})

    class MyApp(Erlen):
        asgi_http_class = Teapot

    app = MyApp(__name__)
    sent = await call_asgi(app, "/brew")
    assert sent[0]["status"] == 418
    assert sent[1]["body"] == f"{__name__} /brew".encode()


# --- websocket members (pipeline provided by the websocket plugin) --------------------------


async def test_websocket_route_registration(app: Erlen) -> None:
    @app.websocket("/ws")
    async def ws() -> None:
        return None

    async def other() -> None:
        return None

    app.add_websocket("/ws2", "other", other)
    rules = {rule.rule: rule for rule in app.url_map.iter_rules()}
    assert rules["/ws"].websocket and rules["/ws2"].websocket
    assert rules["/ws"].endpoint == "ws" and app.view_functions["other"] is other
    response = await app.test_client().get("/ws")
    assert response.status_code == 400  # an HTTP request to a websocket-only route


async def test_websocket_pipeline_without_plugin_names_it() -> None:
    app = Erlen(__name__, exclude_plugins=["websocket"])
    with pytest.raises(RuntimeError, match="'websocket' plugin"):
        await app.handle_websocket(object())
    # Quart's attribute still names the class (importing it serves nothing).
    assert app.websocket_class is erlen.Websocket


def test_env_debug_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERNEL_DEBUG", "1")
    assert Erlen(__name__).debug is True
    monkeypatch.setenv("KERNEL_DEBUG", "0")
    assert Erlen(__name__).config["DEBUG"] is False
    assert os.environ["KERNEL_DEBUG"] == "0"
