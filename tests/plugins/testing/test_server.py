"""The live-server helpers: hypercorn on 127.0.0.1, in the test's loop or in a thread."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest
from erlen import Erlen
from erlen.plugins.testing import serve_app, serve_app_in_thread


def assert_stopped(base_url: str) -> None:
    port = int(base_url.rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def make_app() -> Erlen:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        return "served"

    return app


async def test_serve_app_in_the_running_loop() -> None:
    async with serve_app(make_app()) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=5) as http:
            response = await http.get("/")
    assert response.text == "served"
    assert_stopped(base_url)


def test_serve_app_in_a_thread_for_sync_code() -> None:
    with serve_app_in_thread(make_app()) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert httpx.get(base_url + "/", timeout=5).text == "served"
    assert not [t for t in threading.enumerate() if t.name == "erlen-live-server"]
    assert_stopped(base_url)


def test_a_failing_startup_is_raised_in_the_test() -> None:
    app = make_app()

    @app.before_serving
    async def start() -> None:
        raise RuntimeError("no database")

    with pytest.raises(Exception, match="Lifespan failure in startup.*no database"):
        with serve_app_in_thread(app, startup_timeout=5):
            pass
    assert not [t for t in threading.enumerate() if t.name == "erlen-live-server"]
