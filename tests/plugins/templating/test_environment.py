"""app.jinja_env, app.jinja_options, app.create_jinja_environment and autoescaping."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest
from erlen import Erlen, render_template, render_template_string

WriteTemplates = Callable[..., Path]

MARKUP = "<b>&</b>"
ESCAPED = "&lt;b&gt;&amp;&lt;/b&gt;"


def test_jinja_env_is_one_async_jinja2_environment(app: Erlen) -> None:
    env = app.jinja_env
    assert isinstance(env, jinja2.Environment)
    assert env.is_async
    assert app.jinja_env is env
    assert env.globals["config"] is app.config


@pytest.mark.parametrize("suffix", ["html", "htm", "xml", "xhtml", "svg", "HTML"])
async def test_markup_files_are_autoescaped(
    app: Erlen, write_templates: WriteTemplates, suffix: str
) -> None:
    write_templates({f"page.{suffix}": "{{ value }}"})
    async with app.app_context():
        assert await render_template(f"page.{suffix}", value=MARKUP) == ESCAPED


@pytest.mark.parametrize("name", ["page.txt", "page.j2", "page.html.txt", "mail"])
async def test_other_files_are_not_autoescaped(
    app: Erlen, write_templates: WriteTemplates, name: str
) -> None:
    write_templates({name: "{{ value }}"})
    async with app.app_context():
        assert await render_template(name, value=MARKUP) == MARKUP


async def test_template_strings_are_autoescaped(app: Erlen) -> None:
    async with app.app_context():
        assert await render_template_string("{{ value }}", value=MARKUP) == ESCAPED
        assert await render_template_string("{{ value|safe }}", value=MARKUP) == MARKUP
        assert (
            await render_template_string(
                "{% autoescape false %}{{ v }}{% endautoescape %}", v="<i>"
            )
            == "<i>"
        )


async def test_jinja_options_are_passed_to_the_environment(
    tmp_path: Path, write_templates: WriteTemplates
) -> None:
    class TrimmingApp(Erlen):
        jinja_options = {"trim_blocks": True, "autoescape": False}

    app = TrimmingApp(__name__, root_path=str(tmp_path))
    write_templates({"list.html": "{% for i in items %}\n{{ i }}\n{% endfor %}\n"})
    assert app.jinja_env.trim_blocks
    async with app.app_context():
        assert await render_template("list.html", items=[MARKUP]) == f"{MARKUP}\n"


async def test_create_jinja_environment_can_be_overridden(tmp_path: Path) -> None:
    calls: list[str] = []

    class ShoutingApp(Erlen):
        def create_jinja_environment(self) -> Any:
            calls.append("create")
            env = super().create_jinja_environment()
            env.filters["shout"] = lambda value: f"{value.upper()}!"
            return env

    app = ShoutingApp(__name__, root_path=str(tmp_path))

    @app.route("/")
    async def index() -> str:
        return await render_template_string("{{ 'hey'|shout }}")

    client = app.test_client()
    for _ in range(2):
        response = await client.get("/")
        assert await response.get_data(as_text=True) == "HEY!"
    assert calls == ["create"]  # the environment is built once, then reused


def test_create_jinja_environment_returns_a_new_environment(app: Erlen) -> None:
    env = app.create_jinja_environment()
    assert isinstance(env, jinja2.Environment)
    assert env.is_async
    assert env is not app.jinja_env
