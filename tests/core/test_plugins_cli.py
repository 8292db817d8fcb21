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


@pytest.fixture(autouse=True)
def _erlen_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the default plugin set itself: no ``ERLEN_PLUGINS`` from
    the environment (the CI runs this suite with only the plugins it declares)."""
    monkeypatch.delenv("ERLEN_PLUGINS", raising=False)


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
    enabled, _, idle = invoke_plugins(app).output.partition("\n\n")
    lines = enabled.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"json {ERLEN_VERSION}: ")
    assert "erlen_json_provider" in lines[0]
    assert lines[1] == "audit 0.3: erlen_after_request, erlen_configure"
    # The installed plugins this app did not select are listed apart.
    assert idle.startswith("Installed, not enabled (select one with Erlen(__name__,")
    assert any(line.startswith(f"  templating {ERLEN_VERSION}: ") for line in idle.splitlines())
    assert not any(line.lstrip().startswith("json ") for line in idle.splitlines())
    shown = invoke_plugins(app, "--all").output.partition("\n\n")[0].splitlines()
    assert shown[0].startswith(f"erlen.builtins {ERLEN_VERSION}: ")
    assert "erlen_protocol_handlers" in shown[0]
    assert shown[1:] == lines


def test_plugins_shows_the_version_of_the_distribution(site: Path) -> None:
    app = Erlen(__name__, plugins=["stamp"])
    lines = invoke_plugins(app).output.splitlines()
    assert lines[0] == "stamp 1.2.3: erlen_cli_commands, erlen_configure"


def test_plugins_shows_an_installed_plugin_as_not_enabled(site: Path) -> None:
    enabled, _, idle = invoke_plugins(Erlen(__name__)).output.partition("\n\n")
    assert not any(line.startswith("stamp ") for line in enabled.splitlines())
    assert "  stamp 1.2.3: erlen_cli_commands, erlen_configure" in idle.splitlines()
    enabled = invoke_plugins(Erlen(__name__, extra_plugins=["stamp"])).output.partition("\n\n")[0]
    assert "stamp 1.2.3: erlen_cli_commands, erlen_configure" in enabled.splitlines()


def test_plugins_without_an_app_lists_what_is_installed(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(site)  # no app.py here
    monkeypatch.delenv("KERNEL_APP", raising=False)
    result = CliRunner().invoke(cli, ["plugins"], obj=ScriptInfo())
    assert result.exit_code == 0, result.output
    enabled, _, idle = result.output.partition("\n\n")
    assert any(line.startswith(f"json {ERLEN_VERSION}: ") for line in enabled.splitlines())
    lines = idle.splitlines()
    assert "  stamp 1.2.3: erlen_cli_commands, erlen_configure" in lines
    broken = [line for line in lines if line.startswith("  broken 1.2.3: ")]
    assert len(broken) == 1
    assert "Erlen plugin 'broken' (erlen_broken) failed to load" in broken[0]
    assert "missing dependency: foo" in broken[0]


def test_plugin_command_on_app_cli() -> None:
    app = Erlen(__name__, plugins=[Audit()])
    result = app.test_cli_runner().invoke(args=["audit-report", "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert result.output == "audit report, 3 entries\n"


def _kernel(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path]), **env}
    environ.pop("KERNEL_APP", None)
    return subprocess.run(
        [sys.executable, "-m", "erlen", *args],
        cwd=site,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_enabled_plugin_adds_a_kernel_command(site: Path) -> None:
    run = _kernel(site, "stamp", ERLEN_PLUGINS="json,stamp,broken")
    assert run.returncode == 0, run.stderr
    assert run.stdout == "stamped by a plugin\n"
    assert "Warning: plugin 'broken' failed to load" in run.stderr


def test_installed_plugin_adds_no_kernel_command_until_enabled(site: Path) -> None:
    run = _kernel(site, "stamp")
    assert run.returncode == 2
    assert "No such command 'stamp'" in run.stderr
    assert "broken" not in run.stderr
