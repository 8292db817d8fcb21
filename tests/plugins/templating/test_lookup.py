"""Where templates are found: the app's folder first, then blueprints in registration order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jinja2
from erlen import Blueprint, Erlen, render_template

WriteTemplates = Callable[..., Path]


def blueprint(name: str, tmp_path: Path, folder: str | None) -> Blueprint:
    return Blueprint(name, __name__, template_folder=folder, root_path=str(tmp_path))


async def test_the_app_folder_wins_over_blueprint_folders(
    app: Erlen, tmp_path: Path, write_templates: WriteTemplates
) -> None:
    write_templates({"shared.html": "app"})
    write_templates({"shared.html": "first", "first.html": "first only"}, "first_templates")
    write_templates({"shared.html": "second", "second.html": "second only"}, "second_templates")
    app.register_blueprint(blueprint("first", tmp_path, "first_templates"))
    app.register_blueprint(blueprint("second", tmp_path, "second_templates"))
    async with app.app_context():
        assert await render_template("shared.html") == "app"
        assert await render_template("first.html") == "first only"
        assert await render_template("second.html") == "second only"


async def test_blueprints_are_searched_in_registration_order(
    app: Erlen, tmp_path: Path, write_templates: WriteTemplates
) -> None:
    write_templates({"shared.html": "b"}, "b_templates")
    write_templates({"shared.html": "a"}, "a_templates")
    app.register_blueprint(blueprint("b", tmp_path, "b_templates"))
    app.register_blueprint(blueprint("a", tmp_path, "a_templates"))
    async with app.app_context():
        assert await render_template("shared.html") == "b"


async def test_a_blueprint_view_renders_its_own_folder_templates(
    app: Erlen, tmp_path: Path, write_templates: WriteTemplates
) -> None:
    write_templates({"admin/index.html": "admin {{ request.blueprint }}"}, "admin_templates")
    admin = blueprint("admin", tmp_path, "admin_templates")

    @admin.route("/")
    async def index() -> str:
        return await render_template("admin/index.html")

    app.register_blueprint(admin, url_prefix="/admin")
    response = await app.test_client().get("/admin/")
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "admin admin"


async def test_nested_blueprint_folders_are_searched(
    app: Erlen, tmp_path: Path, write_templates: WriteTemplates
) -> None:
    write_templates({"child.html": "from the child"}, "child_templates")
    parent = blueprint("parent", tmp_path, None)
    parent.register_blueprint(blueprint("child", tmp_path, "child_templates"))
    app.register_blueprint(parent)
    async with app.app_context():
        assert await render_template("child.html") == "from the child"


async def test_an_app_without_a_template_folder_uses_blueprint_folders(
    tmp_path: Path, write_templates: WriteTemplates
) -> None:
    app = Erlen(__name__, root_path=str(tmp_path), template_folder=None)
    write_templates({"page.html": "app folder"})
    write_templates({"page.html": "bp folder"}, "bp_templates")
    app.register_blueprint(blueprint("bp", tmp_path, "bp_templates"))
    async with app.app_context():
        assert await render_template("page.html") == "bp folder"


async def test_a_blueprint_registered_after_the_first_render_is_searched(
    app: Erlen, tmp_path: Path, write_templates: WriteTemplates
) -> None:
    write_templates({"index.html": "index"})
    write_templates({"late.html": "late"}, "late_templates")
    async with app.app_context():
        assert await render_template("index.html") == "index"
    app.register_blueprint(blueprint("late", tmp_path, "late_templates"))
    async with app.app_context():
        assert await render_template("late.html") == "late"


async def test_a_scaffold_jinja_loader_replaces_its_folder(app: Erlen) -> None:
    class MemoryBlueprint(Blueprint):
        jinja_loader = jinja2.DictLoader({"memory.html": "from memory"})

    app.register_blueprint(MemoryBlueprint("memory", __name__))
    async with app.app_context():
        assert await render_template("memory.html") == "from memory"
