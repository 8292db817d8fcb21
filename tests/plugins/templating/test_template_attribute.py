"""get_template_attribute: macros and variables a template exports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from erlen import Erlen, get_template_attribute, render_template

WriteTemplates = Callable[..., Path]

MACROS = (
    "{% set version = 3 %}"
    "{% macro hello(name) %}<p>Hello {{ name }}!</p>{% endmacro %}"
    "{% macro link(endpoint) %}{{ url_for(endpoint) }}{% endmacro %}"
)


async def test_a_variable(app: Erlen, write_templates: WriteTemplates) -> None:
    write_templates({"macros.html": MACROS})
    async with app.app_context():
        assert await get_template_attribute("macros.html", "version") == 3


async def test_a_macro_is_called_and_awaited(app: Erlen, write_templates: WriteTemplates) -> None:
    write_templates({"macros.html": MACROS})

    @app.route("/<name>")
    async def greet(name: str) -> str:
        hello = await get_template_attribute("macros.html", "hello")
        return str(await hello(name))

    response = await app.test_client().get("/<Ada>")
    assert await response.get_data(as_text=True) == "<p>Hello &lt;Ada&gt;!</p>"


async def test_a_macro_sees_the_default_globals(
    app: Erlen, write_templates: WriteTemplates
) -> None:
    write_templates({"macros.html": MACROS})

    @app.route("/target", endpoint="target")
    async def target() -> str:
        link = await get_template_attribute("macros.html", "link")
        return str(await link("target"))

    response = await app.test_client().get("/target")
    assert await response.get_data(as_text=True) == "/target"


async def test_templates_import_macros(app: Erlen, write_templates: WriteTemplates) -> None:
    write_templates(
        {"macros.html": MACROS, "page.html": '{% from "macros.html" import hello %}{{ hello(x) }}'}
    )
    async with app.app_context():
        assert await render_template("page.html", x="Bo") == "<p>Hello Bo!</p>"


async def test_a_missing_attribute_raises_attribute_error(
    app: Erlen, write_templates: WriteTemplates
) -> None:
    write_templates({"macros.html": MACROS})
    async with app.app_context():
        with pytest.raises(AttributeError, match="nope"):
            await get_template_attribute("macros.html", "nope")
