"""Fixtures of the board's tests: a fresh app and database per test, and a helper that
registers and logs in through the real forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from board import create_app
from board.db import init_db
from erlen import Erlen


@pytest.fixture
def app(tmp_path: Path) -> Erlen:
    """The app, with its own database file in the test's temporary folder."""
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "test", "DATABASE": str(tmp_path / "board.sqlite")}
    )
    init_db(app.config["DATABASE"])
    return app


class AuthActions:
    """Register and log in as a user, as a browser would."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def register(self, username: str = "ada", password: str = "secret") -> Any:
        form = {"username": username, "password": password}
        return await self.client.post("/auth/register", form=form)

    async def login(self, username: str = "ada", password: str = "secret") -> Any:
        form = {"username": username, "password": password}
        return await self.client.post("/auth/login", form=form)


@pytest.fixture
async def auth(client: Any) -> AuthActions:
    """``await auth.register()``, ``await auth.login()`` with the ``client`` fixture."""
    return AuthActions(client)
