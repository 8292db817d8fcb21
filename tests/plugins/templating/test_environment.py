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


async def test_tojson_is_safe_inside_a_script_tag(app: Erlen) -> None:
    async with app.app_context():
        rendered = await render_template_string(
            "<script>const data = {{ data|tojson }};</script>", data={"b": 1, "a": "</script>&'"}
        )
    assert rendered == (
        '<script>const data = {"a": "\\u003c/script\\u003e\\u0026\\u0027", "b": 1};</script>'
    )


async def test_a_subclass_chooses_the_environment_class(tmp_path: Path) -> None:
    from erlen.templating import Environment

    class CountingEnvironment(Environment):
        built = 0

        def __init__(self, app: Erlen, **options: Any) -> None:
            super().__init__(app, **options)
            CountingEnvironment.built += 1
            self.globals["flavour"] = "custom"

    class CustomApp(Erlen):
        jinja_environment = CountingEnvironment

    app = CustomApp(__name__, root_path=str(tmp_path))
    async with app.app_context():
        assert await render_template_string("{{ flavour }}") == "custom"
    assert isinstance(app.jinja_env, CountingEnvironment)
    assert CountingEnvironment.built == 1


async def test_a_subclass_chooses_what_is_autoescaped(
    tmp_path: Path, write_templates: WriteTemplates
) -> None:
    class JinjaSuffixApp(Erlen):
        def select_jinja_autoescape(self, filename: str | None) -> bool:
            return filename is not None and filename.endswith(".jinja")

    app = JinjaSuffixApp(__name__, root_path=str(tmp_path))
    write_templates({"page.jinja": "{{ v }}", "page.html": "{{ v }}"})
    async with app.app_context():
        assert await render_template("page.jinja", v=MARKUP) == ESCAPED
        assert await render_template("page.html", v=MARKUP) == MARKUP
        assert await render_template_string("{{ v }}", v=MARKUP) == MARKUP


def test_select_jinja_autoescape(app: Erlen) -> None:
    assert app.select_jinja_autoescape(None)
    assert app.select_jinja_autoescape("a/b.SVG")
    assert not app.select_jinja_autoescape("a/b.txt")


async def test_a_subclass_chooses_the_global_loader(tmp_path: Path) -> None:
    class MemoryApp(Erlen):
        def create_global_jinja_loader(self) -> Any:
            return jinja2.DictLoader({"page.html": "from memory"})

    app = MemoryApp(__name__, root_path=str(tmp_path))
    async with app.app_context():
        assert await render_template("page.html") == "from memory"


async def test_the_global_loader_finds_app_and_blueprint_templates(
    app: Erlen, write_templates: WriteTemplates
) -> None:
    write_templates({"page.html": "app page"})
    loader = app.create_global_jinja_loader()
    assert isinstance(loader, jinja2.BaseLoader)
    assert loader.list_templates() == ["page.html"]
    assert loader.get_source(app.jinja_env, "page.html")[0] == "app page"
