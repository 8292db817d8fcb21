"""Helpers shared by the CLI error tests of the kernel and serving suites: a fresh project
folder as cwd (imports, sys.path and os.environ restored after) and a CLI call expected to
fail with exactly one ``Error:`` line."""

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


def stderr_apart_runner() -> CliRunner:
    """A click test runner whose result has ``stderr`` apart. Click 8.2 always keeps it;
    8.1 (the lowest click Erlen supports, CI's dependency-floor job) only when asked, and
    then ``result.output`` is stdout alone: tests using this runner read what a command
    writes to stderr from ``result.stderr``."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # click 8.2 removed the argument: stderr is always apart
        return CliRunner()


def one_error_line(*args: str) -> str:
    result = CliRunner().invoke(make_cli(), list(args))
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    assert lines[0].startswith("Error: ")
    return lines[0]
