"""What a test suite does with the test client and the contexts, beyond one request:
each ``scenario_*`` coroutine function takes the app of :mod:`views` and returns what it
saw (JSON-able). Run by :mod:`answers` against Quart and against Erlen, with the
framework's public names as globals."""
# ruff: noqa: F821 (the framework's names are the module's globals)

from __future__ import annotations

import asyncio
from typing import Any

import click


async def seen(response: Any) -> list[Any]:
    """Status, the body as text, and the headers a test usually reads."""
    return [
        response.status_code,
        await response.get_data(as_text=True),
        response.mimetype,
        response.headers.get("Location"),
    ]


async def scenario_follow_redirects(app: Any) -> Any:
    client = app.test_client()
    response = await client.get("/redirect", follow_redirects=True)
    return await seen(response)


async def scenario_follow_redirect_chain(app: Any) -> Any:
    client = app.test_client()
    response = await client.get("/strict", follow_redirects=True)
    return await seen(response)


async def scenario_session_transaction(app: Any) -> Any:
    client = app.test_client()
    async with client.session_transaction() as session:
        session["k"] = "set in the test"
    response = await client.get("/session")
    async with client.session_transaction() as session:
        after = dict(session)
    return [await seen(response), after]


async def scenario_cookies_set_and_deleted(app: Any) -> Any:
    client = app.test_client()
    await client.get("/cookies/set")
    response = await client.get("/cookies")
    return await seen(response)


async def scenario_client_set_cookie(app: Any) -> Any:
    client = app.test_client()
    client.set_cookie("localhost", "mine", "v")
    first = await seen(await client.get("/cookies"))
    client.delete_cookie("localhost", "mine")
    return [first, await seen(await client.get("/cookies"))]


async def scenario_query_string_and_auth(app: Any) -> Any:
    client = app.test_client()
    response = await client.get(
        "/request/x", query_string={"a": ["1", "2"], "b": "é"}, auth=("user", "pw")
    )
    data = await response.get_json()
    return [data["query_string"], data["auth"], data["url"]]


async def scenario_headers_as_pairs(app: Any) -> Any:
    client = app.test_client()
    response = await client.get("/request/x", headers=[("X-Multi", "1"), ("X-Multi", "2")])
    return (await response.get_json())["multi"]


async def scenario_json_body(app: Any) -> Any:
    client = app.test_client()
    response = await client.post("/json", json={"x": [1, None]})
    return [await seen(response), await response.get_json()]


async def scenario_form_and_query(app: Any) -> Any:
    client = app.test_client()
    response = await client.post("/values?q=1", form={"f": "2"})
    return await response.get_json()


async def scenario_methods(app: Any) -> Any:
    client = app.test_client()
    results = []
    for method in ("get", "post", "put", "delete", "patch", "head", "options"):
        response = await getattr(client, method)("/data")
        allowed = response.headers.get("Allow")  # werkzeug's set of methods: sorted here
        results.append([method, response.status_code, sorted((allowed or "").split(", "))])
    return results


async def scenario_response_helpers(app: Any) -> Any:
    client = app.test_client()
    response = await client.get("/json-sorted")
    return [
        response.status,
        response.status_code,
        response.is_json,
        await response.get_json(),
        await response.get_data(as_text=True),
        response.content_length,
        response.headers.getlist("Content-Type"),
    ]


async def scenario_preserved_context(app: Any) -> Any:
    async with app.test_client() as client:
        await client.get("/request/kept?x=1")
        return [request.path, request.args.get("x"), request.endpoint]


async def scenario_test_request_context(app: Any) -> Any:
    async with app.test_request_context("/request/ctx?a=b", method="POST"):
        return [
            request.path,
            request.method,
            request.args.get("a"),
            request.url,
            url_for("r_str"),
            has_request_context(),
        ]


async def scenario_test_request_context_body(app: Any) -> Any:
    async with app.test_request_context(
        "/json", method="POST", data=b'{"a": 1}', headers={"Content-Type": "application/json"}
    ):
        return [await request.get_json(), request.content_type]


async def scenario_app_context(app: Any) -> Any:
    async with app.app_context():
        g.value = 3
        return [
            current_app.name,
            g.value,
            has_app_context(),
            has_request_context(),
            url_for("r_str"),
        ]


async def scenario_websocket_json(app: Any) -> Any:
    client = app.test_client()
    async with client.websocket("/ws/json?x=2") as ws:
        await ws.send_json({"hello": [1, 2]})
        return await ws.receive_json()


async def scenario_url_for_outside_request(app: Any) -> Any:
    app.config["SERVER_NAME"] = "example.test"
    try:
        async with app.app_context():
            return [url_for("r_str"), url_for("r_str", _external=True)]
    finally:
        app.config["SERVER_NAME"] = None


def invoke_twice(app: Any, command: str) -> list[Any]:
    """``command`` run by the CLI test runner with its default option and with
    ``--name you``, then an unknown command: exit codes and output."""
    runner = app.test_cli_runner()
    default = runner.invoke(args=[command])
    named = runner.invoke(args=[command, "--name", "you"])
    missing = runner.invoke(args=["nope"])
    return [[default.exit_code, default.output], [named.exit_code, named.output], missing.exit_code]


async def scenario_cli_command(app: Any) -> Any:
    """A command of the app's, run by the CLI test runner as a sync test runs it (in a
    thread: no event loop running there)."""

    @app.cli.command("greet")
    @click.option("--name", default="world")
    def greet(name: str) -> None:
        click.echo(f"hello {name}")

    return await asyncio.to_thread(invoke_twice, app, "greet")


async def scenario_cli_command_app_context(app: Any) -> Any:
    """A command reading ``current_app``."""

    @app.cli.command("whoami")
    @click.option("--name", default="world")
    def whoami(name: str) -> None:
        click.echo(f"{name} in {current_app.name}")

    return await asyncio.to_thread(invoke_twice, app, "whoami")


async def signals_sent(app: Any, paths: tuple[str, ...]) -> list[Any]:
    """Which signals requesting ``paths`` sends, in order, and what they carry."""
    fired: list[Any] = []

    def receiver(name: str) -> Any:
        async def receive(sender: Any, **extra: Any) -> None:
            described = {
                key: type(value).__name__ if key != "message" else value
                for key, value in sorted(extra.items())
                if key != "_sync_wrapper"
            }
            fired.append([name, sender is app, described])

        return receive

    chosen = (
        "request_started",
        "request_finished",
        "got_request_exception",
        "request_tearing_down",
        "appcontext_pushed",
        "appcontext_tearing_down",
        "appcontext_popped",
        "template_rendered",
        "before_render_template",
        "message_flashed",
    )
    receivers = {name: receiver(name) for name in chosen}
    for name, function in receivers.items():
        signals_module.__dict__[name].connect(function, app)
    try:
        client = app.test_client()
        for path in paths:
            fired.append(["GET", path])
            await client.get(path)
    finally:
        for name, function in receivers.items():
            signals_module.__dict__[name].disconnect(function, app)
    return fired


async def scenario_signals(app: Any) -> Any:
    """The signals of a request, a template and a flash."""
    return await signals_sent(app, ("/str", "/template", "/flash"))


async def scenario_signals_on_error(app: Any) -> Any:
    """The signals of a request whose view raised (a 500)."""
    return await signals_sent(app, ("/raise-value-error",))
