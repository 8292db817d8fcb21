"""Invoking an app command from inside a running event loop (an ``async def`` test) fails
with a message that says what to do, before the command runs."""

from __future__ import annotations

import click
from erlen import Erlen


async def test_invoke_from_an_async_test_says_to_use_a_sync_one() -> None:
    app = Erlen(__name__)
    ran: list[bool] = []

    @app.cli.command("hello")
    def hello() -> None:
        ran.append(True)
        click.echo("hello")

    result = app.test_cli_runner().invoke(args=["hello"])
    assert result.exit_code == 1
    assert isinstance(result.exception, RuntimeError)
    assert "from a sync test (def, not async def)" in str(result.exception)
    assert ran == []


def test_invoke_from_a_sync_test_works() -> None:
    app = Erlen(__name__)

    @app.cli.command("hello")
    def hello() -> None:
        click.echo("hello")

    result = app.test_cli_runner().invoke(args=["hello"])
    assert (result.exit_code, result.output) == (0, "hello\n")
