"""``kernel routes``, ``shell``, ``plugins``, ``app.cli`` commands and plugin commands."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from erlen import Blueprint, Erlen, current_app, g, hookimpl
from erlen.cli import ScriptInfo, make_cli
from erlen.pluginmanager import available_plugins


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/users/<int:user_id>", methods=["GET", "POST"])
    async def user(user_id: int) -> str:
        return ""

    @app.route("/about")
    async def about() -> str:
        return ""

    @app.websocket("/ws")
    async def feed() -> None:
        return None

    return app


def invoke(app: Erlen, *args: str, **kwargs):
    # The kernel group marks the process as a CLI run; keep that out of later tests.
    kwargs["env"] = {"KERNEL_RUN_FROM_CLI": None, **kwargs.get("env", {})}
    return CliRunner().invoke(
        make_cli(), list(args), obj=ScriptInfo(create_app=lambda: app), **kwargs
    )


def table(output: str) -> list[list[str]]:
    """The rows of the routes table as lists of columns (headers and rule line dropped)."""
    lines = output.strip().splitlines()[2:]
    return [[cell.strip() for cell in line.split("  ") if cell.strip()] for line in lines]


def test_routes_lists_endpoint_methods_protocol_rule() -> None:
    result = invoke(make_app(), "routes")
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[0].split()
    assert header == ["Endpoint", "Methods", "Protocol", "Rule"]
    assert table(result.output) == [
        ["about", "GET", "http", "/about"],
        ["feed", "GET", "websocket", "/ws"],
        ["static", "GET", "http", "/static/<path:filename>"],
        ["user", "GET, POST", "http", "/users/<int:user_id>"],
    ]


@pytest.mark.parametrize(
    ("sort", "endpoints"),
    [
        ("endpoint", ["about", "feed", "static", "user"]),
        ("rule", ["about", "static", "user", "feed"]),
        ("methods", ["static", "about", "feed", "user"]),
        ("match", ["static", "user", "about", "feed"]),
    ],
)
def test_routes_sort(sort: str, endpoints: list[str]) -> None:
    result = invoke(make_app(), "routes", "--sort", sort)
    assert result.exit_code == 0, result.output
    assert [row[0] for row in table(result.output)] == endpoints


def test_routes_all_methods() -> None:
    result = invoke(make_app(), "routes", "--all-methods")
    row = next(r for r in table(result.output) if r[0] == "user")
    assert row[1] == "GET, HEAD, OPTIONS, POST"


def test_routes_without_routes() -> None:
    result = invoke(Erlen(__name__, static_folder=None), "routes")
    assert result.exit_code == 0
    assert result.output.strip() == "No routes were registered."


def test_shell_has_app_g_and_processor_names() -> None:
    app = Erlen(__name__)

    @app.shell_context_processor
    def extra() -> dict[str, int]:
        return {"answer": 42}

    script = "g.x = 1\nprint(app.name, g.x, answer)\n"
    result = invoke(app, "shell", input=script, env={"PYTHONSTARTUP": ""})
    assert result.exit_code == 0, result.output
    assert f"App: {app.name}" in result.output
    assert f"{app.name} 1 42" in result.output
    assert "Error" not in result.output


def test_shell_runs_in_the_app_context() -> None:
    app = Erlen(__name__)
    script = (
        "from erlen import current_app\n"
        "print('same' if current_app._get_current_object() is app else 'other')\n"
    )
    result = invoke(app, "shell", input=script, env={"PYTHONSTARTUP": ""})
    assert result.exit_code == 0, result.output
    assert "same" in result.output


def test_shell_awaits_at_the_top_level_in_the_app_context() -> None:
    """An Erlen app's helpers are async (the tutorial's ``db.fetch_all``): the shell
    awaits them as written; it answered "SyntaxError: 'await' outside function"."""
    app = Erlen(__name__)

    async def app_name() -> str:
        await asyncio.sleep(0)
        return current_app.name

    @app.shell_context_processor
    def names() -> dict[str, object]:
        return {"app_name": app_name}

    script = "name = await app_name()\nprint('awaited', name)\nawait app_name()\n"
    result = invoke(app, "shell", input=script, env={"PYTHONSTARTUP": ""})
    assert result.exit_code == 0, result.output
    assert "Top-level 'await' works, in the app context." in result.output
    assert f"awaited {app.name}" in result.output
    assert repr(app.name) in result.output  # an awaited expression is echoed, as any
    assert "Error" not in result.output


def test_shell_shows_an_awaited_error_and_goes_on() -> None:
    app = Erlen(__name__)
    script = (
        "async def fail():\n    raise LookupError('no row 7')\n\n"
        "await fail()\nprint('still here')\n"
    )
    result = invoke(app, "shell", input=script, env={"PYTHONSTARTUP": ""})
    assert result.exit_code == 0, result.output
    assert "LookupError: no row 7" in result.output
    assert "still here" in result.output


def test_plugins_lists_the_loaded_plugins() -> None:
    result = invoke(Erlen(__name__, extra_plugins=["json"]), "plugins")
    assert result.exit_code == 0, result.output
    enabled = result.output.partition("\n\n")[0]  # then: installed, not enabled
    names = [line.split()[0].rstrip(":") for line in enabled.strip().splitlines()]
    assert "json" in names and "testing" in names
    assert "erlen.builtins" not in names


def test_app_cli_command_runs_in_the_app_context() -> None:
    app = Erlen(__name__)
    seen = {}

    @app.cli.command("seed")
    @click.option("--count", type=int, default=1)
    def seed(count: int) -> None:
        g.count = count
        seen["app"] = current_app._get_current_object()
        click.echo(f"seeded {count}")

    result = invoke(app, "seed", "--count", "3")
    assert result.exit_code == 0, result.output
    assert result.output == "seeded 3\n"
    assert seen["app"] is app


def test_async_app_cli_command() -> None:
    app = Erlen(__name__)

    @app.cli.command("ping")
    async def ping() -> None:
        click.echo(f"pong from {current_app.name}")

    result = invoke(app, "ping")
    assert result.exit_code == 0, result.output
    assert result.output == f"pong from {app.name}\n"


def test_app_cli_add_command_and_groups() -> None:
    app = Erlen(__name__)

    @click.command("hello")
    def hello() -> None:
        click.echo("hello")

    app.cli.add_command(hello)

    @app.cli.group("db")
    def db() -> None:
        """Database commands."""

    @db.command("init")
    def init() -> None:
        click.echo(f"init {current_app.name}")

    assert invoke(app, "hello").output == "hello\n"
    assert invoke(app, "db", "init").output == f"init {app.name}\n"
    listing = invoke(app, "--help").output
    assert "hello" in listing and "db" in listing and "routes" in listing


@click.command("init-db")
def init_db_command() -> None:
    """Flask's tutorial shape: a plain click command that needs the app context."""
    click.echo(f"Initialized {current_app.name}.")


@click.command("init-db-async")
@click.option("--count", type=int, default=1)
async def init_db_async_command(count: int) -> None:
    click.echo(f"{count} tables in {current_app.name}")


def test_a_plain_click_command_added_to_app_cli_runs_in_the_app_context() -> None:
    # Flask's tutorial (flaskr): @click.command("init-db") then app.cli.add_command. It
    # failed with "Working outside of application context"; an async one did nothing.
    apps = [Erlen(f"factory_app_{n}") for n in range(2)]
    for app in apps:  # a factory adds the same command object to every app it makes
        app.cli.add_command(init_db_command)
        app.cli.add_command(init_db_async_command)
    for app in apps:
        result = invoke(app, "init-db")
        assert (result.exit_code, result.output) == (0, f"Initialized {app.name}.\n")
        result = app.test_cli_runner().invoke(args=["init-db-async", "--count", "3"])
        assert (result.exit_code, result.output) == (0, f"3 tables in {app.name}\n")
    # The command object is unchanged: run alone, it has no app context.
    result = CliRunner().invoke(init_db_command)
    assert "Working outside of application context" in str(result.exception)


def test_an_added_async_command_in_a_running_loop_is_refused_not_dropped() -> None:
    app = Erlen(__name__)
    app.cli.add_command(init_db_async_command)
    app.cli.add_command(init_db_command)

    async def from_an_async_test() -> tuple[object, object]:
        runner = app.test_cli_runner()
        return runner.invoke(args=["init-db-async"]), runner.invoke(args=["init-db"])

    awaited, plain = asyncio.run(from_an_async_test())
    assert "outside any event loop" in str(awaited.exception)  # was: no output, exit 0
    # A sync one still runs there, without the app context, as in Quart.
    assert "Working outside of application context" in str(plain.exception)


def test_app_cli_main_runs_a_command_in_its_own_app_without_loading_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Quart runs app.cli commands without loading the app, so tests call app.cli.main()
    # directly, even with a ScriptInfo that could not load it: the group's own app is used.
    app = Erlen(__name__)

    @app.cli.command("count")
    def count() -> None:
        click.echo(f"{current_app.name}: {len(list(current_app.url_map.iter_rules()))}")

    @app.cli.group("db")
    def db() -> None:
        """Database commands."""

    @db.command("fail")
    def fail() -> None:
        raise ZeroDivisionError(current_app.name)

    def cannot_load(_: object) -> Erlen:
        raise AssertionError("the app is not loaded through the ScriptInfo")

    for obj in (None, ScriptInfo(create_app=cannot_load)):
        with pytest.raises(SystemExit) as done:
            app.cli.main(args=["count"], prog_name="app", obj=obj)
        assert done.value.code == 0
        assert capsys.readouterr().out == f"{app.name}: 1\n"  # the static route
        with pytest.raises(ZeroDivisionError, match=app.name):
            app.cli.main(args=["db", "fail"], prog_name="app", obj=obj, standalone_mode=False)


@pytest.mark.parametrize(
    "cli_group, args",
    [("tools", ["tools", "hi"]), (None, ["hi"]), (..., ["greeter", "hi"])],
)
def test_blueprint_commands_and_their_group(cli_group: object, args: list[str]) -> None:
    # cli_group=... is the default spelled out: a group named after the blueprint.
    app = Erlen(__name__)
    bp = Blueprint("greeter", __name__, cli_group=cli_group)  # type: ignore[arg-type]

    @bp.cli.command("hi")
    def hi() -> None:
        click.echo("hi from the blueprint")

    app.register_blueprint(bp)
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output == "hi from the blueprint\n"


def test_test_cli_runner_invokes_app_commands() -> None:
    app = Erlen(__name__)

    @app.cli.command("who")
    def who() -> None:
        click.echo(current_app.name)

    result = app.test_cli_runner().invoke(args=["who"])
    assert result.exit_code == 0, result.output
    assert result.output == f"{app.name}\n"


class GreeterPlugin:
    """A plugin given to one app as an object, not installed."""

    @hookimpl
    def erlen_cli_commands(self, cli: click.Group) -> None:
        @cli.command("greet-app")
        def greet_app() -> None:
            click.echo(f"hello from {current_app.name}")


def test_app_plugin_objects_add_commands_once_the_app_is_loaded() -> None:
    app = Erlen(__name__, plugins=[GreeterPlugin()])
    result = invoke(app, "greet-app")
    assert result.exit_code == 0, result.output
    assert result.output == f"hello from {app.name}\n"
    assert "greet-app" not in invoke(Erlen(__name__), "--help").output


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A plugin installed for real: a module plus a dist-info with an ``erlen`` entry point."""
    name = f"cliplug_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent(
            """
            import click
            from erlen import hookimpl

            @click.command("greet")
            def greet():
                click.echo("hello from a plugin")

            @hookimpl
            def erlen_cli_commands(cli):
                cli.add_command(greet)

                @cli.command("needs-app", with_appcontext=True)
                def needs_app():
                    from erlen import current_app
                    click.echo(f"app is {current_app.name}")

                @cli.command("no-app")
                def no_app():
                    click.echo("no app needed")
            """
        )
    )
    dist = tmp_path / f"{name}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[erlen]\n{name} = {name}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    available_plugins.cache_clear()  # the installed set is read once per process
    yield name
    available_plugins.cache_clear()
    sys.modules.pop(name, None)


def test_plugin_adds_commands_through_the_hook(installed_plugin: str) -> None:
    app = Erlen(__name__, extra_plugins=[installed_plugin])
    result = invoke(app, "greet")
    assert result.exit_code == 0, result.output
    assert result.output == "hello from a plugin\n"
    assert "greet" in invoke(app, "--help").output


def test_installed_plugin_adds_no_commands_to_an_app_that_did_not_select_it(
    installed_plugin: str,
) -> None:
    result = invoke(Erlen(__name__), "greet")
    assert result.exit_code == 2
    assert "No such command 'greet'" in result.output


def test_plugin_commands_get_the_app_context_only_when_they_ask(
    installed_plugin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no app.py here
    env = {
        "KERNEL_APP": None,
        "KERNEL_RUN_FROM_CLI": None,
        "ERLEN_PLUGINS": f"json,{installed_plugin}",
    }
    result = CliRunner().invoke(make_cli(), ["no-app"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == "no app needed\n"
    app = Erlen("plugged", extra_plugins=[installed_plugin])
    assert invoke(app, "needs-app").output == "app is plugged\n"


def test_disabled_plugin_adds_no_commands(installed_plugin: str) -> None:
    env = {
        "ERLEN_PLUGINS": installed_plugin,
        "ERLEN_DISABLE_PLUGINS": installed_plugin,
        "KERNEL_RUN_FROM_CLI": None,
    }
    result = CliRunner().invoke(make_cli(), ["--help"], env=env)
    assert result.exit_code == 0
    assert "greet" not in result.output


def test_python_dash_m_erlen_is_the_same_cli(tmp_path: Path) -> None:
    (tmp_path / "pm_app.py").write_text(
        "from erlen import Erlen\napp = Erlen(__name__)\n"
        "@app.route('/pm')\ndef pm():\n    return ''\n"
    )
    env = {**os.environ, "KERNEL_APP": "pm_app"}
    proc = subprocess.run(
        [sys.executable, "-m", "erlen", "routes"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert "/pm" in proc.stdout
    usage = subprocess.run(
        [sys.executable, "-m", "erlen", "--help"], capture_output=True, text=True, timeout=30
    )
    assert usage.stdout.startswith("Usage: python -m erlen [OPTIONS] COMMAND")


@pytest.mark.parametrize("command", ["routes", "shell", "plugins"])
def test_help_text_is_plain_text(command: str) -> None:
    # click prints docstrings as they are: reST markup showed as ``app`` and :class:`X`.
    result = invoke(Erlen(__name__), command, "--help")
    assert result.exit_code == 0, result.output
    assert "``" not in result.output and ":class:" not in result.output
