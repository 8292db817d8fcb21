"""``kernel run`` mistakes (TLS files, hypercorn config) get one ``Error:`` line and a
non-zero exit code."""

from __future__ import annotations

import os
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from erlen.cli import make_cli


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A fresh directory as cwd; imports, sys.path and os.environ are restored after."""
    monkeypatch.chdir(tmp_path)
    saved_env, saved_path, saved_modules = dict(os.environ), list(sys.path), set(sys.modules)
    for name in ("KERNEL_APP", "QUART_APP", "FLASK_APP"):
        os.environ.pop(name, None)
    yield tmp_path
    os.environ.clear()
    os.environ.update(saved_env)
    sys.path[:] = saved_path
    for name in set(sys.modules) - saved_modules:
        del sys.modules[name]


def module_with(directory: Path, source: str) -> str:
    name = f"mod_{uuid.uuid4().hex[:8]}"
    (directory / f"{name}.py").write_text(textwrap.dedent(source))
    return name


def one_error_line(*args: str) -> str:
    result = CliRunner().invoke(make_cli(), list(args))
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_bad_certificate_path(project: Path) -> None:
    module = module_with(project, "from erlen import Erlen\napp = Erlen(__name__)\n")
    line = one_error_line(
        "--app", module, "run", "--port", "0", "--certfile", "nope.pem", "--keyfile", "nope.key"
    )
    assert line == "Error: TLS certificate file 'nope.pem' does not exist."


def test_certificate_without_key(project: Path) -> None:
    module = module_with(project, "from erlen import Erlen\napp = Erlen(__name__)\n")
    (project / "cert.pem").write_text("x")
    line = one_error_line("--app", module, "run", "--port", "0", "--certfile", "cert.pem")
    assert line == "Error: TLS needs both a certificate and a key: --certfile without --keyfile."


def test_unreadable_certificate(project: Path) -> None:
    module = module_with(project, "from erlen import Erlen\napp = Erlen(__name__)\n")
    (project / "cert.pem").write_text("not a certificate")
    (project / "key.pem").write_text("not a key")
    line = one_error_line(
        "--app", module, "run", "--port", "0", "--certfile", "cert.pem", "--keyfile", "key.pem"
    )
    assert line.startswith("Error: Could not load the TLS certificate 'cert.pem'")


def test_missing_hypercorn_config(project: Path) -> None:
    module = module_with(project, "from erlen import Erlen\napp = Erlen(__name__)\n")
    line = one_error_line("--app", module, "run", "--config", "nope.toml")
    assert line == "Error: Hypercorn config file 'nope.toml' does not exist."
