"""Other plugins contribute filters, globals and loaders through the template hooks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest
from erlen import Erlen, hookimpl, render_template, render_template_string

WriteTemplates = Callable[..., Path]


class BadgesPlugin:
    """A third-party plugin: a filter, a global, and templates of its own."""

    name = "badges"

    def __init__(self) -> None:
        self.environments: list[jinja2.Environment] = []

    @hookimpl
    def erlen_prepare_template_environment(self, app: Erlen, env: jinja2.Environment) -> None:
        self.environments.append(env)
        env.filters["badge"] = lambda text: f"[{text}]"
        env.globals["badges_version"] = "1.0"
        env.filters["shared"] = lambda text: "plugin"

    @hookimpl
    def erlen_template_loaders(self, app: Erlen) -> jinja2.BaseLoader:
        return jinja2.DictLoader(
            {
                "badges/badge.html": "{{ label|badge }} v{{ badges_version }}",
                "overridable.html": "from the plugin",
            }
        )


class PrefixedPlugin:
    name = "prefixed"

    @hookimpl
    def erlen_template_loaders(self, app: Erlen) -> list[jinja2.BaseLoader]:
        return [jinja2.PrefixLoader({"prefixed": jinja2.DictLoader({"x.html": "prefixed x"})})]


def make_app(tmp_path: Path, *plugins: object) -> Erlen:
    return Erlen(__name__, root_path=str(tmp_path), plugins=["templating", "testing", *plugins])


async def test_a_plugin_adds_a_filter_a_global_and_a_loader(tmp_path: Path) -> None:
    plugin = BadgesPlugin()
    app = make_app(tmp_path, plugin)

    @app.route("/")
    async def index() -> str:
        return await render_template("badges/badge.html", label="<new>")

    response = await app.test_client().get("/")
    assert response.status_code == 200
    # Autoescaping follows the template name, wherever the template comes from.
    assert await response.get_data(as_text=True) == "[&lt;new&gt;] v1.0"
    assert plugin.environments == [app.jinja_env]  # called once, for the app's environment


async def test_plugin_filters_work_in_template_strings(tmp_path: Path) -> None:
    app = make_app(tmp_path, BadgesPlugin())
    async with app.app_context():
        assert await render_template_string("{{ 'ok'|badge }} {{ badges_version }}") == "[ok] 1.0"


async def test_the_plugin_order_does_not_matter(tmp_path: Path) -> None:
    # The hooks are declared by the templating plugin; a plugin listed before it works too.
    app = Erlen(__name__, root_path=str(tmp_path), plugins=[BadgesPlugin(), "templating"])
    async with app.app_context():
        assert await render_template_string("{{ 'a'|badge }}") == "[a]"


async def test_the_app_folder_overrides_a_plugin_template(
    tmp_path: Path, write_templates: WriteTemplates
) -> None:
    write_templates({"overridable.html": "from the app"})
    app = make_app(tmp_path, BadgesPlugin())
    async with app.app_context():
        assert await render_template("overridable.html") == "from the app"


async def test_the_app_registrations_win_a_name_clash(tmp_path: Path) -> None:
    app = make_app(tmp_path, BadgesPlugin())
    app.add_template_filter(lambda text: "app", name="shared")
    async with app.app_context():
        assert await render_template_string("{{ 'x'|shared }}") == "app"


async def test_loaders_may_come_as_a_list(tmp_path: Path) -> None:
    app = make_app(tmp_path, PrefixedPlugin(), BadgesPlugin())
    async with app.app_context():
        assert await render_template("prefixed/x.html") == "prefixed x"
        assert await render_template("overridable.html") == "from the plugin"


async def test_a_plugin_registered_after_the_first_render_is_applied(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.app_context():
        assert await render_template_string("{{ 1 }}") == "1"
    plugin = BadgesPlugin()
    app.register_plugin(plugin)
    async with app.app_context():
        assert await render_template("badges/badge.html", label="late") == "[late] v1.0"
    assert plugin.environments == [app.jinja_env]


async def test_a_missing_template_names_the_plugin_loader(tmp_path: Path) -> None:
    app = make_app(tmp_path, BadgesPlugin())
    async with app.app_context():
        with pytest.raises(jinja2.TemplateNotFound) as info:
            await render_template("nowhere.html")
    assert "plugin loader #1" in str(info.value)


async def test_a_hook_using_app_jinja_env_gets_a_clear_error(tmp_path: Path) -> None:
    class Recursive:
        @hookimpl
        def erlen_prepare_template_environment(self, app: Erlen, env: Any) -> None:
            app.jinja_env.filters["x"] = str

    app = make_app(tmp_path, Recursive())
    with pytest.raises(RuntimeError, match="use the 'env' argument"):
        app.jinja_env  # noqa: B018


async def test_a_plugin_adds_a_context_processor_at_configure(tmp_path: Path) -> None:
    class SiteName:
        name = "site-name"

        @hookimpl
        def erlen_configure(self, app: Erlen) -> None:
            app.context_processor(lambda: {"site_name": app.config.get("SITE_NAME", "?")})

    app = make_app(tmp_path, SiteName())
    app.config["SITE_NAME"] = "Erlen docs"
    async with app.app_context():
        assert await render_template_string("{{ site_name }}") == "Erlen docs"


async def test_the_plugin_registered_last_is_searched_first(tmp_path: Path) -> None:
    def shipping(label: str) -> object:
        class Shipping:
            name = f"ships-{label}"

            @hookimpl
            def erlen_template_loaders(self, app: Erlen) -> jinja2.BaseLoader:
                return jinja2.DictLoader({"x.html": label})

        return Shipping()

    app = make_app(tmp_path, shipping("first"), shipping("second"))
    async with app.app_context():
        assert await render_template("x.html") == "second"
