"""A todo list app written the way a Quart user writes one: an app factory, two blueprints,
a websocket for live updates, uploads, a streamed export, a CLI command and signals.

Run it with ``kernel --app "examples.todo:create_app()" run``; see README.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import click
from erlen import Erlen, current_app, request_finished
from erlen.utils import run_sync

from .api import api
from .live import live
from .store import TodoStore
from .ui import ui


def create_app(test_config: Mapping[str, Any] | None = None) -> Erlen:
    """Build the app; ``test_config`` overrides the defaults and the environment."""
    app = Erlen(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",
        DATABASE=":memory:",
        UPLOAD_FOLDER=os.path.join(app.instance_path, "uploads"),
        MAX_CONTENT_LENGTH=1024 * 1024,
        MAX_TITLE_LENGTH=200,
        PAGE_TITLE="Todos",
        # username -> werkzeug password hash; empty, so nobody can log in until configured.
        USERS={},
    )
    # TODO_SECRET_KEY, TODO_DATABASE, TODO_MAX_TITLE_LENGTH=50 ... (values parsed as JSON).
    app.config.from_prefixed_env(prefix="TODO")
    if test_config is not None:
        app.config.from_mapping(test_config)

    app.register_blueprint(ui)
    app.register_blueprint(api, url_prefix="/api")
    app.register_blueprint(live)

    app.extensions["todo.stats"] = {"requests_finished": 0}
    app.extensions["todo.clients"] = set()

    @app.before_serving
    async def open_store() -> None:
        os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
        app.extensions["todo.store"] = await run_sync(TodoStore)(app.config["DATABASE"])

    @app.after_serving
    async def close_store() -> None:
        store = app.extensions.pop("todo.store", None)
        if store is not None:
            await run_sync(store.close)()

    # with_appcontext=True: Erlen (like Flask) runs app.cli commands in the app context by
    # default; Quart 0.22 only when asked, so asking keeps the command portable.
    @app.cli.command("seed", with_appcontext=True)
    @click.option("--count", default=3, show_default=True, help="How many todos to add.")
    def seed(count: int) -> None:
        """Add a few example todos to the database."""
        store = TodoStore(current_app.config["DATABASE"])
        try:
            for number in range(1, count + 1):
                store.add(f"Example todo {number}")
        finally:
            store.close()
        click.echo(f"Seeded {count} todos.")

    request_finished.connect(_count_finished_request, app)
    return app


def _count_finished_request(sender: Erlen, response: Any, **extra: Any) -> None:
    # Connected with the app as sender: other apps (tests build many) are not counted here.
    sender.extensions["todo.stats"]["requests_finished"] += 1
