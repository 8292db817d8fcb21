"""The plugin examples of docs/plugins.md work when the block is loaded as a plugin module."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from click.testing import CliRunner
from erlen import Erlen
from erlen.cli import make_cli

DOC = "docs/plugins.md"


def test_every_marked_example_is_checked(example_names: Any) -> None:
    assert example_names(DOC) == {"health", "cli", "api-key", "ping"}


async def test_first_plugin_adds_a_route_and_a_config_default(run_example: Any) -> None:
    ns = run_example(DOC, "health")
    plugin = sys.modules[ns["__name__"]]
    app = Erlen(__name__, plugins=["json", "testing", plugin])
    client = app.test_client()
    assert await (await client.get("/health")).get_json() == {"status": "ok"}
    # "the app's own values, set after construction, win"
    app.config["HEALTH_STATUS"] = "degraded"
    assert await (await client.get("/health")).get_json() == {"status": "degraded"}


async def test_request_lifecycle_hooks(run_example: Any) -> None:
    ns = run_example(DOC, "api-key", prelude="from erlen import hookimpl\n")
    app = Erlen(__name__, plugins=["json", "testing", sys.modules[ns["__name__"]]])
    app.config["API_KEY"] = "k"

    @app.route("/")
    async def index() -> str:
        return "hello"

    client = app.test_client()
    refused = await client.get("/")
    assert refused.status_code == 401
    assert await refused.get_json() == {"error": "missing or wrong API key"}
    assert refused.headers["X-Served-By"] == "erlen"
    allowed = await client.get("/", headers={"X-Api-Key": "k"})
    assert await allowed.get_data(as_text=True) == "hello"
    assert allowed.headers["X-Served-By"] == "erlen"


async def test_new_scope_type(run_example: Any) -> None:
    ns = run_example(DOC, "ping", prelude="from erlen import hookimpl\n")
    app = Erlen(__name__, plugins=[sys.modules[ns["__name__"]]])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "ping.request", "text": "hi"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "ping"}, receive, send)
    assert sent == [{"type": "ping.response", "text": "pong hi"}]


def test_cli_commands(run_example: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ns = run_example(DOC, "cli")
    module = sys.modules[ns["__name__"]]
    app = Erlen(__name__, plugins=["testing", module])
    assert app.test_cli_runner().invoke(args=["health-check"]).output == "ok\n"
    # Through the kernel command: a plugin object's erlen_cli_commands join app.cli.
    module.app = app
    monkeypatch.setenv("KERNEL_SKIP_DOTENV", "1")
    result = CliRunner().invoke(make_cli(), ["--app", f"{module.__name__}:app", "health-version"])
    assert result.output == "1.0.0\n"
