"""The environment is built at server startup, so template hook errors fail the startup."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from erlen import Erlen, hookimpl, render_template_string
from erlen.exceptions import PluginError


class Recorder:
    name = "recorder"

    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def erlen_prepare_template_environment(self, app: Erlen, env: Any) -> None:
        self.calls += 1
        env.globals["built_at_startup"] = True


class Broken:
    name = "broken-templates"

    @hookimpl
    def erlen_prepare_template_environment(self, app: Erlen, env: Any) -> None:
        raise ValueError("the broken plugin's filter table is missing")


async def run_startup(app: Erlen) -> list[dict[str, Any]]:
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    incoming.put_nowait({"type": "lifespan.startup"})
    incoming.put_nowait({"type": "lifespan.shutdown"})
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
    await asyncio.wait_for(app(scope, incoming.get, send), 5)
    return sent


async def test_the_environment_is_built_before_the_first_request(tmp_path: Path) -> None:
    recorder = Recorder()
    app = Erlen(__name__, root_path=str(tmp_path), plugins=["templating", "testing", recorder])

    @app.route("/")
    async def index() -> str:
        return await render_template_string("{{ built_at_startup }}")

    async with app.test_app() as test_app:
        assert recorder.calls == 1  # no request yet
        response = await test_app.test_client().get("/")
        assert await response.get_data(as_text=True) == "True"
    assert recorder.calls == 1


async def test_a_failing_template_hook_fails_the_startup(tmp_path: Path) -> None:
    app = Erlen(__name__, root_path=str(tmp_path), plugins=["templating", Broken()])
    sent = await run_startup(app)
    assert sent[0]["type"] == "lifespan.startup.failed"
    message = sent[0]["message"]
    assert "filter table is missing" in message
    assert "'broken-templates'" in message
    assert "erlen_prepare_template_environment" in message


def test_a_failing_loader_hook_names_its_plugin(tmp_path: Path) -> None:
    class BrokenLoaders:
        name = "broken-loaders"

        @hookimpl
        def erlen_template_loaders(self, app: Erlen) -> Any:
            return {}["missing"]

    app = Erlen(__name__, root_path=str(tmp_path), plugins=["templating", BrokenLoaders()])
    with pytest.raises(PluginError, match="'broken-loaders' failed in erlen_template_loaders"):
        app.jinja_env  # noqa: B018
