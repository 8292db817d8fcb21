"""Board: a small message board, the app built step by step in the tutorial
(docs/tutorial/). Run it with ``kernel --app board run`` after ``kernel --app board init-db``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from erlen import Erlen

from . import api, auth, db, live, posts


def create_app(test_config: Mapping[str, Any] | None = None) -> Erlen:
    """Build the app. ``test_config`` replaces the instance config (tests pass one)."""
    app = Erlen(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",  # replaced in production: see "Deploy" in the tutorial
        DATABASE=os.path.join(app.instance_path, "board.sqlite"),
        MAX_POST_LENGTH=500,
    )
    if test_config is None:
        # instance/config.py, then BOARD_* environment variables (BOARD_SECRET_KEY=...).
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("BOARD")
    else:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(posts.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(live.bp)
    return app
