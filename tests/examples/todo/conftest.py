"""Fixtures as Quart's testing docs recommend: an app built by the factory, served by
``test_app()`` (so ``before_serving``/``after_serving`` run), and a test client."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import pytest_asyncio
from werkzeug.security import generate_password_hash

from examples.todo import create_app

TIMEOUT = 5.0
PASSWORD = "wonderland"


@pytest.fixture
def config(tmp_path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test secret",
        "DATABASE": str(tmp_path / "todo.sqlite"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        # A cheap hash: the tests log in often.
        "USERS": {"alice": generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")},
    }


@pytest_asyncio.fixture
async def app(config):
    app = create_app(config)
    async with app.test_app():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest_asyncio.fixture
async def logged_in(client):
    """The client, with alice logged in through the session cookie."""
    async with client.session_transaction() as sess:
        sess["user"] = "alice"
    return client


async def _page(response) -> str:
    assert response.mimetype == "text/html"
    return await response.get_data(as_text=True)


async def _receive_json(ws) -> Any:
    return await asyncio.wait_for(ws.receive_json(), TIMEOUT)


async def _receive(ws) -> Any:
    return await asyncio.wait_for(ws.receive(), TIMEOUT)


@pytest.fixture
def page():
    """``await page(response)``: the body of an HTML response, after checking it is one."""
    return _page


@pytest.fixture
def receive_json():
    """``await receive_json(ws)``: the next JSON message, failing fast instead of hanging."""
    return _receive_json


@pytest.fixture
def receive():
    """``await receive(ws)``: the next message, failing fast instead of hanging."""
    return _receive


@pytest.fixture
def password() -> str:
    """alice's password."""
    return PASSWORD
