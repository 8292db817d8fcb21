"""The request hot path: no pluggy calls, and the same answers whichever path serves them.

An app that overrides none of Quart's pipeline methods is served by the compiled steps
(``erlen.pipeline``), which leave out what its plans know to be empty, send text nothing
can see without a response object, and match URLs without binding an adapter
(``erlen.matching``). An app overriding a method has that step replaced by the method
(``ChainErlen`` replaces the whole dispatch, so every later step runs through Quart's
method chain). Both must answer every request identically, including the routing errors
and redirects werkzeug produces.
"""

from __future__ import annotations

from typing import Any

import pytest
from erlen import (
    Blueprint,
    Erlen,
    abort,
    after_this_request,
    g,
    hookimpl,
    jsonify,
    request,
    session,
)
from erlen.matching import FastMatcher
from erlen.testing import make_test_scope
from werkzeug.datastructures import Headers


class ChainErlen(Erlen):
    """An app that overrides the dispatch step (trivially): Quart's method chain."""

    async def full_dispatch_request(self, request_context: Any = None) -> Any:
        return await super().full_dispatch_request(request_context)


def build(app_class: type[Erlen], log: list[str], bind_adapter: bool = False) -> Erlen:
    """An app exercising hooks, blueprints, sessions, errors and routing corner cases.

    ``bind_adapter``: set ``TRUSTED_HOSTS``, which makes routing bind a werkzeug
    ``MapAdapter`` per request (the reference the fast matcher must agree with).
    """
    app = app_class(__name__, extra_plugins=["sessions"])
    app.config["SECRET_KEY"] = "hot-path-secret"
    if bind_adapter:
        app.config["TRUSTED_HOSTS"] = ["localhost"]
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.before_request
    async def bp_before() -> Any:
        g.bp = "yes"
        if request.args.get("stop"):
            return "stopped by bp", 202
        return None

    @bp.after_request
    async def bp_after(response: Any) -> Any:
        response.headers["X-Bp"] = g.bp
        return response

    @bp.teardown_request
    async def bp_teardown(exc: BaseException | None) -> None:
        log.append(f"bp teardown {type(exc).__name__ if exc else None}")

    @bp.route("/login")
    async def login() -> str:
        session["user"] = "ada"
        return "in"

    @bp.route("/me")
    async def me() -> str:
        return f"user={session.get('user', 'nobody')}"

    @bp.route("/boom")
    async def bp_boom() -> str:
        raise KeyError("boom")

    @app.teardown_appcontext
    async def app_teardown(exc: BaseException | None) -> None:
        log.append("appcontext teardown")

    @app.errorhandler(KeyError)
    async def key_error(error: KeyError) -> Any:
        return f"key error {error}", 409

    @app.route("/")
    async def index() -> str:
        return "index"

    @app.route("/bytes")
    async def raw() -> bytes:
        return b"\x00bytes"

    @app.route("/json")
    async def as_json() -> Any:
        return jsonify(message="hi")

    @app.route("/dict")
    async def as_dict() -> dict[str, int]:
        return {"a": 1}

    @app.route("/tuple")
    async def as_tuple() -> Any:
        return "created", 201, {"X-Tuple": "1"}

    @app.route("/after-this")
    async def after_this() -> str:
        @after_this_request
        async def add(response: Any) -> Any:
            response.headers["X-After-This"] = "1"
            return response

        return "after"

    @app.route("/abort")
    async def aborting() -> str:
        abort(418)

    @app.route("/none")
    async def returns_none() -> None:
        return None

    @app.route("/stream")
    async def stream() -> Any:
        async def chunks() -> Any:
            for i in range(3):
                yield f"c{i}"

        return chunks()

    @app.route("/users/me")
    async def users_me() -> str:
        return "static me"

    @app.route("/users/<name>", methods=["GET", "POST"])
    async def users(name: str) -> str:
        return f"dynamic {name} {request.method}"

    @app.route("/int/<int:n>")
    async def integer(n: int) -> str:
        return f"int {n * 2}"

    @app.route("/files/<path:rest>")
    async def files(rest: str) -> str:
        return f"files {rest}"

    @app.route("/files/<path:rest>/edit")
    async def edit(rest: str) -> str:
        return f"edit {rest}"

    @app.route("/price/<float:x>/<any(eur, usd):unit>")
    async def price(x: float, unit: str) -> str:
        return f"price {x} {unit}"

    @app.route("/slash/")
    async def slash() -> str:
        return "slash"

    @app.route("/page/", defaults={"n": 1})
    @app.route("/page/<int:n>")
    async def page(n: int) -> str:
        return f"page {n}"

    app.add_url_rule("/old", "old", redirect_to="/")

    @app.route("/post-only", methods=["POST"])
    async def post_only() -> str:
        return "posted"

    app.register_blueprint(bp)
    return app


REQUESTS: list[tuple[str, str]] = [
    ("GET", "/"),
    ("HEAD", "/"),
    ("OPTIONS", "/"),
    ("GET", "/bytes"),
    ("GET", "/json"),
    ("GET", "/dict"),
    ("GET", "/tuple"),
    ("GET", "/after-this"),
    ("GET", "/abort"),
    ("GET", "/none"),
    ("GET", "/stream"),
    ("GET", "/users/me"),
    ("POST", "/users/me"),
    ("GET", "/users/bob"),
    ("GET", "/int/7"),
    ("GET", "/int/x"),
    ("GET", "/files/a/b/c"),
    ("GET", "/files/a/b/"),
    ("GET", "/files/a/edit"),
    ("GET", "/price/1.5/eur"),
    ("GET", "/price/1/eur"),
    ("GET", "/price/1.5/gbp"),
    ("GET", "/slash"),
    ("GET", "/slash/"),
    ("GET", "//slash/"),
    ("GET", "/int//7"),
    ("GET", "/page/"),
    ("GET", "/page/1"),
    ("GET", "/page/2"),
    ("GET", "/old"),
    ("GET", "/post-only"),
    ("DELETE", "/users/bob"),
    ("GET", "/missing"),
    ("GET", "/bp/me"),
    ("GET", "/bp/me?stop=1"),
    ("GET", "/bp/boom"),
    ("GET", "/bp/missing"),
    ("GET", "/missing/deeper/x"),
    ("GET", "/bp/me/x"),
    ("GET", "/bp//me"),
    ("GET", "/users/bob/x"),
    ("POST", "/int/7"),
]


async def answers(app_class: type[Erlen], bind_adapter: bool = False) -> list[Any]:
    """Status, headers, body and side effects of every request in ``REQUESTS``."""
    log: list[str] = []
    app = build(app_class, log, bind_adapter)
    client = app.test_client()
    seen = []
    for method, path in REQUESTS:
        response = await client.open(path, method=method)
        headers = sorted((k, v) for k, v in response.headers.items() if k != "Set-Cookie")
        body = await response.get_data()
        seen.append((method, path, response.status_code, headers, body, list(log)))
        log.clear()
    await client.get("/bp/login")
    response = await client.get("/bp/me")
    seen.append((await response.get_data(), response.headers.get("X-Bp")))
    # A cookie read again (verified once) and sent to a route not reading it.
    for path in ("/bp/me", "/bp/me", "/users/me"):
        response = await client.get(path)
        headers = sorted(response.headers.items())
        seen.append((path, response.status_code, headers, await response.get_data()))
    return seen


async def test_the_fast_pipeline_answers_like_the_method_chain() -> None:
    fast, chain = await answers(Erlen), await answers(ChainErlen)
    adapter = await answers(ChainErlen, bind_adapter=True)
    for one, other, reference in zip(fast, chain, adapter, strict=True):
        assert one == other == reference
    by_request = {(m, p): (status, body) for m, p, status, _h, body, _log in fast[:-4]}
    assert by_request[("GET", "/users/me")] == (200, b"static me")
    assert by_request[("POST", "/users/me")] == (200, b"dynamic me POST")
    assert by_request[("GET", "/int/7")] == (200, b"int 14")
    assert by_request[("GET", "/int/x")][0] == 404
    assert by_request[("GET", "/slash")][0] == 308
    assert by_request[("GET", "/page/1")][0] == 308  # redirect to the defaults' URL
    assert by_request[("GET", "/old")][0] == 308
    assert by_request[("DELETE", "/users/bob")][0] == 405
    assert by_request[("POST", "/int/7")][0] == 405
    assert by_request[("GET", "/missing/deeper/x")][0] == 404
    assert by_request[("GET", "/bp/me/x")][0] == 404
    assert by_request[("GET", "/bp//me")][0] == 308  # werkzeug merges the slashes
    assert by_request[("GET", "/bp/boom")] == (409, b"key error 'boom'")
    assert by_request[("GET", "/bp/me?stop=1")] == (202, b"stopped by bp")
    assert fast[-4] == (b"user=ada", "yes")
    assert ("vary", "Cookie") in fast[-2][2]
    assert all(name != "set-cookie" for name, _value in fast[-2][2])


async def test_text_responses_carry_the_usual_headers() -> None:
    app = build(Erlen, [])
    client = app.test_client()
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Length"] == "5"
    response = await client.get("/json")
    assert response.headers["Content-Type"] == "application/json"
    assert await response.get_json() == {"message": "hi"}


async def test_an_overridden_step_is_called() -> None:
    class Marking(Erlen):
        async def process_response(self, response: Any, request_context: Any = None) -> Any:
            response = await super().process_response(response, request_context)
            response.headers["X-Marked"] = "1"
            return response

    app = Marking(__name__)

    @app.route("/")
    async def index() -> str:
        return "index"

    response = await app.test_client().get("/")
    assert response.headers["X-Marked"] == "1"
    assert await response.get_data() == b"index"


async def test_a_custom_response_class_builds_text_responses() -> None:
    class Tagged(Erlen.response_class):  # type: ignore[name-defined,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.headers["X-Tagged"] = "1"

    app = Erlen(__name__)
    app.response_class = Tagged

    @app.route("/")
    async def index() -> str:
        return "index"

    response = await app.test_client().get("/")
    assert response.headers["X-Tagged"] == "1"
    assert await response.get_data() == b"index"


async def test_a_rule_added_to_the_map_after_the_first_request_matches() -> None:
    from werkzeug.routing import Rule

    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        return "index"

    client = app.test_client()
    assert (await client.get("/late")).status_code == 404
    app.url_map.add(Rule("/late", endpoint="index"))
    response = await client.get("/late")
    assert response.status_code == 200
    assert await response.get_data() == b"index"


@pytest.mark.parametrize("path", ["/hello", "/missing", "/json"])
async def test_a_plain_request_makes_no_pluggy_hook_calls(path: str) -> None:
    app = Erlen(__name__)  # every installed plugin loaded

    @app.route("/hello")
    async def hello() -> str:
        return "hello"

    @app.route("/json")
    async def as_json() -> Any:
        return jsonify(ok=True)

    async def call(path: str) -> int:
        scope = make_test_scope(
            "http", path, "GET", Headers({"host": "localhost"}), b"", "http", "", "1.1"
        )
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return int(sent[0]["status"])

    assert await call(path) in (200, 404)  # the first request freezes the app
    calls: list[str] = []
    undo = app.plugin_manager.add_hookcall_monitoring(
        lambda name, impls, kwargs: calls.append(name), lambda *args: None
    )
    try:
        status = await call(path)
    finally:
        undo()
    assert status == (404 if path == "/missing" else 200)
    assert calls == []


async def test_one_plugin_after_hook_is_one_call_per_request_and_no_pluggy_call() -> None:
    seen: list[str] = []

    class Stamp:
        @hookimpl
        def erlen_after_request(self, app: Any, request: Any, response: Any) -> None:
            seen.append(request.path)
            response.headers["X-Stamp"] = "1"

    app = Erlen(__name__, plugins=["testing", Stamp()])

    @app.route("/hello")
    async def hello() -> str:
        return "hello"

    client = app.test_client()
    assert (await client.get("/hello")).headers["X-Stamp"] == "1"  # freezes the app
    calls: list[str] = []
    undo = app.plugin_manager.add_hookcall_monitoring(
        lambda name, impls, kwargs: calls.append(name), lambda *args: None
    )
    try:
        response = await client.get("/hello")
    finally:
        undo()
    assert response.headers["X-Stamp"] == "1"
    assert await response.get_data() == b"hello"
    assert seen == ["/hello", "/hello"]
    assert calls == []


def test_static_table_agrees_with_match() -> None:
    """The matcher's table of all-static paths answers what its general match() does."""
    app = build(Erlen, [])
    app.freeze()
    matcher = FastMatcher.for_app(app)
    assert matcher is not None
    assert matcher.http_static  # the app has all-static paths
    for path, by_method in matcher.http_static.items():
        for method, rule in by_method.items():
            found = matcher.match(path, method, False)
            if rule is None:  # the answer needs werkzeug: match() declines too
                assert found is None, (method, path)
            else:
                assert found == (rule, {}), (method, path)
