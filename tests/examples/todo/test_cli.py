"""The ``seed`` command, run through ``app.test_cli_runner()``."""

from __future__ import annotations

import asyncio

from examples.todo import create_app


async def _titles(app) -> list[str]:
    async with app.test_app():
        response = await app.test_client().get("/api/todos")
        return [todo["title"] for todo in (await response.get_json())["todos"]]


# Sync tests: a click command runs outside any event loop, as from a terminal.
def test_seed_adds_example_todos(config) -> None:
    app = create_app(config)
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert result.output == "Seeded 3 todos.\n"
    titles = asyncio.run(_titles(app))
    assert titles == ["Example todo 1", "Example todo 2", "Example todo 3"]


def test_seed_count_option(config) -> None:
    app = create_app(config)
    result = app.test_cli_runner().invoke(args=["seed", "--count", "1"])
    assert result.output == "Seeded 1 todos.\n"
    assert asyncio.run(_titles(app)) == ["Example todo 1"]


def test_seed_help(config) -> None:
    result = create_app(config).test_cli_runner().invoke(args=["seed", "--help"])
    assert result.exit_code == 0
    assert "How many todos to add." in result.output


def test_bad_option_is_a_usage_error(config) -> None:
    result = create_app(config).test_cli_runner().invoke(args=["seed", "--count", "many"])
    assert result.exit_code == 2
    assert "'many' is not a valid integer" in result.output
