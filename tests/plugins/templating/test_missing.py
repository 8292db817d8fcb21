"""Missing templates and apps without the templating plugin."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest
from erlen import (
    Erlen,
    get_template_attribute,
    render_template,
    render_template_string,
    stream_template,
    stream_template_string,
)
from erlen.templating import TemplateNotFound

WriteTemplates = Callable[..., Path]


def test_template_not_found_is_jinja2s() -> None:
    assert TemplateNotFound is jinja2.TemplateNotFound


async def test_a_missing_template_raises_template_not_found_naming_it(
    app: Erlen, tmp_path: Path, write_templates: WriteTemplates
) -> None:
    write_templates({"present.html": "x"})
    async with app.app_context():
        with pytest.raises(TemplateNotFound) as info:
            await render_template("absent.html")
    assert info.value.name == "absent.html"
    message = str(info.value)
    assert "absent.html" in message
    assert str(tmp_path / "templates") in message  # says where it looked


async def test_a_missing_template_list_names_every_candidate(app: Erlen) -> None:
    async with app.app_context():
        with pytest.raises(jinja2.TemplatesNotFound) as info:
            await render_template(["a.html", "b.html"])
    assert "a.html" in str(info.value) and "b.html" in str(info.value)


async def test_a_missing_template_in_a_view_is_a_bare_500_in_production(
    app: Erlen, caplog: pytest.LogCaptureFixture
) -> None:
    @app.route("/")
    async def index() -> str:
        return await render_template("absent.html")

    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        response = await app.test_client().get("/")
    assert response.status_code == 500
    body = await response.get_data(as_text=True)
    assert "absent.html" not in body and "Traceback" not in body
    assert "Internal Server Error" in body
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 1
    assert isinstance(logged[0].exc_info[1], TemplateNotFound)  # type: ignore[index]


async def test_a_missing_template_in_a_view_propagates_when_asked(app: Erlen) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = True

    @app.route("/")
    async def index() -> str:
        return await render_template("absent.html")

    with pytest.raises(TemplateNotFound, match="absent.html"):
        await app.test_client().get("/")


@pytest.fixture
def bare_app() -> Erlen:
    return Erlen(__name__, exclude_plugins=["templating"])


async def test_without_the_plugin_rendering_names_the_plugin(bare_app: Erlen) -> None:
    assert "templating" not in bare_app.plugins
    calls = [
        lambda: render_template("page.html"),
        lambda: render_template_string("x"),
        lambda: stream_template("page.html"),
        lambda: stream_template_string("x"),
        lambda: get_template_attribute("page.html", "x"),
    ]
    async with bare_app.app_context():
        for call in calls:
            with pytest.raises(RuntimeError, match="'templating' plugin is not loaded"):
                await call()


def test_without_the_plugin_the_environment_names_the_plugin(bare_app: Erlen) -> None:
    with pytest.raises(RuntimeError, match="'templating' plugin is not loaded"):
        bare_app.jinja_env  # noqa: B018
    with pytest.raises(RuntimeError, match="'templating' plugin is not loaded"):
        bare_app.create_jinja_environment()


async def test_without_the_plugin_a_view_that_renders_is_a_500(bare_app: Erlen) -> None:
    @bare_app.route("/")
    async def index() -> str:
        return await render_template("page.html")

    @bare_app.route("/plain")
    async def plain() -> str:
        return "still serving"

    client = bare_app.test_client()
    assert (await client.get("/")).status_code == 500
    response = await client.get("/plain")
    assert await response.get_data(as_text=True) == "still serving"
