"""``kernel plugins`` (loaded plugins, their versions and hooks) and the CLI commands a
plugin contributes, through click's CliRunner and, for entry-point discovery, a real
``kernel`` process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from erlen import Erlen, hookimpl
from erlen.cli import ScriptInfo, cli
from erlen.pluginmanager import available_plugins

ERLEN_VERSION = version("erlen")

STAMP = '''
import click
from erlen import hookimpl

__version__ = "ignored: the distribution's version wins"

@hookimpl
def erlen_configure(app):
    app.config.setdefault("STAMP", "stamped")

@hookimpl
def erlen_cli_commands(cli):
    @cli.command("stamp")
    def stamp():
        """Print a stamp."""
        click.echo("stamped by a plugin")
'''


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory holding an installed distribution ``erlen-stamp 1.2.3`` with an
    ``erlen`` entry point ``stamp`` and one, ``broken``, that fails to import."""
    (tmp_path / "erlen_stamp.py").write_text(textwrap.dedent(STAMP))
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


def invoke_plugins(app: Erlen, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["plugins", *args], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    return result


class Audit:
    name = "audit"
    __version__ = "0.3"

    @hookimpl(trylast=True)
    def erlen_after_request(self, app: Any, request: Any, response: Any) -> None:
        response.headers["X-Audited"] = "1"

    @hookimpl
    def erlen_configure(self, app: Any) -> None:
        @app.cli.command("audit-report")
        @click.option("--limit", type=int, default=10)
        def report(limit: int) -> None:
            click.echo(f"audit report, {limit} entries")


def test_plugins_lists_the_apps_plugins_with_versions_and_hooks() -> None:
    app = Erlen(__name__, plugins=["json", Audit()])
    lines = invoke_plugins(app).output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"json {ERLEN_VERSION}: ")
    assert "erlen_json_provider" in lines[0]
    assert lines[1] == "audit 0.3: erlen_after_request, erlen_configure"
    shown = invoke_plugins(app, "--all").output.splitlines()
    assert shown[0].startswith(f"erlen.builtins {ERLEN_VERSION}: ")
    assert "erlen_protocol_handlers" in shown[0]
    assert shown[1:] == lines


def test_plugins_shows_the_version_of_the_distribution(site: Path) -> None:
    app = Erlen(__name__, plugins=["stamp"])
    assert invoke_plugins(app).output == "stamp 1.2.3: erlen_cli_commands, erlen_configure\n"


def test_plugins_without_an_app_lists_what_is_installed(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(site)  # no app.py here
    monkeypatch.delenv("KERNEL_APP", raising=False)
    result = CliRunner().invoke(cli, ["plugins"], obj=ScriptInfo())
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "stamp 1.2.3: erlen_cli_commands, erlen_configure" in lines
    assert any(line.startswith(f"json {ERLEN_VERSION}: ") for line in lines)
    broken = [line for line in lines if line.startswith("broken 1.2.3: ")]
    assert len(broken) == 1
    assert "Erlen plugin 'broken' (erlen_broken) failed to load" in broken[0]
    assert "missing dependency: foo" in broken[0]


def test_plugin_command_on_app_cli() -> None:
    app = Erlen(__name__, plugins=["testing", Audit()])
    result = app.test_cli_runner().invoke(args=["audit-report", "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert result.output == "audit report, 3 entries\n"


def test_installed_plugin_adds_a_kernel_command(site: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    env.pop("KERNEL_APP", None)
    run = subprocess.run(
        [sys.executable, "-m", "erlen", "stamp"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "stamped by a plugin\n"
    assert "Warning: plugin 'broken' failed to load" in run.stderr
