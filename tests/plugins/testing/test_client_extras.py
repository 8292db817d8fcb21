"""The test client beyond plain requests (Quart parity): request contexts, lifespan via
``test_app``, session transactions, cookies, redirects, the CLI runner, swapping the
client class and ``async with client:`` keeping the last request context."""

from __future__ import annotations

import asyncio
from typing import Any

import click
import pytest
from erlen import (
    Erlen,
    after_this_request,
    g,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from erlen.plugins.testing import ErlenClient, LifespanError, TestApp, TestClient


def make_app() -> Erlen:
    app = Erlen(__name__)
    app.secret_key = "test secret"
    return app


# --- test_request_context -------------------------------------------------------------


async def test_test_request_context_exposes_request_and_url_for() -> None:
    app = make_app()

    @app.route("/items/<int:item>", methods=["GET", "POST"])
    async def item(item: int) -> str:
        return str(item)

    async with app.test_request_context(
        "/items/3", method="POST", query_string={"q": "x"}, json={"a": 1}
    ):
        assert request.method == "POST"
        assert request.path == "/items/3"
        assert request.args["q"] == "x"
        assert request.view_args == {"item": 3}
        assert await request.get_json() == {"a": 1}
        assert url_for("item", item=4) == "/items/4"
    assert not has_request_context()


async def test_test_request_context_session_and_g() -> None:
    app = make_app()
    async with app.test_request_context("/"):
        session["user"] = "ada"
        g.thing = 1
        assert session["user"] == "ada"
        assert g.thing == 1


# --- test_app: lifespan --------------------------------------------------------------


async def test_test_app_runs_startup_and_shutdown() -> None:
    app = make_app()
    events: list[str] = []

    @app.before_serving
    async def start() -> None:
        events.append("startup")

    @app.while_serving
    async def lifetime() -> Any:
        events.append("while:start")
        yield
        events.append("while:end")

    @app.after_serving
    async def stop() -> None:
        events.append("shutdown")

    @app.route("/")
    async def index() -> str:
        return ",".join(events)

    async with app.test_app() as test_app:
        assert isinstance(test_app, TestApp)
        response = await test_app.test_client().get("/")
        assert await response.get_data(as_text=True) == "startup,while:start"
    assert events == ["startup", "while:start", "while:end", "shutdown"]


async def test_test_app_reports_a_failed_startup() -> None:
    app = make_app()

    @app.before_serving
    async def start() -> None:
        raise ValueError("database unreachable")

    with pytest.raises(LifespanError, match="database unreachable"):
        async with app.test_app():
            pass


async def test_test_app_class_can_be_swapped() -> None:
    class MyTestApp(TestApp):
        pass

    app = make_app()
    app.test_app_class = MyTestApp
    assert type(app.test_app()) is MyTestApp


# --- cookies and sessions -------------------------------------------------------------


async def test_cookies_are_kept_across_requests() -> None:
    app = make_app()

    @app.route("/set")
    async def set_cookie() -> Any:
        response = await app.make_response("set")
        response.set_cookie("flavour", "oat")
        return response

    @app.route("/read")
    async def read() -> str:
        return request.cookies.get("flavour", "none")

    @app.route("/clear")
    async def clear() -> Any:
        response = await app.make_response("cleared")
        response.delete_cookie("flavour")
        return response

    client = app.test_client()
    await client.get("/set")
    assert await (await client.get("/read")).get_data(as_text=True) == "oat"
    await client.get("/clear")
    assert await (await client.get("/read")).get_data(as_text=True) == "none"

    no_jar = app.test_client(use_cookies=False)
    await no_jar.get("/set")
    assert await (await no_jar.get("/read")).get_data(as_text=True) == "none"


async def test_set_and_delete_cookie_on_the_client() -> None:
    app = make_app()

    @app.route("/")
    async def index() -> str:
        return request.cookies.get("k", "none")

    client = app.test_client()
    client.set_cookie("localhost", "k", "v")
    assert await (await client.get("/")).get_data(as_text=True) == "v"
    client.delete_cookie("localhost", "k")
    assert await (await client.get("/")).get_data(as_text=True) == "none"


async def test_session_transaction_reads_and_writes_the_session() -> None:
    app = make_app()

    @app.route("/login")
    async def login() -> str:
        session["user"] = "ada"
        return "ok"

    @app.route("/whoami")
    async def whoami() -> str:
        return str(session.get("user"))

    client = app.test_client()
    await client.get("/login")
    async with client.session_transaction() as sess:
        assert sess["user"] == "ada"
        sess["user"] = "grace"
    assert await (await client.get("/whoami")).get_data(as_text=True) == "grace"


async def test_session_transaction_needs_cookies_and_a_secret_key() -> None:
    app = make_app()
    with pytest.raises(RuntimeError, match="only make sense with cookies enabled"):
        async with app.test_client(use_cookies=False).session_transaction():
            pass
    keyless = Erlen(__name__)
    with pytest.raises(RuntimeError, match="Check the secret_key"):
        async with keyless.test_client().session_transaction():
            pass


# --- redirects ------------------------------------------------------------------------


async def test_follow_redirects() -> None:
    app = make_app()

    @app.route("/old", methods=["GET", "POST"])
    async def old() -> Any:
        return redirect("/middle?x=1")

    @app.route("/middle")
    async def middle() -> Any:
        return redirect(f"/new?x={request.args['x']}", code=302)

    @app.route("/new", methods=["GET", "POST"])
    async def new() -> str:
        return f"{request.method} {request.args['x']}"

    @app.route("/keep", methods=["POST"])
    async def keep() -> Any:
        return redirect("/echo", code=307)

    @app.route("/echo", methods=["POST"])
    async def echo() -> Any:
        return await request.get_data()

    @app.route("/loop")
    async def loop() -> Any:
        return redirect("/loop")

    client = app.test_client()
    not_followed = await client.get("/old")
    assert not_followed.status_code == 302
    assert not_followed.headers["Location"] == "/middle?x=1"
    followed = await client.post("/old", follow_redirects=True)
    assert followed.status_code == 200
    assert await followed.get_data(as_text=True) == "GET 1"
    kept = await client.post("/keep", data=b"body", follow_redirects=True)
    assert await kept.get_data() == b"body"
    with pytest.raises(RuntimeError, match="redirect loop"):
        await client.get("/loop", follow_redirects=True)


# --- CLI runner -------------------------------------------------------------------------


def test_test_cli_runner_invokes_app_commands() -> None:
    app = make_app()

    @app.cli.command("greet")
    @click.argument("name")
    def greet(name: str) -> None:
        click.echo(f"hello {name} from {app.name}")

    result = app.test_cli_runner().invoke(args=["greet", "ada"])
    assert result.exit_code == 0, result.output
    assert result.output == f"hello ada from {app.name}\n"


def test_test_cli_runner_with_app_context() -> None:
    from erlen import current_app

    app = make_app()

    @app.cli.command("name", with_appcontext=True)
    def name() -> None:
        click.echo(current_app.name)

    result = app.test_cli_runner().invoke(args=["name"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == app.name


# --- swapping the client class -----------------------------------------------------------


async def test_test_client_class_swaps_the_client() -> None:
    class TokenClient(TestClient):
        def __init__(self, *args: Any, token: str = "", **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.token = token

        async def open(self, path: str, **kwargs: Any) -> Any:  # type: ignore[override]
            headers = dict(kwargs.pop("headers", None) or {})
            headers["Authorization"] = f"Bearer {self.token}"
            return await super().open(path, headers=headers, **kwargs)

    app = make_app()
    app.test_client_class = TokenClient

    @app.route("/")
    async def index() -> str:
        return request.headers["Authorization"]

    client = app.test_client(token="abc")
    assert isinstance(client, TokenClient)
    assert await (await client.get("/")).get_data(as_text=True) == "Bearer abc"
    assert ErlenClient is TestClient


# --- async with client: preserved context -------------------------------------------------


async def test_async_with_client_keeps_the_last_request_context() -> None:
    app = make_app()
    torn_down: list[str] = []

    @app.route("/<name>", methods=["GET", "POST"])
    async def index(name: str) -> str:
        session["name"] = name
        g.seen = name
        return name

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        torn_down.append(request.path)

    client = app.test_client()
    async with client:
        await client.get("/first?flag=1")
        assert request.path == "/first"
        assert request.args["flag"] == "1"
        assert session["name"] == "first"
        assert g.seen == "first"
        await client.post("/second")
        assert request.path == "/second"
        assert request.method == "POST"
        assert session["name"] == "second"
    assert not has_request_context()
    assert torn_down == ["/first", "/second"]  # teardown ran once per request, in order


async def test_without_async_with_the_context_is_gone() -> None:
    app = make_app()

    @app.route("/")
    async def index() -> str:
        return "ok"

    client = app.test_client()
    await client.get("/")
    assert not has_request_context()


async def test_preserved_context_sees_after_this_request() -> None:
    app = make_app()

    @app.route("/")
    async def index() -> str:
        @after_this_request
        async def add(response: Any) -> Any:
            response.headers["X-After"] = "1"
            return response

        return "ok"

    async with app.test_client() as client:
        response = await client.get("/")
        assert response.headers["X-After"] == "1"
        assert request.path == "/"


async def test_client_invocations_do_not_nest() -> None:
    client = make_app().test_client()
    async with client:
        with pytest.raises(RuntimeError, match="Cannot nest client invocations"):
            async with client:
                pass


async def test_preserved_context_is_per_task() -> None:
    """A request made in another task does not leak its context into this one."""
    app = make_app()

    @app.route("/")
    async def index() -> str:
        return "ok"

    async with app.test_client() as client:
        await asyncio.wait_for(asyncio.ensure_future(client.get("/")), 5)
        assert not has_request_context()


async def test_request_context_headers_are_spelled_as_the_test_gave_them() -> None:
    # As in Quart: the test's own Headers, not rebuilt from a scope (no title-casing, no
    # Remote-Addr); lookups ignore case.
    app = Erlen(__name__)
    async with app.test_request_context("/", headers={"x-lower": "1", "X-Upper": "2"}):
        names = list(request.headers.keys())
        assert names[:2] == ["x-lower", "X-Upper"]
        assert "Remote-Addr" not in names
        assert request.headers["X-LOWER"] == "1"


def test_with_client_says_to_write_async_with() -> None:
    app = Erlen(__name__)
    client = app.test_client()
    with pytest.raises(TypeError) as info, client:
        pass
    assert str(info.value) == (
        "TestClient is entered with 'async with' in Erlen, as in Quart, not 'with' (Flask):"
        " async with client: (in an 'async def' function)"
    )
    assert client.preserve_context is False


async def test_with_session_transaction_says_to_write_async_with() -> None:
    app = Erlen(__name__)
    app.secret_key = "s"

    @app.route("/")
    async def index() -> str:
        return str(session.get("user"))

    client = app.test_client()
    with pytest.raises(TypeError) as info, client.session_transaction():
        pass
    assert str(info.value) == (
        "SessionTransaction is entered with 'async with' in Erlen, as in Quart, not 'with'"
        " (Flask): async with client.session_transaction() as session: (in an 'async def'"
        " function)"
    )
    async with client.session_transaction() as sess:
        sess["user"] = "ann"
    response = await client.get("/")
    assert await response.get_data(as_text=True) == "ann"
