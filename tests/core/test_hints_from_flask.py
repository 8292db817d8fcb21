"""Hints on the errors met porting a Flask app (imports changed, the awaits of the porting
guide added): an ``await`` placed before an attribute, and a ``sqlite3`` connection kept
on ``g`` and used from the thread pool's threads (Flask's tutorial's ``get_db``)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from erlen import Erlen, g, request


async def test_await_before_an_attribute_of_the_form_is_logged_with_where_it_goes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Erlen(__name__)

    @app.post("/form")
    async def form() -> Any:
        body = request.form
        try:
            return await body.get("name")  # type: ignore[attr-defined]
        finally:
            body.close()  # type: ignore[attr-defined]  (no "never awaited" warning)

    with caplog.at_level(logging.ERROR):
        response = await app.test_client().post("/form", form={"name": "ann"})
    assert response.status_code == 500
    assert "AttributeError: 'coroutine' object has no attribute 'get'" in caplog.text
    assert "did you forget 'await'?" in caplog.text
    assert "write '(await request.form).get'" in caplog.text


async def test_a_sqlite_connection_used_across_threads_says_what_to_change(
    caplog: pytest.LogCaptureFixture, tmp_path: Any
) -> None:
    app = Erlen(__name__)
    path = str(tmp_path / "app.sqlite")
    opened: list[sqlite3.Connection] = []
    # One worker thread for the sync functions, so that the test can close the
    # connection in the thread that opened it (Python 3.13 warns of an unclosed one when
    # it is collected, in whatever later test that happens; warnings are errors).
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=1)
    loop.set_default_executor(pool)

    @app.before_request
    def load_user() -> None:  # sync: runs in a worker thread, as in Quart
        g.db = sqlite3.connect(path)
        opened.append(g.db)

    @app.route("/")
    async def index() -> Any:  # async: runs in the event loop's thread
        return {"one": g.db.execute("SELECT 1").fetchone()[0]}

    try:
        with caplog.at_level(logging.ERROR):
            response = await app.test_client().get("/")
    finally:
        for connection in opened:
            await loop.run_in_executor(None, connection.close)
    assert response.status_code == 500
    assert "SQLite objects created in a thread can only be used in that same thread" in (
        caplog.text
    )
    assert "Hint: Erlen runs sync views, hooks and teardown functions in a thread pool" in (
        caplog.text
    )
    assert "sqlite3.connect(..., check_same_thread=False)" in caplog.text


async def test_other_sqlite_errors_get_no_hint(caplog: pytest.LogCaptureFixture) -> None:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> Any:
        db = sqlite3.connect(":memory:")
        db.close()
        return str(db.execute("SELECT 1"))  # "Cannot operate on a closed database."

    with caplog.at_level(logging.ERROR):
        response = await app.test_client().get("/")
    assert response.status_code == 500
    assert "closed database" in caplog.text
    assert "Hint:" not in caplog.text


async def test_flasks_own_proxies_in_an_erlen_app_name_the_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # What Flask-SQLAlchemy's db.session or Flask-Login's current_user do inside a view:
    # Flask's own proxies, which see no Flask context, say "Working outside of
    # application context ... set up an application context with app.app_context()".
    import flask  # installed with quart, the reference of the test extra

    app = Erlen(__name__)

    @app.route("/extension")
    async def extension() -> Any:
        return flask.current_app.name

    with caplog.at_level(logging.ERROR):
        response = await app.test_client().get("/extension")
    assert response.status_code == 500
    assert "RuntimeError: Working outside of application context." in caplog.text
    assert "Hint: this error comes from Flask itself, imported by a Flask extension" in (
        caplog.text
    )
    assert "'import erlen.quart_patch', or the quart-flask-patch package" in caplog.text


async def test_erlens_own_proxies_get_no_flask_hint(caplog: pytest.LogCaptureFixture) -> None:
    import asyncio

    from erlen import current_app

    app = Erlen(__name__)

    @app.route("/thread")
    async def thread() -> Any:
        loop = asyncio.get_running_loop()
        # a bare executor call copies no context: Erlen's own "Working outside"
        return await loop.run_in_executor(None, lambda: current_app.name)

    with caplog.at_level(logging.ERROR):
        response = await app.test_client().get("/thread")
    assert response.status_code == 500
    assert "Working outside of application context" in caplog.text
    assert "Hint:" not in caplog.text
