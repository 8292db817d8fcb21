"""The examples of README.md, docs/templating.md and docs/cli.md run as documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

TEMPLATING = "docs/templating.md"
CLI = "docs/cli.md"
APP = "from erlen import Erlen, request, session\napp = Erlen(__name__)\n"


def test_every_marked_example_is_checked(example_names: Any) -> None:
    assert example_names(TEMPLATING) == {
        "hello",
        "stream",
        "search",
        "context-processor",
        "filters",
        "signals",
        "macro",
    }
    assert example_names(CLI) == {"shell", "seed", "seed-test", "manage"}
    assert example_names("docs/porting.md") == {"port-quart"}


async def test_readme_hello_world(run_example: Any) -> None:
    ns = run_example("README.md", heading="## Hello, world")
    client = ns["app"].test_client()
    response = await client.get("/")
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "Hello, World!"
    async with client.websocket("/ws") as ws:
        await ws.send("ping")
        assert await ws.receive() == "ping"


def write_template(folder: Path, name: str, source: str) -> None:
    path = folder / "templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")


async def test_render_template(run_example: Any, tmp_path: Path) -> None:
    write_template(
        tmp_path, "hello.html", "<!doctype html>\n<title>Hello</title>\n<p>Hello {{ name }}!</p>\n"
    )
    ns = run_example(TEMPLATING, "hello")
    response = await ns["app"].test_client().get("/hello/<Ada>")
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<p>Hello &lt;Ada&gt;!</p>" in await response.get_data(as_text=True)


async def test_stream_template(run_example: Any, tmp_path: Path) -> None:
    write_template(tmp_path, "report.html", "{% for row in rows %}<tr>{{ row }}</tr>{% endfor %}")
    prelude = APP + ("async def fetch_rows():\n    for n in range(3):\n        yield n\n")
    ns = run_example(TEMPLATING, "stream", prelude=prelude)
    response = await ns["app"].test_client().get("/report")
    assert await response.get_data(as_text=True) == "<tr>0</tr><tr>1</tr><tr>2</tr>"


async def test_autoescaped_search(run_example: Any, tmp_path: Path) -> None:
    write_template(tmp_path, "search.html", "<p>{{ q }}</p>")
    ns = run_example(TEMPLATING, "search", prelude=APP + "from erlen import render_template\n")
    response = await ns["app"].test_client().get("/search?q=<script>alert(1)</script>")
    body = await response.get_data(as_text=True)
    assert body == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


async def test_context_processor(run_example: Any) -> None:
    prelude = APP + (
        "from erlen import render_template_string\n"
        "async def load_user(user_id):\n"
        "    return 'guest' if user_id is None else f'user {user_id}'\n"
    )
    ns = run_example(TEMPLATING, "context-processor", prelude=prelude)
    app = ns["app"]

    @app.route("/")
    async def index() -> str:
        return await ns["render_template_string"]("Hi {{ user }}")

    @app.route("/override")
    async def override() -> str:
        return await ns["render_template_string"]("Hi {{ user }}", user="Ada")

    client = app.test_client()
    assert await (await client.get("/")).get_data(as_text=True) == "Hi guest"
    # "a variable passed to render_template wins over all of them"
    assert await (await client.get("/override")).get_data(as_text=True) == "Hi Ada"


async def test_filters_tests_and_globals(run_example: Any) -> None:
    prelude = APP + "import datetime\nfrom erlen import render_template_string\n"
    ns = run_example(TEMPLATING, "filters", prelude=prelude)
    year = ns["datetime"].date.today().year
    source = "{{ 'abc'|reverse }} {{ 7 is prime }} {{ 8 is prime }} {{ current_year() }}"
    async with ns["app"].app_context():
        assert await ns["render_template_string"](source) == f"cba True False {year}"


async def test_template_signal(run_example: Any, caplog: pytest.LogCaptureFixture) -> None:
    prelude = APP + "from erlen import render_template_string\n"
    ns = run_example(TEMPLATING, "signals", prelude=prelude)
    app = ns["app"]
    app.logger.setLevel("DEBUG")
    try:
        async with app.app_context():
            await ns["render_template_string"]("x")
    finally:
        ns["template_rendered"].disconnect(ns["log_render"], app)
    assert any(record.getMessage().startswith("rendered") for record in caplog.records)


def test_cli_command_and_runner(run_example: Any) -> None:
    prelude = APP + (
        "import click\n"
        "users = []\n"
        "async def insert_users(count):\n"
        "    users.extend(range(count))\n"
        "@click.command('hello')\n"
        "def some_click_command():\n"
        "    click.echo('hello')\n"
    )
    ns = run_example(CLI, "seed", "seed-test", prelude=prelude)
    assert ns["users"] == [0, 1, 2]
    result = ns["app"].test_cli_runner().invoke(args=["hello"])
    assert result.output == "hello\n"


def test_management_group(run_example: Any) -> None:
    from click.testing import CliRunner

    prelude = APP + "@app.route('/from-manage')\nasync def index():\n    return ''\n"
    ns = run_example(CLI, "manage", prelude=prelude)
    result = CliRunner().invoke(ns["manage"], ["routes"], env={"KERNEL_RUN_FROM_CLI": None})
    assert result.exit_code == 0, result.output
    assert "/from-manage" in result.output
    assert CliRunner().invoke(ns["manage"], ["--version"]).output.startswith("Python ")


def test_shell_context_processor(run_example: Any) -> None:
    ns = run_example(CLI, "shell", prelude=APP + "db, User = object(), type('User', (), {})\n")
    context = ns["app"].make_shell_context()
    assert context["db"] is ns["db"]
    assert context["User"] is ns["User"]
    assert context["app"] is ns["app"]


async def test_ported_quart_app(run_example: Any) -> None:
    ns = run_example("docs/porting.md", "port-quart")
    response = await ns["app"].test_client().post("/echo", json={"a": [1, 2]})
    assert response.status_code == 200
    assert await response.get_json() == {"you_sent": {"a": [1, 2]}}


async def test_get_template_attribute_macro(run_example: Any, tmp_path: Path) -> None:
    write_template(
        tmp_path, "_macros.html", "{% macro hello(name) %}Hello {{ name }}!{% endmacro %}"
    )
    ns = run_example(TEMPLATING, "macro", prelude=APP)
    async with ns["app"].app_context():
        assert await ns["greeting"]("Ada") == "Hello Ada!"
