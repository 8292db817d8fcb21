"""``kernel --app``: finding the app like Flask, environment variables and .env files."""

from __future__ import annotations

import os
import re
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from erlen.cli import make_cli

from tests.cli_helpers import stderr_apart_runner

APP_SOURCE = """
from erlen import Erlen
{name} = Erlen("{module}")

@{name}.route("/{module}")
async def index():
    return "hi"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A fresh directory as cwd; imports, sys.path and os.environ are restored after."""
    monkeypatch.chdir(tmp_path)
    saved_env, saved_path, saved_modules = dict(os.environ), list(sys.path), set(sys.modules)
    for name in ("KERNEL_APP", "QUART_APP", "FLASK_APP", "KERNEL_SKIP_DOTENV"):
        os.environ.pop(name, None)
    yield tmp_path
    os.environ.clear()
    os.environ.update(saved_env)
    sys.path[:] = saved_path
    for name in set(sys.modules) - saved_modules:
        del sys.modules[name]


def unique(prefix: str = "mod") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def write(directory: Path, filename: str, source: str) -> Path:
    path = directory / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def write_app(directory: Path, module: str, name: str = "app") -> None:
    write(directory, f"{module}.py", APP_SOURCE.format(name=name, module=module))


def routes(*args: str, env: dict[str, str] | None = None):
    return stderr_apart_runner().invoke(make_cli(), [*args, "routes"], env=env)


def test_module_and_name(project: Path) -> None:
    module = unique()
    write_app(project, module, name="server")
    result = routes("--app", f"{module}:server")
    assert result.exit_code == 0, result.output
    assert f"/{module}" in result.output


@pytest.mark.parametrize("name", ["app", "application", "anything"])
def test_module_alone_finds_the_app(project: Path, name: str) -> None:
    module = unique()
    write_app(project, module, name=name)
    result = routes("--app", module)
    assert result.exit_code == 0, result.output
    assert f"/{module}" in result.output


@pytest.mark.parametrize("factory", ["create_app", "make_app"])
def test_module_alone_calls_a_factory(project: Path, factory: str) -> None:
    module = unique()
    write(
        project,
        f"{module}.py",
        f"""
        from erlen import Erlen
        def {factory}():
            app = Erlen(__name__)
            app.add_url_rule("/made", "made", lambda: "x")
            return app
        """,
    )
    result = routes("--app", module)
    assert result.exit_code == 0, result.output
    assert "/made" in result.output


def test_factory_call_with_arguments(project: Path) -> None:
    module = unique()
    write(
        project,
        f"{module}.py",
        """
        from erlen import Erlen
        def create_app(prefix, *, suffix="end"):
            app = Erlen(__name__)
            app.add_url_rule(f"/{prefix}/{suffix}", "made", lambda: "x")
            return app
        """,
    )
    result = routes("--app", f"{module}:create_app('api', suffix='v2')")
    assert result.exit_code == 0, result.output
    assert "/api/v2" in result.output


def test_file_path(project: Path) -> None:
    module = unique()
    write_app(project / "src", module)
    result = routes("--app", f"src/{module}.py")
    assert result.exit_code == 0, result.output
    assert f"/{module}" in result.output


def test_file_path_inside_a_package(project: Path) -> None:
    package = unique("pkg")
    write(project, f"{package}/__init__.py", "")
    write_app(project / package, "web")
    result = routes("--app", f"{package}/web.py:app")
    assert result.exit_code == 0, result.output
    assert "/web" in result.output


def test_kernel_app_environment_variable(project: Path) -> None:
    module = unique()
    write_app(project, module)
    result = routes(env={"KERNEL_APP": module})
    assert result.exit_code == 0, result.output
    assert f"/{module}" in result.output


@pytest.mark.parametrize("variable", ["QUART_APP", "FLASK_APP"])
def test_legacy_variables_work_with_a_deprecation_hint(project: Path, variable: str) -> None:
    module = unique()
    write_app(project, module)
    result = routes(env={variable: module})
    assert result.exit_code == 0, result.output
    assert f"/{module}" in result.stdout
    assert result.stderr.strip() == (
        f"Warning: {variable} is deprecated for the kernel command; set KERNEL_APP instead."
    )


def test_option_beats_environment(project: Path) -> None:
    chosen, other = unique(), unique()
    write_app(project, chosen)
    write_app(project, other)
    result = routes("--app", chosen, env={"KERNEL_APP": other})
    assert result.exit_code == 0, result.output
    assert f"/{chosen}" in result.output and f"/{other}" not in result.output


def test_app_py_in_the_current_directory(project: Path) -> None:
    write(project, "app.py", APP_SOURCE.format(name="app", module="from_app_py"))
    result = routes()
    assert result.exit_code == 0, result.output
    assert "/from_app_py" in result.output


def test_dotenv_files_are_loaded(project: Path) -> None:
    module, other = unique(), unique()
    write_app(project, module)
    write_app(project, other)
    write(project, ".env", f"KERNEL_APP={module}\nFROM_DOTENV=env\n")
    write(project, ".kernelenv", f"KERNEL_APP={other}\nFROM_KERNELENV=kernelenv\n")
    result = routes()
    assert result.exit_code == 0, result.output
    assert f"/{module}" in result.output  # .env beats .kernelenv
    assert os.environ["FROM_KERNELENV"] == "kernelenv"


def test_real_environment_beats_dotenv(project: Path) -> None:
    module, other = unique(), unique()
    write_app(project, module)
    write_app(project, other)
    write(project, ".env", f"KERNEL_APP={other}\n")
    result = routes(env={"KERNEL_APP": module})
    assert f"/{module}" in result.output


def test_env_file_option_beats_default_files(project: Path) -> None:
    module, other = unique(), unique()
    write_app(project, module)
    write_app(project, other)
    write(project, ".env", f"KERNEL_APP={other}\n")
    write(project, "custom.env", f"KERNEL_APP={module}\n")
    result = routes("--env-file", "custom.env")
    assert result.exit_code == 0, result.output
    assert f"/{module}" in result.output


def test_skip_dotenv(project: Path) -> None:
    module = unique()
    write_app(project, module)
    write(project, ".env", f"KERNEL_APP={module}\n")
    result = routes(env={"KERNEL_SKIP_DOTENV": "1"})
    assert result.exit_code != 0
    assert "Could not locate an Erlen application" in result.stderr


def test_a_flask_projects_flaskenv_is_read_with_a_hint_per_variable(project: Path) -> None:
    # Flask's tutorial's .flaskenv: FLASK_APP and FLASK_DEBUG. It was not read (a warning
    # said so, and the app was not found).
    module = unique()
    write(project, f"{module}.py", DEBUG_APP)
    write(project, ".flaskenv", f"FLASK_APP={module}\nFLASK_DEBUG=1\n")
    env = {"KERNEL_APP": None, "KERNEL_DEBUG": None, "ERLEN_DEBUG": None}
    env |= {"FLASK_APP": None, "FLASK_DEBUG": None, "QUART_DEBUG": None}
    result = stderr_apart_runner().invoke(make_cli(), ["show-debug"], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout == "debug=True\n"
    assert sorted(result.stderr.strip().splitlines()) == [
        "Warning: FLASK_APP is deprecated for the kernel command; set KERNEL_APP instead.",
        "Warning: FLASK_DEBUG is deprecated for the kernel command; set KERNEL_DEBUG instead.",
    ]


def test_flaskenv_comes_after_the_other_files(project: Path) -> None:
    module, other = unique(), unique()
    write_app(project, module)
    write_app(project, other)
    write(project, ".quartenv", f"KERNEL_APP={module}\n")
    write(project, ".flaskenv", f"KERNEL_APP={other}\nFN_ONLY_FLASK=flask\n")
    try:
        result = routes()
        assert result.exit_code == 0, result.output
        assert f"/{module}" in result.output
        assert os.environ["FN_ONLY_FLASK"] == "flask"
    finally:
        for name in ("FN_ONLY_FLASK", "KERNEL_APP"):
            os.environ.pop(name, None)


def test_quartenv_is_read_after_env_and_kernelenv(project: Path) -> None:
    # As Quart reads it: a ported project's .quartenv keeps working, and .env wins.
    module = unique()
    write_app(project, module)
    write(project, ".quartenv", f"KERNEL_APP={module}\nQN_ONLY_QUART=quart\nQN_BOTH=quart\n")
    write(project, ".env", "QN_BOTH=env\n")
    try:
        result = routes()
        assert result.exit_code == 0, result.output
        assert f"/{module}" in result.output
        assert os.environ["QN_ONLY_QUART"] == "quart"
        assert os.environ["QN_BOTH"] == "env"
        assert "not read" not in result.stderr
    finally:
        for name in ("QN_ONLY_QUART", "QN_BOTH", "KERNEL_APP"):
            os.environ.pop(name, None)


DEBUG_APP = """
import click
from erlen import Erlen, current_app

app = Erlen(__name__)


@app.cli.command("show-debug")
def show_debug():
    click.echo(f"debug={current_app.debug}")
"""


@pytest.mark.parametrize(("flag", "shown"), [("--debug", "True"), ("--no-debug", "False")])
def test_group_level_debug_reaches_the_app(project: Path, flag: str, shown: str) -> None:
    module = unique()
    write(project, f"{module}.py", DEBUG_APP)
    env = {"KERNEL_DEBUG": "0" if flag == "--debug" else "1"}
    result = stderr_apart_runner().invoke(
        make_cli(), [flag, "--app", module, "show-debug"], env=env
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"debug={shown}\n"


@pytest.mark.parametrize("variable", ["QUART_DEBUG", "FLASK_DEBUG"])
def test_legacy_debug_variables_work_with_a_deprecation_hint(project: Path, variable: str) -> None:
    # A ported project's `.quartenv` (or `.env`) sets QUART_DEBUG/FLASK_DEBUG: honoured,
    # and named, as QUART_APP/FLASK_APP are; it was dropped without a word.
    module = unique()
    write(project, f"{module}.py", DEBUG_APP)
    write(project, ".quartenv", f"{variable}=1\n")
    env = {"KERNEL_DEBUG": None, "ERLEN_DEBUG": None, variable: None}
    result = stderr_apart_runner().invoke(make_cli(), ["--app", module, "show-debug"], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout == "debug=True\n"
    assert result.stderr.strip() == (
        f"Warning: {variable} is deprecated for the kernel command; set KERNEL_DEBUG instead."
    )


def test_kernel_debug_and_the_option_beat_a_legacy_debug_variable(project: Path) -> None:
    module = unique()
    write(project, f"{module}.py", DEBUG_APP)
    env = {"KERNEL_DEBUG": "0", "ERLEN_DEBUG": None, "FLASK_DEBUG": "1"}
    result = stderr_apart_runner().invoke(make_cli(), ["--app", module, "show-debug"], env=env)
    assert (result.stdout, result.stderr) == ("debug=False\n", "")
    env = {"KERNEL_DEBUG": None, "ERLEN_DEBUG": None, "FLASK_DEBUG": "1"}
    args = ["--no-debug", "--app", module, "show-debug"]
    result = stderr_apart_runner().invoke(make_cli(), args, env=env)
    assert result.stdout == "debug=False\n"


CLI_APP = """
from erlen import Erlen
import click

app = Erlen(__name__)


@app.cli.command("seed")
def seed():
    \"\"\"Fill the database.\"\"\"
    click.echo("seeded")
"""


@pytest.mark.parametrize("envfile", [".env", ".kernelenv", ".flaskenv"])
@pytest.mark.parametrize("args", [["--help"], []])
def test_the_help_lists_the_commands_of_an_app_named_in_an_env_file(
    project: Path, envfile: str, args: list[str]
) -> None:
    # The Flask Mega-Tutorial's .flaskenv names the app; `kernel --help` listed only the
    # built-in commands (the env files were read after the help was printed), while
    # `kernel seed` worked.
    module = unique()
    write(project, f"{module}.py", CLI_APP)
    variable = "FLASK_APP" if envfile == ".flaskenv" else "KERNEL_APP"
    write(project, envfile, f"{variable}={module}\n")
    try:
        result = CliRunner().invoke(make_cli(), args, env={"FLASK_APP": None})
        # (a bare `kernel` prints its help on stderr, as click does)
        # (the column the help lines up depends on the commands the loaded plugins add)
        assert re.search(r"^  seed +Fill the database\.$", result.output, re.MULTILINE)
        assert re.search(r"^  routes +", result.output, re.MULTILINE)
    finally:
        for name in ("FLASK_APP", "KERNEL_APP"):
            os.environ.pop(name, None)
