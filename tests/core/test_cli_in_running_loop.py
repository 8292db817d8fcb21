"""Invoking an app command from inside a running event loop (an ``async def`` test).

A sync command runs there as Quart runs it, without the app context (Quart's
``app.cli.command`` pushes none unless told ``with_appcontext=True``); one that asked for
the app context, or an ``async def`` one, fails with a message that says what to do,
before it runs."""

from __future__ import annotations

import click
from erlen import Erlen, current_app


async def test_a_sync_command_runs_in_an_async_test_as_in_quart() -> None:
    app = Erlen(__name__)

    @app.cli.command("hello")
    @click.argument("name")
    def hello(name: str) -> None:
        click.echo(f"hello {name}")

    result = app.test_cli_runner().invoke(args=["hello", "bob"])
    assert (result.exit_code, result.output) == (0, "hello bob\n")


async def test_a_command_asking_for_the_app_context_says_to_use_a_sync_test() -> None:
    app = Erlen(__name__)
    ran: list[bool] = []

    @app.cli.command("hello", with_appcontext=True)
    def hello() -> None:
        ran.append(True)
        click.echo(current_app.name)

    result = app.test_cli_runner().invoke(args=["hello"])
    assert result.exit_code == 1
    assert isinstance(result.exception, RuntimeError)
    assert "from a sync test (def, not async def)" in str(result.exception)
    assert ran == []


async def test_an_async_command_says_to_use_a_sync_test() -> None:
    app = Erlen(__name__)

    @app.cli.command("hello")
    async def hello() -> None:
        click.echo("hello")

    result = app.test_cli_runner().invoke(args=["hello"])
    assert result.exit_code == 1
    assert "from a sync test (def, not async def)" in str(result.exception)


def test_invoke_from_a_sync_test_works_in_the_app_context() -> None:
    app = Erlen(__name__)

    @app.cli.command("hello")
    def hello() -> None:
        click.echo(current_app.name)

    result = app.test_cli_runner().invoke(args=["hello"])
    assert (result.exit_code, result.output) == (0, f"{app.name}\n")
