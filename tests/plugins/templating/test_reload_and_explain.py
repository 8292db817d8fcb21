"""TEMPLATES_AUTO_RELOAD and EXPLAIN_TEMPLATE_LOADING."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from erlen import Blueprint, Erlen, render_template
from jinja2 import TemplateNotFound

WriteTemplates = Callable[..., Path]


def edit(path: Path, source: str) -> None:
    """Rewrite a template with a clearly newer modification time."""
    stat = path.stat()
    path.write_text(source, encoding="utf-8")
    os.utime(path, (stat.st_atime + 10, stat.st_mtime + 10))


async def render_page(app: Erlen) -> str:
    response = await app.test_client().get("/")
    assert response.status_code == 200
    return await response.get_data(as_text=True)  # type: ignore[no-any-return]


def page_app(app: Erlen, write_templates: WriteTemplates) -> Path:
    folder = write_templates({"page.html": "version 1"})

    @app.route("/")
    async def page() -> str:
        return await render_template("page.html")

    return folder / "page.html"


async def test_auto_reload_shows_an_edited_template(
    app: Erlen, write_templates: WriteTemplates
) -> None:
    app.config["TEMPLATES_AUTO_RELOAD"] = True
    template = page_app(app, write_templates)
    assert await render_page(app) == "version 1"
    edit(template, "version 2")
    assert await render_page(app) == "version 2"


async def test_without_auto_reload_the_compiled_template_is_kept(
    app: Erlen, write_templates: WriteTemplates
) -> None:
    app.config["TEMPLATES_AUTO_RELOAD"] = False
    template = page_app(app, write_templates)
    assert await render_page(app) == "version 1"
    edit(template, "version 2")
    assert await render_page(app) == "version 1"


@pytest.mark.parametrize(("debug", "reloads"), [(True, True), (False, False)])
async def test_auto_reload_follows_debug_when_unset(
    app: Erlen, write_templates: WriteTemplates, debug: bool, reloads: bool
) -> None:
    assert app.config["TEMPLATES_AUTO_RELOAD"] is None
    template = page_app(app, write_templates)
    async with app.app_context():  # the environment exists before debug is set
        assert await render_template("page.html") == "version 1"
    app.debug = debug
    assert await render_page(app) == "version 1"
    edit(template, "version 2")
    assert await render_page(app) == ("version 2" if reloads else "version 1")


async def test_explain_template_loading_logs_every_attempt(
    app: Erlen,
    tmp_path: Path,
    write_templates: WriteTemplates,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    write_templates({"other.html": "x"})
    write_templates({"page.html": "from bp"}, "bp_templates")
    app.register_blueprint(
        Blueprint("bp", __name__, template_folder="bp_templates", root_path=str(tmp_path))
    )
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        async with app.app_context():
            assert await render_template("page.html") == "from bp"
    messages = [r.getMessage() for r in caplog.records if r.name == app.logger.name]
    assert len(messages) == 1
    explained = messages[0]
    assert "Locating template 'page.html'" in explained
    assert f"application {app.name!r} folder {str(tmp_path / 'templates')!r}" in explained
    assert "no match" in explained
    assert f"blueprint 'bp' folder {str(tmp_path / 'bp_templates')!r}" in explained
    assert f"found: {tmp_path / 'bp_templates' / 'page.html'}" in explained


async def test_explain_template_loading_logs_a_failed_lookup(
    app: Erlen, write_templates: WriteTemplates, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    write_templates({"other.html": "x"})
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        async with app.app_context():
            with pytest.raises(TemplateNotFound):
                await render_template("missing.html")
    explained = "\n".join(r.getMessage() for r in caplog.records)
    assert "Locating template 'missing.html'" in explained
    assert "could not be found" in explained


async def test_explain_points_at_the_blueprint_of_a_failed_lookup(
    app: Erlen, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    admin = Blueprint("admin", __name__)

    @admin.route("/")
    async def index() -> str:
        return await render_template("admin/missing.html")

    app.register_blueprint(admin, url_prefix="/admin")
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        response = await app.test_client().get("/admin/")
    assert response.status_code == 500
    explained = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.INFO)
    assert "Locating template 'admin/missing.html'" in explained
    assert "blueprint 'admin'" in explained
    assert "template_folder" in explained


async def test_without_explain_nothing_is_logged(
    app: Erlen, write_templates: WriteTemplates, caplog: pytest.LogCaptureFixture
) -> None:
    write_templates({"page.html": "x"})
    with caplog.at_level(logging.DEBUG, logger=app.logger.name):
        async with app.app_context():
            assert await render_template("page.html") == "x"
    assert [r for r in caplog.records if r.name == app.logger.name] == []
