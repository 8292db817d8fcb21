"""Flask's sync ``ctx.push()`` / ``ctx.pop()`` pair, and the teardown of a ``kernel``
command, where no event loop runs: the teardown functions run at once, a sync one in the
thread that used the context (as in Flask). Before, ``ctx.pop()`` returned a coroutine
nobody awaited (the context was never left, only a ``RuntimeWarning`` said so), and the
Flask tutorial's ``init-db`` printed its message, then failed closing its ``sqlite3``
connection from a worker thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import warnings

import click
from erlen import Erlen, current_app, g, has_app_context, has_request_context, request


def make_tutorial_app(tmp_path) -> tuple[Erlen, list[str]]:
    """The Flask tutorial's ``db.py``, imports changed, nothing else."""
    app = Erlen(__name__)
    app.config["DATABASE"] = str(tmp_path / "app.sqlite")
    closed: list[str] = []

    def get_db() -> sqlite3.Connection:
        if "db" not in g:
            g.db = sqlite3.connect(current_app.config["DATABASE"])
        return g.db

    def close_db(e: BaseException | None = None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()  # sqlite3 refuses this from another thread than the one that opened
            closed.append(threading.current_thread().name)

    @click.command("init-db")
    def init_db_command() -> None:
        get_db().executescript("CREATE TABLE post (id INTEGER PRIMARY KEY);")
        click.echo("Initialized the database.")

    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
    app.extensions["get_db"] = get_db
    return app, closed


def test_a_command_tears_down_in_its_own_thread(tmp_path) -> None:
    app, closed = make_tutorial_app(tmp_path)
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exception is None, result.exception
    assert result.exit_code == 0
    assert result.output == "Initialized the database.\n"
    assert closed == [threading.current_thread().name]


def test_sync_push_and_pop_of_an_app_context(tmp_path) -> None:
    # unittest's setUp/tearDown as the Flask Mega-Tutorial writes them
    app, closed = make_tutorial_app(tmp_path)
    ctx = app.app_context()
    ctx.push()
    app.extensions["get_db"]().execute("SELECT 1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "coroutine ... was never awaited" fails the test
        ctx.pop()
    assert not has_app_context()
    assert closed == [threading.current_thread().name]


def test_sync_push_and_pop_of_a_request_context() -> None:
    app = Erlen(__name__)
    seen: list[object] = []

    @app.teardown_request
    def tear(exc: BaseException | None) -> None:
        seen.append(("request", request.path, exc))

    @app.teardown_appcontext
    def tear_app(exc: BaseException | None) -> None:
        seen.append(("app", exc))

    ctx = app.test_request_context("/hello")
    ctx.push()
    assert request.path == "/hello"
    ctx.pop()
    assert not has_request_context()
    assert not has_app_context()
    assert seen == [("request", "/hello", None), ("app", None)]


async def test_awaited_pop_is_unchanged() -> None:
    app = Erlen(__name__)
    seen: list[str] = []

    @app.teardown_appcontext
    async def tear(exc: BaseException | None) -> None:
        seen.append("torn down")

    ctx = app.app_context()
    await ctx.push()
    await ctx.pop()
    assert seen == ["torn down"]
    assert not has_app_context()


def test_a_sync_pop_leaves_the_threads_event_loop_alone() -> None:
    # unittest's IsolatedAsyncioTestCase sets its loop as the thread's before setUp and
    # tearDown; a ctx.pop() there must not reset it (asyncio.run sets it to None).
    app = Erlen(__name__)
    seen: list[str] = []

    @app.teardown_appcontext
    async def tear(exc: BaseException | None) -> None:
        seen.append("torn down")

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        ctx = app.app_context()
        ctx.push()
        ctx.pop()
        assert seen == ["torn down"]
        assert asyncio.get_event_loop() is loop
    finally:
        asyncio.set_event_loop(None)
        loop.close()
