"""Overriding one of Quart's pipeline methods replaces that step only.

The compiled pipeline calls an app's override in its step's place; the override's
``super()`` call runs the step. Whatever single method an app overrides (trivially), a
user sees the answers of the plain app: status, body and headers, on text, tuples, JSON,
errors with and without handlers, hooks, sessions, HEAD, OPTIONS, 404 and 405. And an
override that changes something is seen on every request it applies to, including the
text responses the plain pipeline sends without building a response object.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from erlen import Blueprint, Erlen, abort, after_this_request, g, jsonify, request, session

STEP_METHODS = [
    "handle_request",
    "match_request",
    "request_context",
    "full_dispatch_request",
    "preprocess_request",
    "dispatch_request",
    "handle_user_exception",
    "handle_http_exception",
    "finalize_request",
    "make_response",
    "process_response",
    "handle_exception",
    "do_teardown_request",
    "do_teardown_appcontext",
]


def recording(name: str) -> type[Erlen]:
    """An Erlen subclass overriding ``name`` with a method that notes the call and
    delegates to Erlen's (as ``super()`` would)."""
    base = getattr(Erlen, name)
    if inspect.iscoroutinefunction(base):

        async def override(self: Any, *args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return await base(self, *args, **kwargs)

    else:

        def override(self: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            self.calls.append(name)
            return base(self, *args, **kwargs)

    return type(f"Overriding_{name}", (Erlen,), {name: override, "calls": []})


def build(app_class: type[Erlen], log: list[str]) -> Erlen:
    app = app_class(__name__, extra_plugins=["sessions"])
    app.config["SECRET_KEY"] = "steps"
    app.calls = []  # type: ignore[attr-defined]
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.before_request
    async def bp_before() -> Any:
        g.seen = "bp"
        return "stopped", 202 if request.args.get("stop") else None

    @bp.after_request
    async def bp_after(response: Any) -> Any:
        response.headers["X-Bp"] = g.seen
        return response

    @bp.route("/hello")
    async def bp_hello() -> str:
        return "bp hello"

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        log.append(f"teardown {type(exc).__name__ if exc else None}")

    @app.teardown_appcontext
    async def app_teardown(exc: BaseException | None) -> None:
        log.append("appcontext")

    @app.errorhandler(KeyError)
    async def key_error(error: KeyError) -> Any:
        return "key error", 409, {"X-Handled": "1"}

    @app.errorhandler(418)
    async def teapot(error: Any) -> Any:
        return "short and stout", 418

    @app.route("/")
    async def index() -> str:
        return "index"

    @app.route("/bytes")
    async def raw() -> bytes:
        return b"raw"

    @app.route("/tuple")
    async def as_tuple() -> Any:
        return "created", 201, {"X-Tuple": "1"}

    @app.route("/json")
    async def as_json() -> Any:
        return jsonify(ok=True)

    @app.route("/dict")
    async def as_dict() -> Any:
        return {"a": 1}

    @app.route("/after-this")
    async def after_this() -> str:
        @after_this_request
        async def add(response: Any) -> Any:
            response.headers["X-After-This"] = "1"
            return response

        return "after"

    @app.route("/key")
    async def key() -> str:
        raise KeyError("k")

    @app.route("/teapot")
    async def teapot_view() -> str:
        abort(418)

    @app.route("/forbidden")
    async def forbidden() -> str:
        abort(403)

    @app.route("/boom")
    async def boom() -> str:
        raise RuntimeError("boom")

    @app.route("/login", methods=["POST"])
    async def login() -> str:
        session["user"] = "ada"
        return "in"

    @app.route("/me")
    async def me() -> str:
        return f"user={session.get('user')}"

    @app.route("/user/<int:n>")
    async def user(n: int) -> str:
        return f"user {n}"

    app.register_blueprint(bp)
    return app


REQUESTS = [
    ("GET", "/"),
    ("HEAD", "/"),
    ("OPTIONS", "/"),
    ("GET", "/bytes"),
    ("GET", "/tuple"),
    ("GET", "/json"),
    ("GET", "/dict"),
    ("GET", "/after-this"),
    ("GET", "/key"),
    ("GET", "/teapot"),
    ("GET", "/forbidden"),
    ("GET", "/boom"),
    ("GET", "/user/7"),
    ("GET", "/user/x"),
    ("POST", "/"),
    ("GET", "/missing"),
    ("GET", "/bp/hello"),
    ("GET", "/bp/hello?stop=1"),
    ("POST", "/login"),
    ("GET", "/me"),
]


async def answers(app_class: type[Erlen]) -> tuple[list[Any], list[str]]:
    log: list[str] = []
    app = build(app_class, log)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    seen = []
    for method, path in REQUESTS:
        response = await client.open(path, method=method)
        headers = sorted(
            (k.lower(), v.split("=")[0] if k.lower() == "set-cookie" else v)
            for k, v in response.headers.items()
        )
        seen.append(
            (method, path, response.status_code, headers, await response.get_data(), log[:])
        )
        log.clear()
    return seen, app.calls  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", STEP_METHODS)
async def test_an_app_overriding_one_step_answers_like_the_plain_app(name: str) -> None:
    reference, _ = await answers(Erlen)
    seen, calls = await answers(recording(name))
    for one, other in zip(seen, reference, strict=True):
        assert one == other
    assert name in calls  # every one of them is reached by some request above


async def test_the_reference_answers_are_quarts() -> None:
    reference, _ = await answers(Erlen)
    by_request = {(m, p): (status, dict(h), body) for m, p, status, h, body, _log in reference}
    assert by_request[("GET", "/")][0::2] == (200, b"index")
    assert by_request[("HEAD", "/")][0::2] == (200, b"index")  # the test client keeps it
    assert by_request[("HEAD", "/")][1]["content-length"] == "5"
    assert by_request[("GET", "/tuple")][0::2] == (201, b"created")
    assert by_request[("GET", "/tuple")][1]["x-tuple"] == "1"
    assert by_request[("GET", "/key")][0::2] == (409, b"key error")
    assert by_request[("GET", "/teapot")][0::2] == (418, b"short and stout")
    assert by_request[("GET", "/forbidden")][0] == 403
    assert by_request[("GET", "/boom")][0] == 500
    assert by_request[("GET", "/user/x")][0] == 404
    assert by_request[("POST", "/")][0] == 405
    assert by_request[("GET", "/bp/hello")][1]["x-bp"] == "bp"
    assert by_request[("GET", "/bp/hello?stop=1")][0::2] == (202, b"stopped")
    assert by_request[("GET", "/me")][2] == b"user=ada"
    assert [log for *_rest, log in reference][0] == ["teardown None", "appcontext"]


def marking_app(**methods: Any) -> Erlen:
    app = type("Marking", (Erlen,), methods)(__name__)

    @app.route("/")
    async def index() -> str:
        return "index"

    @app.route("/fail")
    async def fail() -> str:
        raise ValueError("no")

    return app


async def test_make_response_alone_sees_every_return_value() -> None:
    async def make_response(self: Any, result: Any) -> Any:
        response = await Erlen.make_response(self, result)
        response.headers["X-Made"] = "1"
        return response

    client = marking_app(make_response=make_response).test_client()
    response = await client.get("/")
    assert (response.status_code, response.headers["X-Made"]) == (200, "1")
    assert await response.get_data() == b"index"
    assert (await client.get("/missing")).headers["X-Made"] == "1"


async def test_process_response_alone_sees_text_responses() -> None:
    async def process_response(self: Any, response: Any, ctx: Any = None) -> Any:
        response = await Erlen.process_response(self, response, ctx)
        response.headers["X-Processed"] = "1"
        return response

    response = await marking_app(process_response=process_response).test_client().get("/")
    assert response.headers["X-Processed"] == "1"
    assert response.headers["Content-Length"] == "5"


async def test_preprocess_request_alone_can_answer_instead_of_the_view() -> None:
    async def preprocess_request(self: Any, ctx: Any = None) -> Any:
        return "preprocessed", 203

    response = await marking_app(preprocess_request=preprocess_request).test_client().get("/")
    assert response.status_code == 203
    assert await response.get_data() == b"preprocessed"


async def test_dispatch_request_alone_replaces_the_view_call() -> None:
    async def dispatch_request(self: Any, ctx: Any = None) -> Any:
        return f"dispatched {request.endpoint}"

    response = await marking_app(dispatch_request=dispatch_request).test_client().get("/")
    assert await response.get_data() == b"dispatched index"


async def test_full_dispatch_request_alone_replaces_the_dispatch() -> None:
    async def full_dispatch_request(self: Any, ctx: Any = None) -> Any:
        response = await Erlen.full_dispatch_request(self, ctx)
        response.status_code = 299
        return response

    client = marking_app(full_dispatch_request=full_dispatch_request).test_client()
    response = await client.get("/")
    assert (response.status_code, await response.get_data()) == (299, b"index")


async def test_handle_request_alone_wraps_the_whole_request() -> None:
    async def handle_request(self: Any, request: Any) -> Any:
        response = await Erlen.handle_request(self, request)
        response.headers["X-Handled"] = request.path
        return response

    client = marking_app(handle_request=handle_request).test_client()
    response = await client.get("/")
    assert response.headers["X-Handled"] == "/"
    assert await response.get_data() == b"index"
    response = await client.head("/")
    assert (response.headers["Content-Length"], await response.get_data()) == ("5", b"index")


async def test_finalize_request_alone_sees_every_result() -> None:
    async def finalize_request(self: Any, result: Any, ctx: Any = None, **kwargs: Any) -> Any:
        response = await Erlen.finalize_request(self, result, ctx, **kwargs)
        response.headers["X-Final"] = "1"
        return response

    app = marking_app(finalize_request=finalize_request)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    assert (await client.get("/")).headers["X-Final"] == "1"
    response = await client.get("/fail")
    assert (response.status_code, response.headers["X-Final"]) == (500, "1")


async def test_handle_user_exception_alone_answers_errors() -> None:
    async def handle_user_exception(self: Any, error: Exception) -> Any:
        if isinstance(error, ValueError):
            return f"user error {error}", 400
        return await Erlen.handle_user_exception(self, error)

    client = marking_app(handle_user_exception=handle_user_exception).test_client()
    response = await client.get("/fail")
    assert (response.status_code, await response.get_data()) == (400, b"user error no")
    assert (await client.get("/missing")).status_code == 404


async def test_handle_exception_alone_answers_unhandled_errors() -> None:
    async def handle_exception(self: Any, error: Exception) -> Any:
        return self.response_class(f"sorry: {error}", 503)

    app = marking_app(handle_exception=handle_exception)
    response = await app.test_client().get("/fail")
    assert (response.status_code, await response.get_data()) == (503, b"sorry: no")


async def test_do_teardown_request_alone_sees_each_request_end() -> None:
    ended: list[Any] = []

    async def do_teardown_request(self: Any, exc: Any, ctx: Any = None) -> None:
        ended.append(ctx.request.path if ctx is not None else request.path)
        await Erlen.do_teardown_request(self, exc, ctx)

    client = marking_app(do_teardown_request=do_teardown_request).test_client()
    assert await (await client.get("/")).get_data() == b"index"
    assert ended == ["/"]
