"""render_template and render_template_string: in views, with context, in an app context."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from erlen import Erlen, render_template, render_template_string

WriteTemplates = Callable[..., Path]


async def text(response: Any) -> str:
    return await response.get_data(as_text=True)  # type: ignore[no-any-return]


async def test_render_template_in_a_view(app: Erlen, write_templates: WriteTemplates) -> None:
    write_templates({"hello.html": "<p>Hello {{ name }}!</p>"})

    @app.route("/hello/<name>")
    async def hello(name: str) -> str:
        return await render_template("hello.html", name=name)

    response = await app.test_client().get("/hello/Ada")
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    assert await text(response) == "<p>Hello Ada!</p>"


async def test_render_template_string_in_a_view(app: Erlen) -> None:
    @app.route("/")
    async def index() -> str:
        return await render_template_string("{{ a }} + {{ b }} = {{ a + b }}", a=1, b=2)

    response = await app.test_client().get("/")
    assert await text(response) == "1 + 2 = 3"


async def test_render_template_picks_the_first_existing_of_a_list(
    app: Erlen, write_templates: WriteTemplates
) -> None:
    write_templates({"second.html": "second", "third.html": "third"})
    async with app.app_context():
        assert await render_template(["first.html", "second.html", "third.html"]) == "second"


async def test_templates_extend_and_include(app: Erlen, write_templates: WriteTemplates) -> None:
    write_templates(
        {
            "base.html": "<main>{% block body %}{% endblock %}</main>",
            "part.html": "<b>{{ item }}</b>",
            "page.html": (
                '{% extends "base.html" %}{% block body %}'
                '{% for item in items %}{% include "part.html" %}{% endfor %}'
                "{% endblock %}"
            ),
        }
    )
    async with app.app_context():
        rendered = await render_template("page.html", items=["x", "y"])
    assert rendered == "<main><b>x</b><b>y</b></main>"


async def test_templates_can_await_async_functions(app: Erlen) -> None:
    async def load(name: str) -> str:
        return name.upper()

    async with app.app_context():
        assert await render_template_string("{{ load('x') }}", load=load) == "X"


async def test_a_render_outside_any_context_names_the_missing_context() -> None:
    try:
        await render_template_string("x")
    except RuntimeError as exc:
        assert "application context" in str(exc)
    else:
        raise AssertionError("render_template_string worked without an app context")
