"""The database: sqlite3 from the standard library, called from worker threads.

sqlite3 blocks, so every query runs through ``run_sync`` (the event loop keeps serving
other requests meanwhile), each in a connection of its own: a sqlite3 connection belongs
to the thread that opened it.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import click
from erlen import Erlen, current_app
from erlen.utils import run_sync

SCHEMA = """
CREATE TABLE IF NOT EXISTS user (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT UNIQUE NOT NULL,
    password TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS post (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id INTEGER NOT NULL REFERENCES user (id),
    created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    body TEXT NOT NULL
);
"""


def run_query(path: str, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Run one statement in a new connection and commit; return the rows as dicts."""
    connection = sqlite3.connect(path)
    try:
        connection.row_factory = sqlite3.Row
        with connection:  # commits, or rolls back on an exception
            return [dict(row) for row in connection.execute(sql, params).fetchall()]
    finally:
        connection.close()


async def fetch_all(sql: str, *params: Any) -> list[dict[str, Any]]:
    """All rows of a query, run in a worker thread."""
    return await run_sync(run_query)(current_app.config["DATABASE"], sql, params)


async def fetch_one(sql: str, *params: Any) -> dict[str, Any] | None:
    """The first row of a query, or ``None``."""
    rows = await fetch_all(sql, *params)
    return rows[0] if rows else None


def init_db(path: str) -> None:
    """Create the tables that do not exist yet."""
    connection = sqlite3.connect(path)
    try:
        connection.executescript(SCHEMA)
    finally:
        connection.close()


def init_db_command() -> None:
    """Create the database tables (existing data is kept)."""
    init_db(current_app.config["DATABASE"])
    click.echo(f"Initialized the database in {current_app.config['DATABASE']}.")


def init_app(app: Erlen) -> None:
    """Register the database's command on the app: ``kernel --app board init-db``.

    ``app.cli.command`` runs it inside an app context, where ``current_app`` works.
    """
    app.cli.command("init-db")(init_db_command)
