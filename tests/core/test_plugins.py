"""Choosing an app's plugins through the public API: the first-party defaults, an installed
third-party plugin only when selected (``extra_plugins``, ``plugins``, ``register_plugin``,
``ERLEN_PLUGINS``), by entry-point name, module or object; leaving them out
(``exclude_plugins``, ``ERLEN_DISABLE_PLUGINS``); the errors a user sees for an unknown
plugin or one that fails."""

from __future__ import annotations

import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import erlen.plugins.json as json_plugin
import pytest
from erlen import Erlen, hookimpl, render_template_string
from erlen.exceptions import PluginError, UnknownPluginError
from erlen.pluginmanager import available_plugins, first_party_plugins

FIRST_PARTY = {"json", "websocket", "templating", "testing"}


@pytest.fixture(autouse=True)
def _erlen_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the default plugin set itself: no ``ERLEN_PLUGINS`` from
    the environment (the CI runs this suite with only the plugins it declares)."""
    monkeypatch.delenv("ERLEN_PLUGINS", raising=False)


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A third-party distribution ``erlen-stamp 1.2.3`` installed on ``sys.path``, with an
    ``erlen`` entry point ``stamp`` (module ``erlen_stamp``) and a broken one, ``broken``."""
    (tmp_path / "erlen_stamp.py").write_text(
        textwrap.dedent(
            """
            from erlen import hookimpl

            @hookimpl
            def erlen_configure(app):
                app.config.setdefault("STAMP", "stamped")
            """
        )
    )
    (tmp_path / "erlen_broken.py").write_text("raise ImportError('missing dependency: foo')\n")
    info = tmp_path / "erlen_stamp-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: erlen-stamp\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text("[erlen]\nstamp = erlen_stamp\nbroken = erlen_broken\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    available_plugins.cache_clear()
    yield tmp_path
    available_plugins.cache_clear()
    for name in ("erlen_stamp", "erlen_broken"):
        sys.modules.pop(name, None)


# --- selection --------------------------------------------------------------------------


def test_default_is_the_first_party_plugins() -> None:
    loaded = set(Erlen(__name__).plugins)
    assert loaded == set(first_party_plugins())
    assert loaded >= FIRST_PARTY


def test_installing_a_plugin_changes_no_app_that_did_not_select_it(
    installed_plugin: Path,
) -> None:
    assert "stamp" in available_plugins()
    app = Erlen(__name__)
    assert "stamp" not in app.plugins
    assert "STAMP" not in app.config
    assert set(app.plugins) == set(first_party_plugins())


def test_extra_plugins_adds_an_installed_plugin_to_the_defaults(installed_plugin: Path) -> None:
    app = Erlen(__name__, extra_plugins=["stamp"])
    assert set(app.plugins) == {*first_party_plugins(), "stamp"}
    assert app.config["STAMP"] == "stamped"


def test_register_plugin_by_name(installed_plugin: Path) -> None:
    app = Erlen(__name__)
    app.register_plugin("stamp")
    assert "stamp" in app.plugins
    assert app.config["STAMP"] == "stamped"
    with pytest.raises(UnknownPluginError, match="'stmap'"):
        app.register_plugin("stmap")


def test_plugins_environment_variable_sets_the_defaults(
    installed_plugin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERLEN_PLUGINS", "json, stamp")
    assert list(Erlen(__name__).plugins) == ["json", "stamp"]
    # An explicit selection is not changed by it.
    assert list(Erlen(__name__, plugins=["testing"]).plugins) == ["testing"]
    monkeypatch.setenv("ERLEN_PLUGINS", "json,nosuch")
    with pytest.raises(UnknownPluginError, match="Cannot load \\(ERLEN_PLUGINS\\) unknown"):
        Erlen(__name__)


def test_select_by_entry_point_name() -> None:
    app = Erlen(__name__, plugins=["json", "testing"])
    assert list(app.plugins) == ["json", "testing"]
    assert app.plugins["json"] is json_plugin


def test_select_by_module_and_by_object() -> None:
    module = types.ModuleType("my_plugin_module")

    @hookimpl
    def erlen_configure(app: Any) -> None:
        app.config["FROM_MODULE"] = True

    module.erlen_configure = erlen_configure  # type: ignore[attr-defined]

    class Greeter:
        name = "greeter"

        @hookimpl
        def erlen_configure(self, app: Any) -> None:
            app.config.setdefault("GREETING", "hello")

    app = Erlen(__name__, plugins=[json_plugin, module, Greeter()])
    assert set(app.plugins) == {"erlen.plugins.json", "my_plugin_module", "greeter"}
    assert app.config["FROM_MODULE"] is True
    assert app.config["GREETING"] == "hello"


def test_third_party_entry_point_plugin_is_found_by_name(installed_plugin: Path) -> None:
    app = Erlen(__name__, plugins=["stamp"])
    assert list(app.plugins) == ["stamp"]
    assert app.config["STAMP"] == "stamped"


async def test_no_plugins_still_serves_http_and_json() -> None:
    from erlen.plugins.testing import TestClient

    app = Erlen(__name__, plugins=[])
    assert app.plugins == {}

    @app.route("/")
    async def index() -> Any:
        return {"ok": True}

    with pytest.raises(RuntimeError, match="needs the 'testing' plugin"):
        app.test_client()
    response = await TestClient(app).get("/")
    assert response.status_code == 200
    assert await response.get_json() == {"ok": True}


def test_register_plugin_later_configures_it() -> None:
    class Late:
        name = "late"

        @hookimpl
        def erlen_configure(self, app: Any) -> None:
            app.config.setdefault("LATE", "yes")

    app = Erlen(__name__, plugins=["json"])
    app.register_plugin(Late())
    assert set(app.plugins) == {"json", "late"}
    assert app.config["LATE"] == "yes"


# --- exclusion --------------------------------------------------------------------------


async def test_exclude_plugins_leaves_one_out() -> None:
    app = Erlen(__name__, exclude_plugins=["templating"])
    assert set(app.plugins) == set(first_party_plugins()) - {"templating"}
    async with app.app_context():
        with pytest.raises(RuntimeError, match="the 'templating' plugin is not loaded"):
            await render_template_string("{{ 1 }}")


def test_exclude_wins_over_an_explicit_selection() -> None:
    app = Erlen(__name__, plugins=["json", "templating"], exclude_plugins=["templating"])
    assert list(app.plugins) == ["json"]


def test_disable_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERLEN_DISABLE_PLUGINS", "templating, websocket")
    expected = set(first_party_plugins()) - {"templating", "websocket"}
    assert set(Erlen(__name__).plugins) == expected


# --- errors -----------------------------------------------------------------------------


def test_unknown_plugin_name_fails_at_construction() -> None:
    with pytest.raises(UnknownPluginError) as info:
        Erlen(__name__, plugins=["json", "jsn"])
    message = str(info.value)
    assert "unknown Erlen plugin(s) 'jsn'" in message
    assert "installed plugins (entry point group 'erlen'): " in message
    assert all(name in message for name in FIRST_PARTY)


def test_unknown_excluded_name_fails_too(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UnknownPluginError, match="Cannot exclude unknown Erlen plugin"):
        Erlen(__name__, exclude_plugins=["templates"])
    monkeypatch.setenv("ERLEN_DISABLE_PLUGINS", "nosuch")
    with pytest.raises(UnknownPluginError, match="'nosuch'"):
        Erlen(__name__)


def test_plugin_raising_in_configure_is_named() -> None:
    class Broken:
        name = "needs-database"

        @hookimpl
        def erlen_configure(self, app: Any) -> None:
            raise KeyError("DATABASE_URL")

    with pytest.raises(PluginError) as info:
        Erlen(__name__, plugins=["json", Broken()])
    assert str(info.value) == (
        "Erlen plugin 'needs-database' failed in erlen_configure: KeyError('DATABASE_URL')"
    )
    assert isinstance(info.value.__cause__, KeyError)


def test_plugin_failing_to_import_is_named(installed_plugin: Path) -> None:
    with pytest.raises(PluginError) as info:
        Erlen(__name__, plugins=["broken"])
    message = str(info.value)
    assert message.startswith("Erlen plugin 'broken' (erlen_broken) failed to load:")
    assert "missing dependency: foo" in message
    # Leaving the broken plugin out lets the app start.
    assert "broken" not in Erlen(__name__, exclude_plugins=["broken"]).plugins


def test_same_plugin_twice_is_refused() -> None:
    with pytest.raises(PluginError, match="Cannot register Erlen plugin"):
        Erlen(__name__, plugins=["json", json_plugin])
