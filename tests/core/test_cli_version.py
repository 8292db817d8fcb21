"""``kernel --version`` and the Quart-shaped parts of the CLI API: ``ErlenGroup``'s
arguments, ``ScriptInfo`` and ``load_dotenv``."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from erlen import Erlen
from erlen.cli import AppGroup, ErlenGroup, ScriptInfo, cli, load_dotenv


def test_version_lists_python_erlen_and_the_key_libraries() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Python {platform.python_version()}"
    assert lines[1].startswith(f"Erlen {importlib.metadata.version('erlen')} (Quart ")
    for name in ("Werkzeug", "Hypercorn", "pluggy", "click", "Jinja2", "msgspec"):
        version = importlib.metadata.version(name.lower())
        assert f"{name} {version}" in lines


def test_version_needs_no_app_and_loads_none(tmp_path: Path) -> None:
    # A broken app.py in the current directory must not stop `--version`.
    (tmp_path / "app.py").write_text("raise RuntimeError('not imported')\n")
    proc = subprocess.run(
        [sys.executable, "-m", "erlen", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Python ")
    assert "not imported" not in proc.stdout + proc.stderr


def test_group_without_default_commands_and_version() -> None:
    group = ErlenGroup(name="manage", add_default_commands=False, add_version_option=False)

    @group.command("hello")
    def hello() -> None:
        click.echo("hi")

    assert CliRunner().invoke(group, ["hello"]).output == "hi\n"
    for default in ("routes", "run", "plugins", "shell"):  # built-in and plugin commands
        assert CliRunner().invoke(group, [default]).exit_code == 2, default
    listing = CliRunner().invoke(group, ["--help"]).output
    assert listing.split("Commands:")[1].split() == ["hello"]
    assert "No such option" in CliRunner().invoke(group, ["--version"]).output


def test_group_create_app_is_the_app_its_commands_see() -> None:
    app = Erlen(__name__)

    @app.route("/from-factory")
    async def index() -> str:
        return ""

    group = ErlenGroup(name="manage", create_app=lambda: app)
    result = CliRunner().invoke(group, ["routes"], env={"KERNEL_RUN_FROM_CLI": None})
    assert result.exit_code == 0, result.output
    assert "/from-factory" in result.output


def test_script_info_loads_through_the_replaceable_import_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = Erlen(__name__)
    imported: list[str] = []

    class Module:
        application = app

    def fake_import(name: str) -> Any:
        imported.append(name)
        return Module

    monkeypatch.setattr("erlen.cli.import_module", fake_import)
    info = ScriptInfo("some.module:application")
    assert info.load_app() is app
    assert imported == ["some.module"]
    assert info.data == {}


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("0", False)])
def test_script_info_applies_the_debug_flag_when_set(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    app = Erlen(__name__)
    app.debug = not expected
    monkeypatch.setenv("KERNEL_DEBUG", value)
    assert ScriptInfo(create_app=lambda: app).load_app().debug is expected


def test_script_info_keeps_the_apps_debug_without_a_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KERNEL_DEBUG", raising=False)
    app = Erlen(__name__)
    app.debug = True
    assert ScriptInfo(create_app=lambda: app).load_app().debug is True
    monkeypatch.setenv("KERNEL_DEBUG", "1")
    app.debug = False
    info = ScriptInfo(create_app=lambda: app, set_debug_flag=False)
    assert info.load_app().debug is False


def test_app_group_commands_are_click_commands() -> None:
    group = AppGroup()

    @group.command("plain", with_appcontext=False)
    def plain() -> None:
        click.echo("plain")

    assert CliRunner().invoke(group, ["plain"]).output == "plain\n"


@pytest.fixture
def empty_cwd(tmp_path: Path) -> Any:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(cwd)
        os.environ.pop("QN_VALUE", None)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({".env": "env"}, "env"),
        ({".quartenv": "quart"}, "quart"),
        ({".kernelenv": "kernel", ".quartenv": "quart"}, "kernel"),
        ({".env": "env", ".quartenv": "quart"}, "env"),
    ],
)
def test_load_dotenv_order(empty_cwd: Path, files: dict[str, str], expected: str) -> None:
    for name, value in files.items():
        (empty_cwd / name).write_text(f"QN_VALUE={value}\n")
    assert load_dotenv() is True
    assert os.environ["QN_VALUE"] == expected


def test_load_dotenv_without_files(empty_cwd: Path) -> None:
    assert load_dotenv() is False
    assert "QN_VALUE" not in os.environ


def test_find_best_app_and_find_app_by_string() -> None:
    import types

    from erlen.cli import NoAppException, find_app_by_string, find_best_app

    module = types.ModuleType("project")
    app = Erlen("project")
    module.application = app  # type: ignore[attr-defined]
    module.create = lambda name="project": Erlen(name)  # type: ignore[attr-defined]
    assert find_best_app(module) is app
    assert find_app_by_string(module, "application") is app
    assert find_app_by_string(module, "create('other')").name == "other"
    with pytest.raises(NoAppException, match="Failed to find attribute 'missing'"):
        find_app_by_string(module, "missing")
