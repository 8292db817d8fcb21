"""Request lifecycle functions: before/after/teardown, url value processing, context processors."""

from __future__ import annotations

from typing import Any

import pytest
from erlen import Erlen, Response, g, request, url_for


@pytest.fixture
def app() -> Erlen:
    return Erlen(__name__)


async def text(response: Any) -> str:
    return await response.get_data(as_text=True)  # type: ignore[no-any-return]


async def test_order_of_lifecycle_functions(app: Erlen) -> None:
    calls: list[str] = []

    @app.before_request
    async def before_one() -> None:
        calls.append("before1")

    @app.before_request
    def before_two() -> None:
        calls.append("before2")

    @app.after_request
    async def after_one(response: Response) -> Response:
        calls.append("after1")
        return response

    @app.after_request
    def after_two(response: Response) -> Response:
        calls.append("after2")
        return response

    @app.teardown_request
    async def teardown_one(exc: BaseException | None) -> None:
        calls.append(f"teardown1 {exc!r}")

    @app.teardown_request
    def teardown_two(exc: BaseException | None) -> None:
        calls.append("teardown2")

    @app.teardown_appcontext
    async def teardown_app(exc: BaseException | None) -> None:
        calls.append("teardown_app")

    @app.route("/")
    async def view() -> str:
        calls.append("view")
        return "ok"

    assert await text(await app.test_client().get("/")) == "ok"
    assert calls == [
        "before1",
        "before2",
        "view",
        "after2",
        "after1",
        "teardown2",
        "teardown1 None",
        "teardown_app",
    ]


async def test_before_request_short_circuits(app: Erlen) -> None:
    calls: list[str] = []

    @app.before_request
    async def gate() -> Any:
        if request.args.get("deny"):
            return "denied", 403
        return None

    @app.before_request
    async def second() -> None:
        calls.append("second")

    @app.after_request
    async def after(response: Response) -> Response:
        response.headers["X-After"] = "ran"
        return response

    @app.route("/")
    async def view() -> str:
        calls.append("view")
        return "allowed"

    client = app.test_client()
    response = await client.get("/?deny=1")
    assert (response.status_code, await text(response)) == (403, "denied")
    assert response.headers["X-After"] == "ran"
    assert calls == []
    assert await text(await client.get("/")) == "allowed"
    assert calls == ["second", "view"]


async def test_after_request_can_replace_response(app: Erlen) -> None:
    @app.after_request
    async def replace(response: Response) -> Response:
        return Response("replaced", status=202)

    @app.route("/")
    async def view() -> str:
        return "original"

    response = await app.test_client().get("/")
    assert (response.status_code, await text(response)) == (202, "replaced")


async def test_after_request_runs_for_404_and_errors(app: Erlen) -> None:
    @app.after_request
    async def tag(response: Response) -> Response:
        response.headers["X-Tag"] = "1"
        return response

    @app.route("/boom")
    async def boom() -> str:
        raise RuntimeError("x")

    client = app.test_client()
    assert (await client.get("/missing")).headers["X-Tag"] == "1"
    response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["X-Tag"] == "1"


async def test_teardown_gets_the_unhandled_exception(app: Erlen) -> None:
    seen: list[Any] = []

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    @app.teardown_appcontext
    async def teardown_app(exc: BaseException | None) -> None:
        seen.append(("app", exc))

    @app.route("/boom")
    async def boom() -> str:
        raise KeyError("k")

    @app.route("/ok")
    async def ok() -> str:
        return "ok"

    client = app.test_client()
    await client.get("/ok")
    assert seen == [None, ("app", None)]
    seen.clear()
    assert (await client.get("/boom")).status_code == 500
    assert isinstance(seen[0], KeyError)
    assert seen[1][0] == "app"
    assert isinstance(seen[1][1], KeyError)


async def test_teardown_runs_even_when_the_error_propagates(app: Erlen) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = True
    seen: list[str] = []

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        seen.append(type(exc).__name__)

    @app.route("/boom")
    async def boom() -> str:
        raise ValueError("v")

    with pytest.raises(ValueError):
        await app.test_client().get("/boom")
    assert seen == ["ValueError"]


async def test_g_available_in_all_lifecycle_functions(app: Erlen) -> None:
    seen: list[str] = []

    @app.before_request
    async def before() -> None:
        g.trail = ["before"]

    @app.route("/")
    async def view() -> str:
        g.trail.append("view")
        return "ok"

    @app.after_request
    async def after(response: Response) -> Response:
        g.trail.append("after")
        return response

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        seen.extend(g.trail)

    await app.test_client().get("/")
    assert seen == ["before", "view", "after"]


async def test_url_value_preprocessor_and_url_defaults(app: Erlen) -> None:
    @app.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values is not None:
            g.lang = values.pop("lang", None)

    @app.url_defaults
    def add_lang(endpoint: str, values: dict[str, Any]) -> None:
        if "lang" in values or not g.get("lang"):
            return
        if app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values["lang"] = g.lang

    @app.route("/<lang>/page")
    async def page() -> str:
        return f"{g.lang} {url_for('page')} {url_for('page', lang='fr')}"

    response = await app.test_client().get("/de/page")
    assert await text(response) == "de /de/page /fr/page"


async def test_context_processor_registration(app: Erlen) -> None:
    @app.context_processor
    def inject() -> dict[str, Any]:
        return {"site": "Erlen"}

    assert app.template_context_processors[None] == [inject]


async def test_sync_lifecycle_functions_see_the_request(app: Erlen) -> None:
    seen: list[str] = []

    @app.before_request
    def before() -> None:
        seen.append(f"before {request.path}")

    @app.after_request
    def after(response: Response) -> Response:
        seen.append(f"after {request.path}")
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(f"teardown {request.path}")

    @app.route("/p")
    def view() -> str:
        return "sync"

    assert await text(await app.test_client().get("/p")) == "sync"
    assert seen == ["before /p", "after /p", "teardown /p"]


async def test_setup_methods_work_after_first_request(app: Erlen) -> None:
    @app.route("/")
    async def view() -> str:
        return "ok"

    client = app.test_client()
    await client.get("/")
    app.add_url_rule("/late", "late", view)
    app.before_request(lambda: None)
    assert (await client.get("/late")).status_code == 200


async def test_endpoint_decorator_and_duplicate_endpoint(app: Erlen) -> None:
    app.add_url_rule("/e", "named")

    @app.endpoint("named")
    async def named() -> str:
        return "via endpoint"

    async def other() -> str:
        return "other"

    with pytest.raises(AssertionError, match="overwriting an existing endpoint"):
        app.add_url_rule("/e2", "named", other)
    assert await text(await app.test_client().get("/e")) == "via endpoint"


async def test_method_shortcuts(app: Erlen) -> None:
    @app.get("/r")
    async def get_r() -> str:
        return "get"

    @app.post("/r")
    async def post_r() -> str:
        return "post"

    @app.put("/r")
    async def put_r() -> str:
        return "put"

    @app.patch("/r")
    async def patch_r() -> str:
        return "patch"

    @app.delete("/r")
    async def delete_r() -> str:
        return "delete"

    with pytest.raises(TypeError, match="route"):
        app.get("/x", methods=["POST"])
    with pytest.raises(TypeError, match="list of strings"):
        app.route("/y", methods="POST")(get_r)
    client = app.test_client()
    for method in ("get", "post", "put", "patch", "delete"):
        assert await text(await getattr(client, method)("/r")) == method
