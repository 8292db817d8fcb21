"""docs/plugins.md cannot drift from the hookspecs: its "Hook reference" section is what
docs/gen_hooks.py generates from the hookspec docstrings, and every hook has a contract."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import erlen.hookspecs
from click.testing import CliRunner
from erlen.cli import cli, documentation_url
from erlen.pluginmanager import ErlenPluginManager, available_plugins

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "plugins.md"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_hooks", ROOT / "docs" / "gen_hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hook_reference_is_up_to_date() -> None:
    gen = load_generator()
    text = DOC.read_text(encoding="utf-8")
    assert gen.updated(text, gen.render_reference()) == text, (
        "docs/plugins.md is out of date with the hookspecs: run python docs/gen_hooks.py"
    )


def test_every_hook_of_the_first_party_plugins_is_documented() -> None:
    """All specs a fully loaded app knows (kernel and plugins' own) are in the reference."""
    pm = ErlenPluginManager()
    for name, ep in available_plugins().items():
        if ep.value.startswith("erlen.plugins."):
            pm.register(ep.load(), name)
    documented = DOC.read_text(encoding="utf-8")
    hooks = sorted(
        name
        for name in dir(pm.hook)
        if name.startswith("erlen_") and getattr(pm.hook, name).spec is not None
    )
    assert "erlen_configure" in hooks
    missing = [name for name in hooks if f"#### `{name}(" not in documented]
    assert missing == []


def test_every_kernel_hookspec_has_a_contract() -> None:
    gen = load_generator()
    specs = gen.hookspecs_of(erlen.hookspecs)
    declared = {name for name, f in vars(erlen.hookspecs).items() if hasattr(f, "erlen_spec")}
    assert {function.__name__ for _section, function in specs} == declared
    for _section, function in specs:
        assert function.__doc__ and len(function.__doc__.split()) >= 10, function.__name__


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    gen = load_generator()
    stale = DOC.read_text(encoding="utf-8").replace("#### `erlen_configure(app)`", "#### old")
    assert gen.updated(stale, gen.render_reference()) != stale
    run = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "gen_hooks.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr


def test_kernel_help_points_to_the_documentation_site() -> None:
    """Not to a file of the source tree, which an installed package does not have."""
    guide = documentation_url("cli.html")
    assert guide is not None and guide.startswith("https://")
    assert guide.endswith("/cli.html")
    result = CliRunner().invoke(cli, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    assert f"Guide: {guide}" in result.output
    assert "docs/cli.md" not in result.output
