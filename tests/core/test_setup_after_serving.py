"""Setup after the app started serving (a route, a hook, a blueprint added after the
first request, as Quart 0.22 accepts): the app compiles again at its next connection,
and a connection already running finishes with what it started with."""

from __future__ import annotations

import asyncio
from typing import Any

from erlen import Blueprint, Erlen, g, request
from erlen.ctx import RequestContext
from erlen.sessions import SecureCookieSession, SessionInterface
from erlen.wrappers.request import Request, RequestLimits


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        return "index"

    return app


async def test_a_route_added_after_the_first_request_is_served() -> None:
    app = make_app()
    client = app.test_client()
    assert (await client.get("/late")).status_code == 404
    assert app.frozen

    @app.get("/late")
    async def late() -> str:
        return "late"

    assert not app.frozen
    response = await client.get("/late")
    assert (response.status_code, await response.get_data()) == (200, b"late")
    assert app.frozen


async def test_hooks_and_error_handlers_added_later_run() -> None:
    app = make_app()
    client = app.test_client()
    await client.get("/")

    @app.before_request
    def before() -> None:
        g.seen = "before"

    @app.after_request
    def after(response: Any) -> Any:
        response.headers["X-Seen"] = g.seen
        return response

    @app.errorhandler(404)
    def missing(error: Exception) -> tuple[str, int]:
        return "custom 404", 404

    response = await client.get("/")
    assert response.headers["X-Seen"] == "before"
    missing_page = await client.get("/nowhere")
    assert await missing_page.get_data() == b"custom 404"


async def test_a_blueprint_registered_from_inside_a_request_is_served_next() -> None:
    app = make_app()
    bp = Blueprint("extra", __name__, url_prefix="/extra")

    @bp.route("/")
    async def extra() -> str:
        return "extra"

    @app.route("/install")
    async def install() -> str:
        app.register_blueprint(bp)
        return "installed"

    client = app.test_client()
    assert await (await client.get("/install")).get_data() == b"installed"
    assert await (await client.get("/extra/")).get_data() == b"extra"


async def test_a_running_request_finishes_with_what_it_started_with() -> None:
    app = make_app()
    started = asyncio.Event()
    release = asyncio.Event()

    @app.route("/slow")
    async def slow() -> str:
        started.set()
        await release.wait()
        return "slow"

    client = app.test_client()
    pending = asyncio.ensure_future(client.get("/slow"))
    await asyncio.wait_for(started.wait(), 5)
    app.add_url_rule("/other", "other", lambda: "other")
    release.set()
    response = await asyncio.wait_for(pending, 5)
    assert await response.get_data() == b"slow"
    assert await (await client.get("/other")).get_data() == b"other"


async def test_asgi_middleware_set_on_the_app_keeps_wrapping_after_more_setup() -> None:
    app = make_app()
    seen: list[str] = []
    inner = app.asgi_app

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await inner(scope, receive, send)

    app.asgi_app = middleware  # type: ignore[method-assign]
    client = app.test_client()
    await client.get("/")
    app.add_url_rule("/added", "added", lambda: "added")
    assert await (await client.get("/added")).get_data() == b"added"
    assert seen == ["/", "/added"]


async def test_an_overridden_create_url_adapter_matches_requests() -> None:
    class Maintenance(Erlen):
        def create_url_adapter(self, request: Any) -> Any:
            if request is None:
                return super().create_url_adapter(request)
            return self.url_map.bind("localhost", path_info="/maintenance")

    app = Maintenance(__name__)

    @app.route("/")
    async def index() -> str:
        return "index"

    @app.route("/maintenance")
    async def maintenance() -> str:
        return "down for maintenance"

    response = await app.test_client().get("/")
    assert await response.get_data() == b"down for maintenance"


async def test_create_url_adapter_set_on_the_instance_after_serving_is_used() -> None:
    app = make_app()

    @app.route("/other")
    async def other() -> str:
        return "other"

    client = app.test_client()
    assert await (await client.get("/")).get_data() == b"index"
    app.create_url_adapter = lambda request: app.url_map.bind(  # type: ignore[method-assign]
        "localhost", path_info="/other"
    )
    assert await (await client.get("/")).get_data() == b"other"


async def test_a_request_context_matches_a_request_built_by_hand() -> None:
    app = make_app()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        pass

    def build(path: str) -> Request:
        scope = {"type": "http", "method": "GET", "path": path, "headers": [(b"host", b"h")]}
        return Request.from_scope(scope, receive, send, RequestLimits())

    async with RequestContext(app, build("/")) as ctx:
        assert ctx.request.endpoint == "index"
    async with RequestContext(app, build("/nowhere")) as ctx:
        assert ctx.request.routing_exception is not None
        assert ctx.request.routing_exception.code == 404


async def test_config_limits_set_after_the_first_request_apply_to_the_next() -> None:
    """``MAX_CONTENT_LENGTH`` (and the other limits the handler reads) changed on an app
    that already served requests, as a test sharing one app does: Flask and Quart read
    them per request, and so does the next request here."""
    app = Erlen(__name__)

    @app.post("/")
    async def size() -> str:
        return str(len(await request.get_data()))

    client = app.test_client()
    response = await client.post("/", data=b"x" * 100)
    assert (response.status_code, await response.get_data()) == (200, b"100")
    app.config["MAX_CONTENT_LENGTH"] = 10
    assert (await client.post("/", data=b"x" * 100)).status_code == 413
    assert (await client.post("/", data=b"x" * 5)).status_code == 200
    app.config["MAX_CONTENT_LENGTH"] = None
    assert (await client.post("/", data=b"x" * 100)).status_code == 200


async def test_a_request_class_set_after_the_first_request_builds_the_next() -> None:
    app = Erlen(__name__)

    @app.get("/")
    async def kind() -> str:
        return type(request._get_current_object()).__name__

    client = app.test_client()
    assert await (await client.get("/")).get_data() == b"Request"

    class AppRequest(Request):
        pass

    app.request_class = AppRequest
    assert await (await client.get("/")).get_data() == b"AppRequest"


async def test_a_session_interface_set_after_the_first_request_opens_the_next() -> None:
    """An interface that cannot open lazily (only an async ``open_session``, Quart's
    kind) set on an app that already served requests: each request opens its session
    when it starts, before the view, as when the interface was there from the start."""
    opened: list[str] = []

    class RecordingInterface(SessionInterface):
        async def open_session(self, app: Any, request: Any) -> Any:
            opened.append(request.path)
            return SecureCookieSession({"user": "alice"})

        async def save_session(self, app: Any, session: Any, response: Any) -> None:
            return None

    app = Erlen(__name__)

    @app.get("/plain")
    async def plain() -> str:
        return "plain"

    client = app.test_client()
    assert await (await client.get("/plain")).get_data() == b"plain"
    app.session_interface = RecordingInterface()
    assert await (await client.get("/plain")).get_data() == b"plain"
    assert opened == ["/plain"]
